/**
 * One exec or attach over a channel.k8s.io WebSocket: the process's stdout/stderr go out on channels 1/2
 * (with back-pressure: output pauses while much is unsent), channel 0 feeds its stdin, channel 4 resizes its
 * terminal, a v5 close of channel 0 ends its stdin. When the process is over and its output is sent, the
 * status (Success, or NonZeroExitCode with the code) goes out on channel 3 and the socket closes normally;
 * a client that goes away first ends the process (exec) or detaches (attach).
 */
import type { Readable } from 'node:stream';
import type { WebSocket } from 'ws';
import {
  STDERR, STDIN, STDOUT, execErrorStatus, frames, parseInbound, statusForExit, statusFrame, type ChannelProtocol, type ExecStatus,
} from './channels.js';
import type { ContainerProcess } from './types.js';

/** Output stops being read while more than this many bytes wait to be sent. */
const HIGH_WATER = 1 << 20;

export interface ExecSessionOptions {
  /** The command, for the status message (exec); attach has none. */
  command: readonly string[];
  protocol: ChannelProtocol;
  /** Diagnostics (ignored messages, failures). */
  log?: (msg: string) => void;
}

/**
 * Runs the session until the socket closes. `start` runs the process; its rejection (or a rejected exit)
 * becomes a Failure status with the message.
 */
export async function runExecSession(ws: WebSocket, start: () => Promise<ContainerProcess>, o: ExecSessionOptions): Promise<void> {
  let proc: ContainerProcess | undefined;
  let finished = false;
  let pendingBytes = 0;
  const paused = new Set<Readable>();
  const open = (): boolean => ws.readyState === ws.OPEN;
  const send = (buf: Buffer): void => {
    if (!open()) return;
    pendingBytes += buf.length;
    ws.send(buf, { binary: true }, () => {
      pendingBytes -= buf.length;
      if (pendingBytes <= HIGH_WATER / 2) for (const r of paused) r.resume();
      if (pendingBytes <= HIGH_WATER / 2) paused.clear();
    });
  };
  const pump = (stream: Readable | null, channel: number): Promise<void> => {
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        for (const f of frames(channel, chunk)) send(f);
        if (pendingBytes > HIGH_WATER) {
          stream.pause();
          paused.add(stream);
        }
      });
      stream.once('end', () => resolve());
      stream.once('close', () => resolve());
      stream.once('error', () => resolve());
    });
  };
  const finish = (status: ExecStatus): void => {
    if (finished) return;
    finished = true;
    send(statusFrame(status));
    if (open()) ws.close(1000);
  };
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return o.log?.('exec: text message ignored');
    const msg = parseInbound(Buffer.isBuffer(data) ? data : Buffer.from(data as unknown as ArrayBuffer), o.protocol);
    if (!proc) return;
    switch (msg.kind) {
      case 'stdin':
        if (proc.stdin && !proc.stdin.writableEnded && msg.data.length) proc.stdin.write(msg.data);
        break;
      case 'resize':
        proc.resize?.(msg.width, msg.height);
        break;
      case 'close':
        if (msg.channel === STDIN) proc.stdin?.end();
        break;
      default:
        o.log?.(`exec: ${msg.reason}`);
    }
  });
  ws.once('close', () => {
    if (!finished) proc?.kill();
    finished = true;
  });

  try {
    proc = await start();
  } catch (err) {
    finish(execErrorStatus((err as Error).message));
    await closed;
    return;
  }
  if (finished) {
    proc.kill(); // the client left while the process was starting
    return;
  }
  proc.stdin?.on('error', () => undefined);
  const outputs = Promise.all([pump(proc.stdout, STDOUT), pump(proc.stderr, STDERR)]);
  let status: ExecStatus;
  try {
    const code = await proc.exit;
    await outputs;
    status = statusForExit(o.command, code);
  } catch (err) {
    await outputs;
    status = execErrorStatus((err as Error).message);
  }
  // No v5 close frames from this side: kubectl's reader logs an "Unknown stream id 255" error for them.
  finish(status);
  await closed;
}
