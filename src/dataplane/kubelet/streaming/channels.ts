/**
 * The channel.k8s.io WebSocket subprotocols of exec and attach (kubectl's remotecommand), as pure functions.
 * Every binary message is one channel byte and its data: 0 stdin, 1 stdout, 2 stderr, 3 error (a JSON
 * metav1.Status once the command is over, from v4 on), 4 resize (JSON {"Width","Height"}). v5 adds channel
 * 255: a message [255, n] half-closes channel n (stdin's end of input). An empty message would end kubectl's
 * reader ("read stream id"), so nothing here ever frames one.
 */

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
/** v5: [CLOSE, channel] half-closes a channel. */
export const CLOSE = 255;

export const V5 = 'v5.channel.k8s.io';
export const V4 = 'v4.channel.k8s.io';
/** The subprotocols served, in the order of preference (the newest first, as the kubelet's). */
export const SERVED_PROTOCOLS = [V5, V4] as const;
export type ChannelProtocol = (typeof SERVED_PROTOCOLS)[number];

/** The subprotocol to answer with: the first served one, in our order, that the client offered; else undefined. */
export function negotiateProtocol(offered: Iterable<string>): ChannelProtocol | undefined {
  const set = new Set([...offered].map((p) => p.trim()));
  return SERVED_PROTOCOLS.find((p) => set.has(p));
}

/** One message: the channel byte, then the data. */
export function frame(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = channel;
  body.copy(out, 1);
  return out;
}

/** v5's half-close of a channel. */
export function closeFrame(channel: number): Buffer {
  return Buffer.from([CLOSE, channel]);
}

export type InboundMessage =
  | { kind: 'stdin'; data: Buffer }
  | { kind: 'resize'; width: number; height: number }
  | { kind: 'close'; channel: number }
  | { kind: 'ignored'; reason: string };

/**
 * A client's message, read as upstream's server does: stdin data, a resize (channel 4, JSON), a v5 close;
 * anything else is ignored with the reason (the connection goes on).
 */
export function parseInbound(msg: Buffer, protocol: ChannelProtocol): InboundMessage {
  if (msg.length === 0) return { kind: 'ignored', reason: 'empty message' };
  const ch = msg[0]!;
  const data = msg.subarray(1);
  if (ch === STDIN) return { kind: 'stdin', data };
  if (ch === RESIZE) {
    const size = parseResize(data);
    return size ? { kind: 'resize', ...size } : { kind: 'ignored', reason: `resize: not a {"Width":…,"Height":…} object: ${data.toString().slice(0, 80)}` };
  }
  if (ch === CLOSE && protocol === V5) {
    if (data.length !== 1) return { kind: 'ignored', reason: 'close: expected one channel byte' };
    return { kind: 'close', channel: data[0]! };
  }
  return { kind: 'ignored', reason: `channel ${ch}: not written by clients` };
}

/** remotecommand.TerminalSize as JSON ({"Width":80,"Height":24}); numbers 0…65535. */
export function parseResize(data: Buffer): { width: number; height: number } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const { Width: w, Height: h } = v as { Width?: unknown; Height?: unknown };
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535;
  return ok(w) && ok(h) ? { width: w, height: h } : undefined;
}

/** The metav1.Status written on the error channel when the command is over (its JSON, as the kubelet's). */
export interface ExecStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason: string; message: string }[] };
  code?: number;
}

export function successStatus(): ExecStatus {
  return { metadata: {}, status: 'Success' };
}

/**
 * A command that ended with a non-zero code: reason NonZeroExitCode and the code as cause ExitCode, which
 * kubectl turns into its own exit code.
 */
export function exitCodeStatus(command: readonly string[], code: number): ExecStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** A command that could not run (not found, container gone): upstream's internal error, kubectl prints the message. */
export function execErrorStatus(message: string): ExecStatus {
  return { metadata: {}, status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', details: { causes: [{ reason: '', message }] }, code: 500 };
}

/** The status for an exit code: Success for 0. */
export function statusForExit(command: readonly string[], code: number): ExecStatus {
  return code === 0 ? successStatus() : exitCodeStatus(command, code);
}

/** The error channel's message carrying a status. */
export function statusFrame(status: ExecStatus): Buffer {
  return frame(ERROR, JSON.stringify(status));
}

/** Splits data into messages of at most `max` data bytes each (never an empty one). */
export function frames(channel: number, data: Buffer, max = 32 * 1024): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += max) out.push(frame(channel, data.subarray(i, i + max)));
  return out;
}
