/**
 * How long the simulated runtime's steps take. Small and deterministic so that a benchmark's pods reach Running
 * quickly and a test can set every delay to 0; the crash-loop back-off follows the kubelet's (10 s doubling to
 * 5 min, reset after 10 min without a crash).
 */
export interface SimulatedTiming {
  /** Admission → sandbox with its network up (PodReadyToStartContainers, podIP). */
  sandboxMs: number;
  /** Create + start of one container (or of the regular containers, which start together). */
  containerStartMs: number;
  /** How long a regular (non-sidecar) init container runs before exiting 0. */
  initContainerRunMs: number;
  /** How long a Job's pod runs before its containers exit (unless sim.skiff.dev/run-seconds says otherwise). */
  jobRunMs: number;
  /** Upper bound of a graceful stop: containers stop after min(grace period, this). */
  stopMs: number;
  /** Crash-loop back-off: first delay, cap (the kubelet's 10 s and 300 s). */
  backOffBaseMs: number;
  backOffMaxMs: number;
  /** When no IP is free in the podCIDR, try again after this long. */
  ipRetryMs: number;
}

export const DEFAULT_TIMING: SimulatedTiming = {
  sandboxMs: 100,
  containerStartMs: 200,
  initContainerRunMs: 100,
  jobRunMs: 1000,
  stopMs: 200,
  backOffBaseMs: 10_000,
  backOffMaxMs: 300_000,
  ipRetryMs: 1000,
};

/** Every delay 0 (back-off too): each sync jumps straight to the steady state. For tests. */
export const INSTANT_TIMING: SimulatedTiming = {
  sandboxMs: 0,
  containerStartMs: 0,
  initContainerRunMs: 0,
  jobRunMs: 0,
  stopMs: 0,
  backOffBaseMs: 0,
  backOffMaxMs: 0,
  ipRetryMs: 0,
};

/** Fills defaults and rejects negative or non-finite values, naming the field. */
export function resolveTiming(partial: Partial<SimulatedTiming> = {}): SimulatedTiming {
  const out = { ...DEFAULT_TIMING, ...partial };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`timing.${k}: must be a number >= 0, got ${String(v)}`);
  }
  return out;
}
