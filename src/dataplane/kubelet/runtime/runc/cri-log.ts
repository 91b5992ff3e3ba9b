/**
 * The CRI container log format, what containerd writes and the kubelet reads for `kubectl logs`:
 * `<RFC3339Nano time> <stdout|stderr> <F|P> <content>\n`. A line longer than the buffer is cut into partial
 * records (P) ending with a full one (F); output that ends without a newline is a full record at end of stream.
 */

export type LogStream = 'stdout' | 'stderr';

/** Lines longer than this are split into P records (containerd's default max line size, 16 KiB). */
export const MAX_LOG_LINE = 16 * 1024;

/** Nanoseconds since the epoch as RFC3339 with nine fraction digits in UTC (sortable, parsed by RFC3339Nano). */
export function rfc3339Nano(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return new Date(ms).toISOString().slice(0, 19) + '.' + frac + 'Z';
}

/** Wall-clock nanoseconds with sub-millisecond digits from the performance timer. */
export function wallNanos(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

export function criRecord(time: bigint, stream: LogStream, partial: boolean, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${rfc3339Nano(time)} ${stream} ${partial ? 'P' : 'F'} `), content, NL]);
}

const NL = Buffer.from('\n');

/** Turns one stream's chunks into CRI records; holds an unfinished line until its newline, the size cap or end(). */
export class CriLineSplitter {
  private pending: Buffer[] = [];
  private pendingLen = 0;

  constructor(
    private readonly stream: LogStream,
    private readonly now: () => bigint = wallNanos,
    private readonly maxLine = MAX_LOG_LINE,
  ) {}

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      for (let pos = start; pos < end; ) {
        // A full buffer with more of the same line to come is a partial record.
        if (this.pendingLen >= this.maxLine) out.push(this.take(true));
        const n = Math.min(this.maxLine - this.pendingLen, end - pos);
        this.add(chunk.subarray(pos, pos + n));
        pos += n;
      }
      if (nl < 0) break;
      out.push(this.take(false));
      start = nl + 1;
    }
    return out;
  }

  /** End of stream: an unfinished line becomes a full record. */
  end(): Buffer[] {
    return this.pendingLen > 0 ? [this.take(false)] : [];
  }

  /** The reader stops before end of stream (agent shutdown): an unfinished line becomes a partial record. */
  flushPartial(): Buffer[] {
    return this.pendingLen > 0 ? [this.take(true)] : [];
  }

  private add(b: Buffer): void {
    if (b.length === 0) return;
    this.pending.push(b);
    this.pendingLen += b.length;
  }

  private take(partial: boolean): Buffer {
    const content = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLen);
    this.pending = [];
    this.pendingLen = 0;
    return criRecord(this.now(), this.stream, partial, content);
  }
}

/** One parsed record, for readers (tests, the kubelet API's logs). */
export interface CriLogRecord {
  time: string;
  stream: LogStream;
  partial: boolean;
  content: string;
}

export function parseCriLine(line: string): CriLogRecord | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/s.exec(line);
  if (!m) return undefined;
  return { time: m[1]!, stream: m[2] as LogStream, partial: m[3] === 'P', content: m[4]! };
}
