/**
 * The kubelet API for the runc runtime, added to its pod driver from outside (the driver's files stay its
 * helper's): logs read the CRI log files the runtime writes (<dataDir>/logs/<ns>_<pod>_<uid>/<container>/
 * <restartCount>.log, the previous run at restartCount−1) with readCriLog, following until the container
 * stops; exec runs `runc exec` through RuncRuntime.execStream/execTty; attach taps the container's own output
 * from now on and writes its stdin (RuncRuntime.attach), ending when the container stops with Success, as the
 * kubelet's CRI attach does (no exit code: kubectl attach reports none); port-forward runs a relay inside the
 * pod's network namespace (`nsenter --net=<netns> busybox nc 127.0.0.1 <port>`: Node cannot setns) and pipes it.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import type { PodDriver, PodDriverFactory, Pod } from '../types.js';
import type { RuncPodDriver } from '../runtime/runc/driver.js';
import { containerId } from '../runtime/runc/pod-worker.js';
import type { AttachSession, ExecStream, TtyExec } from '../runtime/runc/runc.js';
import type { ContainerInfo } from '../runtime/runc/types.js';
import { readCriLog } from '../runtime/runc/log-reader.js';
import { StreamingError, type ContainerProcess } from './types.js';

export interface RuncStreamingOptions {
  /** The node's data dir (the driver's dataDir option). */
  dataDir: string;
  idPrefix: string;
  nsenter?: string;
  busybox?: string;
}

interface Streams {
  execStream?(id: string, argv: string[]): ExecStream;
  execTty?(id: string, argv: string[]): TtyExec;
  attach?(id: string, opts: { wantStdin?: boolean; onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void }): Promise<AttachSession>;
  wait?(id: string, signal?: AbortSignal): Promise<ContainerInfo | undefined>;
}

function restartCount(pod: Pod, container: string): number {
  const st = (pod.status ?? {}) as Record<string, { name?: string; restartCount?: number }[] | undefined>;
  for (const k of ['containerStatuses', 'initContainerStatuses']) {
    const c = st[k]?.find((s) => s.name === container);
    if (c) return c.restartCount ?? 0;
  }
  return 0;
}

export function withRuncStreaming(factory: PodDriverFactory, o: RuncStreamingOptions): PodDriverFactory {
  return (ctx, hooks) => {
    const d = factory(ctx, hooks) as RuncPodDriver & PodDriver;
    const uidOf = (pod: Pod): string => pod.metadata?.uid ?? '';
    const runningId = (pod: Pod, container: string): string => {
      const id = d.worker(uidOf(pod))?.runningContainers().find((c) => c.name === container)?.id;
      if (!id) throw new StreamingError(`container ${container} is not running`);
      return id;
    };

    d.logs = async (pod, container, req, out) => {
      const m = pod.metadata ?? {};
      const attempt = restartCount(pod, container) - (req.previous ? 1 : 0);
      const path = join(o.dataDir, 'logs', `${m.namespace ?? ''}_${m.name ?? ''}_${uidOf(pod)}`, container, `${Math.max(0, attempt)}.log`);
      const id = containerId(o.idPrefix, uidOf(pod), container, Math.max(0, attempt));
      await readCriLog(path, {
        ...(req.tailLines !== undefined ? { tail: req.tailLines } : {}),
        ...(req.sinceNanos !== undefined ? { sinceNanos: req.sinceNanos } : {}),
        ...(req.limitBytes !== undefined ? { limitBytes: req.limitBytes } : {}),
        timestamps: req.timestamps,
        follow: req.follow && !req.previous,
        isRunning: async () => (await d.deps.runtime.state(id).catch(() => undefined))?.state === 'running',
        signal: req.signal,
      }, out).catch((err: Error) => {
        throw new StreamingError(err.message);
      });
    };

    d.exec = async (pod, container, command, req): Promise<ContainerProcess> => {
      const id = runningId(pod, container);
      const rt = d.deps.runtime as unknown as Streams;
      if (req.tty) {
        if (!rt.execTty) throw new StreamingError('this runtime has no terminal exec');
        const t = rt.execTty(id, command);
        return { stdin: req.stdin ? t.stdin : null, stdout: t.stdout, stderr: null, resize: (c, r) => t.resize(c, r), exit: t.exit, kill: t.kill };
      }
      if (!rt.execStream) throw new StreamingError('this runtime has no streaming exec');
      const s = rt.execStream(id, command);
      if (!req.stdin) s.stdin.end();
      return { stdin: req.stdin ? s.stdin : null, stdout: s.stdout, stderr: s.stderr, exit: s.exit, kill: s.kill };
    };

    d.attach = async (pod, container, req): Promise<ContainerProcess> => {
      const id = runningId(pod, container);
      const rt = d.deps.runtime as unknown as Streams;
      if (!rt.attach || !rt.wait) throw new StreamingError('this runtime has no attach');
      const stdout = req.stdout ? new PassThrough() : null;
      const stderr = req.stderr ? new PassThrough() : null;
      let session: AttachSession;
      try {
        session = await rt.attach(id, {
          wantStdin: req.stdin,
          onOutput: (stream, chunk) => (stream === 'stderr' && !req.tty ? stderr : stdout)?.write(chunk),
        });
      } catch (err) {
        throw new StreamingError((err as Error).message);
      }
      if (req.stdin && !session.stdin) {
        session.close();
        throw new StreamingError(`container ${container} has no stdin to attach to (stdin: true in its spec)`);
      }
      const detached = new AbortController();
      const end = (): void => {
        session.close();
        stdout?.end();
        stderr?.end();
      };
      // Over when the container stops (or the client detaches): its output then ends, the status is Success.
      const exit = rt.wait(id, detached.signal).then(() => {
        end();
        return 0;
      });
      return {
        stdin: req.stdin ? session.stdin! : null,
        stdout,
        stderr,
        resize: (c, r) => session.resize(c, r),
        exit,
        kill: () => {
          detached.abort();
          end();
        },
      };
    };

    d.portForward = async (pod, port): Promise<Duplex> => {
      const sandbox = (await d.deps.network.list()).get(uidOf(pod));
      if (!sandbox) throw new StreamingError(`pod ${pod.metadata?.name} has no network namespace on this node`);
      const child = spawn(o.nsenter ?? 'nsenter', [`--net=${sandbox.netnsPath}`, o.busybox ?? '/bin/busybox', 'nc', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const relay = Duplex.from({ readable: child.stdout, writable: child.stdin });
      child.on('close', (code) => {
        if (code) relay.destroy(new Error(`failed to connect to localhost:${port} inside namespace of pod ${pod.metadata?.name}: ${stderr.trim() || `relay exit ${code}`}`));
      });
      relay.on('close', () => child.kill('SIGKILL'));
      return relay;
    };
    return d;
  };
}
