/**
 * The simulated driver (pods go through upstream's states) plus the kubelet API's optional methods, so the
 * streaming path (kubectl → API server → agent → driver) runs without root:
 * - logs: each container's log is a fixed list of lines; follow adds `tick N` lines and ends after `followLines`
 *   (the container "ends"); previous runs have their own lines;
 * - exec: the command runs as a local child process (sh, echo, cat: the test's host tools), with its real
 *   stdio and exit code;
 * - portForward: pod port P connects to 127.0.0.1:ports[P] (a server the test runs).
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { simulatedPodDriverFactory } from '../../../src/dataplane/kubelet/runtime/simulated/driver.js';
import type { PodDriverFactory } from '../../../src/dataplane/kubelet/types.js';
import type { ContainerProcess } from '../../../src/dataplane/kubelet/streaming/types.js';
import { StreamingError } from '../../../src/dataplane/kubelet/streaming/types.js';

export interface StreamingFake {
  /** Pod port → local port to connect to. */
  ports: Map<number, number>;
  /** Lines a follow emits after the fixed ones before the container ends. */
  followLines: number;
  followEveryMs: number;
  /** How long dialling a pod's port takes (a real relay starts a process in the pod's network namespace). */
  dialDelayMs?: number;
  /** What the driver was asked (assertions). */
  calls: string[];
}

export function streamingDriverFactory(fake: StreamingFake): PodDriverFactory {
  const base = simulatedPodDriverFactory({ timing: { sandboxMs: 0, containerStartMs: 0 } });
  return (ctx, hooks) => {
    const d = base(ctx, hooks);
    d.logs = async (pod, container, req, out) => {
      fake.calls.push(`logs ${pod.metadata!.name}/${container} previous=${req.previous} follow=${req.follow} tail=${req.tailLines ?? ''}`);
      const lines = req.previous ? [`previous run of ${container}`] : [`hello from ${container}`, 'second line', 'third line'];
      const stamp = (i: number): string => (req.timestamps ? `2026-01-02T03:04:0${i}.000000000Z ` : '');
      const shown = req.tailLines !== undefined ? lines.slice(Math.max(0, lines.length - req.tailLines)) : lines;
      shown.forEach((l, i) => out(Buffer.from(`${stamp(i)}${l}\n`)));
      if (!req.follow) return;
      for (let i = 1; i <= fake.followLines && !req.signal.aborted; i++) {
        await new Promise((r) => setTimeout(r, fake.followEveryMs));
        out(Buffer.from(`tick ${i}\n`));
      }
    };
    d.exec = async (pod, container, command, req): Promise<ContainerProcess> => {
      fake.calls.push(`exec ${pod.metadata!.name}/${container} ${JSON.stringify(command)} tty=${req.tty}`);
      const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      const exit = new Promise<number>((resolve, reject) => {
        child.once('error', (e) => reject(new StreamingError(`exec: "${command[0]}": ${e.message}`)));
        child.once('close', (code, sig) => resolve(code ?? (sig ? 137 : 1)));
      });
      exit.catch(() => undefined);
      if (!req.stdin) child.stdin.end();
      return { stdin: req.stdin ? child.stdin : null, stdout: child.stdout, stderr: req.tty ? null : child.stderr, exit, kill: () => child.kill('SIGKILL') };
    };
    d.portForward = async (pod, port): Promise<Duplex> => {
      fake.calls.push(`portForward ${pod.metadata!.name}:${port}`);
      const local = fake.ports.get(port);
      if (local === undefined) throw new StreamingError(`failed to connect to localhost:${port} inside namespace "${pod.metadata!.uid}": connection refused`);
      if (fake.dialDelayMs) await new Promise((r) => setTimeout(r, fake.dialDelayMs));
      const s = connect({ host: '127.0.0.1', port: local });
      await new Promise<void>((resolve, reject) => {
        s.once('connect', resolve);
        s.once('error', reject);
      });
      return s;
    };
    return d;
  };
}
