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

  /** The records completed by `chunk`, as one buffer (none when it only extends an unfinished line). */
  push(chunk: Buffer): Buffer[] {
    // One timestamp per chunk: its lines arrived together, and formatting a time per line would dominate.
    let heads: { full: Buffer; partial: Buffer } | undefined;
    const parts: Buffer[] = [];
    const emit = (partial: boolean): void => {
      heads ??= this.heads();
      parts.push(partial ? heads.partial : heads.full, ...this.drain(), NL);
    };
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      for (let pos = start; pos < end; ) {
        // A full buffer with more of the same line to come is a partial record.
        if (this.pendingLen >= this.maxLine) emit(true);
        const n = Math.min(this.maxLine - this.pendingLen, end - pos);
        this.add(chunk.subarray(pos, pos + n));
        pos += n;
      }
      if (nl < 0) break;
      emit(false);
      start = nl + 1;
    }
    return parts.length ? [Buffer.concat(parts)] : [];
  }

  /** End of stream: an unfinished line becomes a full record. */
  end(): Buffer[] {
    return this.pendingLen > 0 ? [Buffer.concat([this.heads().full, ...this.drain(), NL])] : [];
  }

  /** The reader stops before end of stream (agent shutdown): an unfinished line becomes a partial record. */
  flushPartial(): Buffer[] {
    return this.pendingLen > 0 ? [Buffer.concat([this.heads().partial, ...this.drain(), NL])] : [];
  }

  private heads(): { full: Buffer; partial: Buffer } {
    const t = rfc3339Nano(this.now());
    return { full: Buffer.from(`${t} ${this.stream} F `), partial: Buffer.from(`${t} ${this.stream} P `) };
  }

  private add(b: Buffer): void {
    if (b.length === 0) return;
    this.pending.push(b);
    this.pendingLen += b.length;
  }

  private drain(): Buffer[] {
    const out = this.pending;
    this.pending = [];
    this.pendingLen = 0;
    return out;
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
