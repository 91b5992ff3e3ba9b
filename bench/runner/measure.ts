/**
 * Measuring helpers: throughput with N concurrent async workers, latency percentiles, peak RSS.
 * Times come from process.hrtime; latencies are per call, in milliseconds.
 */
import { progress } from './progress.js';

export interface Latency {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface Throughput {
  ops: number;
  seconds: number;
  opsPerSec: number;
  latency: Latency;
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Nearest-rank percentiles of latency samples (ms). */
/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentiles(samples: number[]): Latency {
  if (samples.length === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const s = Float64Array.from(samples).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  let sum = 0;
  for (const v of s) sum += v;
  return { count: s.length, mean: sum / s.length, p50: at(50), p90: at(90), p99: at(99), max: s[s.length - 1]! };
}

export interface OpsOptions {
  /** Stop after this many operations in total… */
  ops?: number;
  /** …or after this long, whichever comes first (default 3 s when `ops` is absent). */
  seconds?: number;
  /** Operations in flight at once (default 1). */
  concurrency?: number;
  /** Progress bar label (stderr). */
  label?: string;
}

/**
 * Runs `op(i)` (i = 0, 1, 2, … across all workers) with `concurrency` workers until the budget is spent;
 * returns ops/s over the wall time and per-call latency.
 */
export async function measureOps(op: (i: number) => Promise<unknown> | unknown, options: OpsOptions = {}): Promise<Throughput> {
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const maxOps = options.ops ?? Infinity;
  const deadline = nowMs() + (options.seconds ?? (options.ops === undefined ? 3 : Infinity)) * 1000;
  const bar = options.label ? progress(options.label, Number.isFinite(maxOps) ? maxOps : 0) : null;
  const samples: number[] = [];
  let next = 0;
  const start = nowMs();
  const worker = async () => {
    while (next < maxOps && nowMs() < deadline) {
      const i = next++;
      const t0 = nowMs();
      await op(i);
      samples.push(nowMs() - t0);
      bar?.tick();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (nowMs() - start) / 1000;
  bar?.done();
  return { ops: samples.length, seconds, opsPerSec: samples.length / seconds, latency: percentiles(samples) };
}

/** Latency of `runs` sequential calls (after `warmup` unmeasured ones). */
export async function measureLatency(fn: () => Promise<unknown> | unknown, runs: number, warmup = 1): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = nowMs();
    await fn();
    samples.push(nowMs() - t0);
  }
  return percentiles(samples);
}

/** Peak resident set size of this process so far, in bytes (the kernel's high-water mark). */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Runs `fn` while sampling RSS every `intervalMs`; returns its result and the highest RSS seen, which unlike
 * peakRss() is specific to this window (for comparing phases of one run).
 */
export async function withRssSampling<T>(fn: () => Promise<T>, intervalMs = 20): Promise<{ result: T; peakRss: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), intervalMs);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakRss: peak };
  } finally {
    clearInterval(timer);
  }
}
