/**
 * PodLogOptions from a query string, as the API server decodes and validates them for pods/log and the
 * kubelet reads them on /containerLogs: booleans as apimachinery converts them ("0" and any casing of "false"
 * are false, anything else true), integers as strconv.ParseInt (a syntax error is a 400), then upstream's
 * validation (422): tailLines >= 0, limitBytes > 0, sinceSeconds > 0, at most one of sinceTime/sinceSeconds.
 * Both the API server and the agent use it, so the two never disagree.
 */

export type LogQuery = Record<string, string | string[] | undefined>;

export interface PodLogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  sinceSeconds?: number;
  /** RFC3339 text as given (seconds precision upstream; fractions accepted). */
  sinceTime?: string;
  /** ns since the epoch of sinceTime. */
  sinceTimeNanos?: bigint;
}

/** A bad option: `code` 400 for what does not parse, 422 for what parses but is invalid (then `field` names it). */
export class LogOptionsError extends Error {
  constructor(readonly code: 400 | 422, readonly field: string, message: string) {
    super(message);
    this.name = 'LogOptionsError';
  }
}

const first = (q: LogQuery, k: string): string | undefined => {
  const v = q[k];
  return Array.isArray(v) ? v[0] : v;
};

const bool = (q: LogQuery, k: string): boolean => {
  const v = first(q, k);
  return v !== undefined && !(v === '0' || v.toLowerCase() === 'false');
};

function int(q: LogQuery, k: string): number | undefined {
  const v = first(q, k);
  if (v === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new LogOptionsError(400, k, `strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** RFC3339 (optionally with fractions) to ns since the epoch, or undefined. */
export function parseRfc3339Nanos(t: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  if (!m) return undefined;
  const ms = Date.parse(m[1]! + m[3]!);
  if (!Number.isFinite(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

export function parsePodLogOptions(q: LogQuery): PodLogOptions {
  const o: PodLogOptions = { follow: bool(q, 'follow'), previous: bool(q, 'previous'), timestamps: bool(q, 'timestamps') };
  const container = first(q, 'container');
  if (container) o.container = container;
  const tailLines = int(q, 'tailLines');
  const limitBytes = int(q, 'limitBytes');
  const sinceSeconds = int(q, 'sinceSeconds');
  const sinceTime = first(q, 'sinceTime');
  if (sinceTime !== undefined && sinceTime !== '') {
    const ns = parseRfc3339Nanos(sinceTime);
    if (ns === undefined) throw new LogOptionsError(400, 'sinceTime', `parsing time ${JSON.stringify(sinceTime)} as "2006-01-02T15:04:05Z07:00": cannot parse as RFC3339`);
    o.sinceTime = sinceTime;
    o.sinceTimeNanos = ns;
  }
  if (tailLines !== undefined) {
    if (tailLines < 0) throw new LogOptionsError(422, 'tailLines', `tailLines: Invalid value: ${tailLines}: must be greater than or equal to 0`);
    o.tailLines = tailLines;
  }
  if (limitBytes !== undefined) {
    if (limitBytes < 1) throw new LogOptionsError(422, 'limitBytes', `limitBytes: Invalid value: ${limitBytes}: must be greater than 0`);
    o.limitBytes = limitBytes;
  }
  if (sinceSeconds !== undefined) {
    if (o.sinceTime !== undefined) throw new LogOptionsError(422, 'sinceSeconds', 'sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified');
    if (sinceSeconds < 1) throw new LogOptionsError(422, 'sinceSeconds', `sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0`);
    o.sinceSeconds = sinceSeconds;
  }
  return o;
}

/** The query that carries the options to the agent (what kubelet's /containerLogs reads). */
export function logOptionsQuery(o: PodLogOptions): URLSearchParams {
  const p = new URLSearchParams();
  if (o.follow) p.set('follow', 'true');
  if (o.previous) p.set('previous', 'true');
  if (o.timestamps) p.set('timestamps', 'true');
  if (o.tailLines !== undefined) p.set('tailLines', String(o.tailLines));
  if (o.limitBytes !== undefined) p.set('limitBytes', String(o.limitBytes));
  if (o.sinceSeconds !== undefined) p.set('sinceSeconds', String(o.sinceSeconds));
  if (o.sinceTime !== undefined) p.set('sinceTime', o.sinceTime);
  return p;
}

/** The earliest record time to show (ns since the epoch): sinceTime, or now − sinceSeconds. */
export function sinceNanos(o: PodLogOptions, nowMs: number): bigint | undefined {
  if (o.sinceTimeNanos !== undefined) return o.sinceTimeNanos;
  if (o.sinceSeconds !== undefined) return BigInt(nowMs - o.sinceSeconds * 1000) * 1_000_000n;
  return undefined;
}
