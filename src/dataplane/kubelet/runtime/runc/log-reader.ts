/**
 * Reads a container's CRI log file the way the kubelet serves `kubectl logs` (kuberuntime/logs ReadLogs):
 * tail counts records from the end, sinceTime drops older records, timestamps prefixes each line with its
 * time (nine fraction digits), limitBytes stops the output, a partial (P) record continues on the next one,
 * and follow keeps reading new records (across rotation: the renamed file is finished, then the new one
 * read from its start) until the container stops or the signal aborts. Malformed lines are skipped.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { parseCriLine, rfc3339Nano, type LogStream } from './cri-log.js';

export interface ReadLogOptions {
  /** Last N records; undefined or negative: all. */
  tail?: number;
  /** Only records at or after this time (ns since the epoch). */
  sinceNanos?: bigint;
  timestamps?: boolean;
  /** Stop after this many bytes of output. */
  limitBytes?: number;
  /** Which streams (default both). */
  streams?: LogStream[];
  follow?: boolean;
  /** With follow: whether the container still runs; reading stops once it does not and the file has no more. */
  isRunning?: () => boolean | Promise<boolean>;
  /** With follow: how often the file is checked for growth (ms, default 200). */
  pollMs?: number;
  signal?: AbortSignal;
}

/** RFC3339(Nano) text to ns since the epoch, or undefined. */
export function parseTimeNanos(t: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  if (!m) return undefined;
  const secs = Date.parse(m[1]! + m[3]!);
  if (!Number.isFinite(secs)) return undefined;
  return BigInt(secs) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Byte offset where the last `n` lines of `buf` start (a trailing newline ends the last line). */
export function tailStart(buf: Buffer, n: number): number {
  if (n <= 0) return buf.length;
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0a) end--;
  let count = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (buf[i] === 0x0a && ++count === n) return i + 1;
  }
  return 0;
}

class Emitter {
  private sent = 0;
  constructor(private readonly opts: ReadLogOptions, private readonly out: (chunk: Buffer) => void) {}

  /** False once limitBytes is reached. */
  line(raw: string): boolean {
    const rec = parseCriLine(raw);
    if (!rec) return true;
    if (this.opts.streams && !this.opts.streams.includes(rec.stream)) return true;
    const t = parseTimeNanos(rec.time);
    if (t === undefined) return true;
    if (this.opts.sinceNanos !== undefined && t < this.opts.sinceNanos) return true;
    const text = (this.opts.timestamps ? rfc3339Nano(t) + ' ' : '') + rec.content + (rec.partial ? '' : '\n');
    let buf = Buffer.from(text);
    const limit = this.opts.limitBytes;
    if (limit !== undefined && limit >= 0) {
      if (this.sent + buf.length >= limit) {
        buf = buf.subarray(0, limit - this.sent);
        this.sent = limit;
        if (buf.length) this.out(buf);
        return false;
      }
    }
    this.sent += buf.length;
    this.out(buf);
    return true;
  }
}

/** Writes the log's selected output to `out`; resolves when done (not following, stopped, or aborted). */
export async function readCriLog(path: string, opts: ReadLogOptions, out: (chunk: Buffer) => void): Promise<void> {
  const emit = new Emitter(opts, out);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new Error(`failed to open log file "${path}": ${(err as Error).message}`);
  }
  try {
    const st = await fh.stat();
    const size = st.size;
    const buf = Buffer.alloc(size);
    if (size) await fh.read(buf, 0, size, 0);
    const tail = opts.tail;
    let pos = tail !== undefined && tail >= 0 ? tailStart(buf, tail) : 0;
    // Whole lines only; a line still being written is read on a later pass.
    for (;;) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) break;
      if (!emit.line(buf.toString('utf8', pos, nl))) return;
      pos = nl + 1;
    }
    if (!opts.follow) {
      if (pos < size) emit.line(buf.toString('utf8', pos, size));
      return;
    }
    await follow(fh, path, st.ino, pos, emit, opts);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

async function follow(first: FileHandle, path: string, firstIno: number, offset: number, emit: Emitter, opts: ReadLogOptions): Promise<void> {
  let fh = first;
  let ino = firstIno;
  let pos = offset;
  let pending = Buffer.alloc(0);
  const pollMs = opts.pollMs ?? 200;
  const chunk = Buffer.alloc(64 * 1024);
  const drain = async (): Promise<boolean | 'limit'> => {
    let got = false;
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
      if (bytesRead === 0) return got;
      got = true;
      pos += bytesRead;
      pending = pending.length ? Buffer.concat([pending, chunk.subarray(0, bytesRead)]) : Buffer.from(chunk.subarray(0, bytesRead));
      let start = 0;
      for (;;) {
        const nl = pending.indexOf(0x0a, start);
        if (nl < 0) break;
        if (!emit.line(pending.toString('utf8', start, nl))) return 'limit';
        start = nl + 1;
      }
      pending = pending.subarray(start);
    }
  };
  try {
    for (;;) {
      if (opts.signal?.aborted) return;
      const got = await drain();
      if (got === 'limit') return;
      // Rotated: finish the old file (done above), then continue in the new one from its start.
      const now = await stat(path).catch(() => undefined);
      if (now && now.ino !== ino) {
        if (fh !== first) await fh.close().catch(() => undefined);
        try {
          fh = await open(path, 'r');
        } catch {
          return;
        }
        ino = now.ino;
        pos = 0;
        pending = Buffer.alloc(0);
        continue;
      }
      if (!got && opts.isRunning && !(await opts.isRunning())) {
        if ((await drain()) === 'limit') return;
        return;
      }
      await new Promise<void>((resolve) => {
        const onAbort = (): void => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          opts.signal?.removeEventListener('abort', onAbort);
          resolve();
        }, pollMs);
        opts.signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  } finally {
    if (fh !== first) await fh.close().catch(() => undefined);
  }
}
