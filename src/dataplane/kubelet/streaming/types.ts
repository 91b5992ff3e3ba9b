/**
 * What the kubelet API (logs, exec, attach, port-forward) asks of a pod driver. Every method is optional on
 * PodDriver: a driver without one answers as the simulated runtime does (see server.ts). The agent has already
 * checked the pod is bound to the driver's node and which container and run are meant.
 */
import type { Duplex, Readable, Writable } from 'node:stream';

export interface ContainerLogRequest {
  /** The container's previous (terminated) run rather than the current one. */
  previous: boolean;
  /** Keep reading until the container stops or the signal aborts. */
  follow: boolean;
  timestamps: boolean;
  /** Last N lines. */
  tailLines?: number;
  /** Stop after this many bytes. */
  limitBytes?: number;
  /** Only lines at or after this time (ns since the epoch). */
  sinceNanos?: bigint;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/** A process running in a container (exec) or the container's own stdio (attach). */
export interface ContainerProcess {
  /** null when stdin was not asked for. */
  stdin: Writable | null;
  /** With a TTY: everything the terminal shows. */
  stdout: Readable | null;
  /** null with a TTY (merged into stdout) or when not asked for. */
  stderr: Readable | null;
  /** Window size changes (TTY only). */
  resize?(cols: number, rows: number): void;
  /** The exit code (128+signal when killed); rejects when the process never ran (its message goes to the user). */
  exit: Promise<number>;
  /** The client went away: end the process (exec) or just detach (attach). */
  kill(): void;
}

export interface ProcessRequest {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Errors whose message the user should see as is (e.g. "container not running"). */
export class StreamingError extends Error {
  constructor(message: string, readonly code = 400) {
    super(message);
    this.name = 'StreamingError';
  }
}

export type { Duplex };
