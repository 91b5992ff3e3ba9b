/**
 * Copies one container's stdout/stderr FIFOs into its log file as CRI records (and to live attach sessions)
 * until both streams end, which happens when the container's supervisor exits. Never holds the agent's
 * process open; pauses reading while the log file lags (the container's pipe then fills and it waits).
 */
import { constants as fsc, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { CriLineSplitter, type LogStream } from './cri-log.js';
import { LogWriter, type LogRotation } from './log-writer.js';

/** Copies one container's two FIFOs into its log file as CRI records, until both reach end of stream. */
export class LogPump {
  /** Live listeners (attach sessions) for the raw output. */
  readonly taps = new Set<(stream: LogStream, chunk: Buffer) => void>();
  private open = 2;
  private readonly sockets: Socket[] = [];
  private readonly writer: LogWriter;
  private stopping = false;
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(logPath: string, private readonly now: () => bigint, rotation: LogRotation) {
    this.writer = new LogWriter(logPath, rotation);
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /** Starts reading; the FIFOs must already have a writer (else a read sees end of stream at once). */
  async start(fifos: Record<LogStream, string>): Promise<void> {
    await this.writer.open();
    for (const stream of ['stdout', 'stderr'] as const) {
      const fd = openSync(fifos[stream], fsc.O_RDONLY | fsc.O_NONBLOCK);
      const sock = new Socket({ fd, readable: true, writable: false });
      sock.unref(); // a log reader never keeps the agent's process alive
      this.sockets.push(sock);
      const split = new CriLineSplitter(stream, this.now);
      sock.on('data', (chunk: Buffer) => {
        for (const tap of this.taps) tap(stream, chunk);
        // Backpressure: while the disk lags, stop reading; the pipe fills and the container waits, as with containerd.
        if (!this.write(split.push(chunk))) {
          sock.pause();
          void this.writer.flushed().then(() => sock.resume());
        }
      });
      let ended = false;
      const finish = (): void => {
        if (ended) return;
        ended = true;
        // Stopped mid-stream, an unfinished line is only part of one; at end of stream it is whole.
        this.write(this.stopping ? split.flushPartial() : split.end());
        if (--this.open === 0) void this.writer.close().then(() => this.resolveDone());
      };
      sock.on('end', finish);
      sock.on('close', finish);
      sock.on('error', finish);
    }
  }

  private write(records: Buffer[]): boolean {
    return records.length ? this.writer.write(records.length === 1 ? records[0]! : Buffer.concat(records)) : true;
  }

  /** Stop reading now (agent shutdown, or the container is being removed). */
  stop(): void {
    this.stopping = true;
    for (const s of this.sockets) s.destroy();
  }
}
