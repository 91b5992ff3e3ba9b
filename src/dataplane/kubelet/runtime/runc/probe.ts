/**
 * Probes as the kubelet's prober worker decides them, apart from how a probe is carried out (probe-runner.ts):
 * the spec with upstream's defaults, when the next try is due, and the result after the thresholds.
 *
 *   - nothing is tried before initialDelaySeconds have passed since the container started; then every periodSeconds;
 *   - liveness and readiness wait until the container has `started` (its startup probe succeeded, or it has none);
 *     the startup probe stops once it succeeded;
 *   - a result only counts after successThreshold successes / failureThreshold failures in a row; before that
 *     the previous result stays (readiness starts as Failure, liveness as Success, startup as Unknown);
 *   - a liveness or startup Failure kills the container; its worker holds (no more tries) until a new container.
 */

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure' | 'unknown';

export interface HttpHeader {
  name: string;
  value: string;
}

export type ProbeAction =
  | { type: 'exec'; command: string[] }
  | { type: 'httpGet'; host?: string; port: number | string; path: string; scheme: 'HTTP' | 'HTTPS'; headers: HttpHeader[] }
  | { type: 'tcpSocket'; host?: string; port: number | string }
  | { type: 'grpc'; port: number; service?: string };

export interface ProbeSpec {
  action: ProbeAction;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  /** Probe-level grace for the kill that follows a liveness/startup failure (overrides the pod's). */
  terminationGracePeriodSeconds?: number;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function posInt(v: unknown, dflt: number, min = 1): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min ? v : dflt;
}

/** An action (probe handler or lifecycle hook) from its JSON; undefined when it names none the kubelet knows. */
export function parseAction(raw: Record<string, unknown>): ProbeAction | undefined {
  const exec = obj(raw.exec);
  if (exec) {
    const command = Array.isArray(exec.command) ? exec.command.filter((c): c is string => typeof c === 'string') : [];
    return { type: 'exec', command };
  }
  const http = obj(raw.httpGet);
  if (http) {
    const headers = Array.isArray(http.httpHeaders)
      ? http.httpHeaders.map((h) => obj(h)).filter((h): h is Record<string, unknown> => !!h && typeof h.name === 'string').map((h) => ({ name: h.name as string, value: typeof h.value === 'string' ? h.value : '' }))
      : [];
    return {
      type: 'httpGet',
      ...(typeof http.host === 'string' && http.host ? { host: http.host } : {}),
      port: typeof http.port === 'number' || typeof http.port === 'string' ? http.port : 80,
      path: typeof http.path === 'string' && http.path ? http.path : '/',
      scheme: http.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
      headers,
    };
  }
  const tcp = obj(raw.tcpSocket);
  if (tcp) {
    return { type: 'tcpSocket', ...(typeof tcp.host === 'string' && tcp.host ? { host: tcp.host } : {}), port: typeof tcp.port === 'number' || typeof tcp.port === 'string' ? tcp.port : 0 };
  }
  const grpc = obj(raw.grpc);
  if (grpc) return { type: 'grpc', port: typeof grpc.port === 'number' ? grpc.port : 0, ...(typeof grpc.service === 'string' ? { service: grpc.service } : {}) };
  return undefined;
}

/** A container's probe with upstream's defaults (period 10, timeout 1, success 1, failure 3); undefined when absent. */
export function probeSpec(raw: unknown, kind: ProbeKind): ProbeSpec | undefined {
  const p = obj(raw);
  if (!p) return undefined;
  const action = parseAction(p);
  if (!action) return undefined;
  const spec: ProbeSpec = {
    action,
    initialDelaySeconds: posInt(p.initialDelaySeconds, 0, 0),
    periodSeconds: posInt(p.periodSeconds, 10),
    timeoutSeconds: posInt(p.timeoutSeconds, 1),
    // Liveness and startup must have successThreshold 1 (validation); anything else is read as 1.
    successThreshold: kind === 'readiness' ? posInt(p.successThreshold, 1) : 1,
    failureThreshold: posInt(p.failureThreshold, 3),
  };
  if (typeof p.terminationGracePeriodSeconds === 'number' && p.terminationGracePeriodSeconds >= 0) spec.terminationGracePeriodSeconds = p.terminationGracePeriodSeconds;
  return spec;
}

export function initialResult(kind: ProbeKind): ProbeResult {
  return kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : 'unknown';
}

/** One probe of one container instance: the prober worker's memory. */
export class ProbeState {
  result: ProbeResult;
  private lastRaw: ProbeResult = 'unknown';
  private run = 0;
  /** After a liveness/startup failure: no more tries for this container instance. */
  onHold = false;

  constructor(
    readonly kind: ProbeKind,
    readonly spec: ProbeSpec,
  ) {
    this.result = initialResult(kind);
  }

  /** When the first try is due for a container started at `startedAt`. */
  firstAt(startedAt: number): number {
    return startedAt + this.spec.initialDelaySeconds * 1000;
  }

  /** Records one try's outcome; returns true when the result that counts changed. */
  record(raw: 'success' | 'failure'): boolean {
    if (raw === this.lastRaw) this.run++;
    else {
      this.lastRaw = raw;
      this.run = 1;
    }
    if ((raw === 'failure' && this.run < this.spec.failureThreshold) || (raw === 'success' && this.run < this.spec.successThreshold)) return false;
    const changed = this.result !== raw;
    this.result = raw;
    if ((this.kind === 'liveness' || this.kind === 'startup') && raw === 'failure') {
      this.onHold = true;
      this.run = 0;
    }
    return changed;
  }

  /** Whether a try at this moment is skipped: on hold, startup done, or liveness/readiness before `started`. */
  skip(started: boolean): boolean {
    if (this.onHold) return true;
    if (this.kind === 'startup') return this.result === 'success';
    return !started;
  }
}
