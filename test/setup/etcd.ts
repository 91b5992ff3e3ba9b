import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { commandPath } from './commands.js';
import { join } from 'node:path';

export interface EtcdProcess {
  endpoint: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The etcd binary on PATH, or null. */
export const etcdBinary = (): string | null => commandPath('etcd');

/**
 * etcd runs under a small shell watchdog: when the process that started it dies without calling stop()
 * (a test run killed by a timeout), etcd is stopped and its data dir removed instead of being left behind.
 * SIGTERM to the watchdog stops etcd at once.
 */
const WATCHDOG = `
"$@" & child=$!
trap 'kill $child 2>/dev/null; wait $child; exit 0' TERM INT
while kill -0 "$SKIFF_PARENT_PID" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1 & wait $!; done
exec 2>/dev/null # nobody reads our stderr any more: writing to it would kill us before the cleanup
kill $child; wait $child; rm -rf "$SKIFF_ETCD_DIR"
`;

/** Starts etcd on loopback with a throwaway data dir; null when the binary is absent. */
export async function startEtcd(): Promise<EtcdProcess | null> {
  const bin = etcdBinary();
  if (!bin) {
    console.warn('etcd not found on PATH: the etcd storage suite will skip (install Debian etcd-server)');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'skiff-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const child: ChildProcess = spawn(
    'sh',
    [
      '-c',
      WATCHDOG,
      'sh',
      bin,
      '--name', 'skiff-test',
      '--data-dir', dir,
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `skiff-test=http://127.0.0.1:${peerPort}`,
      '--log-level', 'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SKIFF_PARENT_PID: String(process.pid), SKIFF_ETCD_DIR: dir } },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`etcd exited early: ${stderr}`);
    try {
      const res = await fetch(`${endpoint}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM'); // the watchdog stops etcd
      throw new Error(`etcd did not become healthy: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
