/**
 * Starts the real `skiff server` (the built CLI under dist/, as `npm test` builds it) on 127.0.0.1 and a free
 * port, waits for its one ready line, and stops it with SIGTERM by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import { freePort } from '../setup/etcd.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/skiff.js');

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  kubeconfig: string;
  readyLine: string;
  child: ChildProcess;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function makeDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface StartServerOptions {
  /**
   * Let the server make its own CA, keys and certificates, as a first start does. By default a new data dir gets
   * the key and certificate files of one server started once per run: making them (RSA 2048 keys, JavaScript
   * signing) is about 2 s of CPU per start, and the server reuses files that match its names as on a restart.
   */
  freshPki?: boolean;
}

const READY_TIMEOUT_MS = 45_000;

export async function startServer(dataDir: string, extra: string[] = [], opts: StartServerOptions = {}): Promise<RunningServer> {
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does) before the e2e suite');
  if (!opts.freshPki && !existsSync(join(dataDir, 'ca.crt'))) copyPki(await pkiTemplate(), dataDir);
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'server', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--storage', 'sqlite', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const readyLine = await new Promise<string>((resolveReady, reject) => {
    // Under the load of a parallel run a start has taken over 20 s; the hook's own limit is 60 s.
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server not ready in ${READY_TIMEOUT_MS / 1000} s: ${err}`));
    }, READY_TIMEOUT_MS);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(t);
        resolveReady(out.slice(0, nl));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`server exited with ${code}: ${err}`));
    });
  });
  // https by default; http with --insecure-http: the ready line says which.
  const url = readyLine.match(/listening on (https?:\/\/\S+)/)?.[1] ?? `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    dataDir,
    kubeconfig: join(dataDir, 'kubeconfig.yaml'),
    readyLine,
    child,
    get stdout() {
      return out;
    },
    stop() {
      if (child.exitCode !== null) return Promise.resolve(child.exitCode);
      return new Promise((res) => {
        child.once('exit', (code) => res(code));
        child.kill('SIGTERM');
      });
    },
  } as RunningServer;
}

/** Key and certificate files a first start writes (CA, serving, client and service-account keys). */
const PKI_FILE = /\.(crt|key|pub)$/;

function copyPki(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) if (PKI_FILE.test(f)) copyFileSync(join(from, f), join(to, f));
}

/**
 * The PKI of a server started once per run (all components, so every certificate is made), in the directory the
 * global setup provides. The first caller makes it; callers in other workers wait for its `ready` mark.
 */
async function pkiTemplate(): Promise<string> {
  const root = inject('pkiTemplateDir');
  const data = join(root, 'data');
  const ready = join(root, 'ready');
  try {
    mkdirSync(join(root, 'lock'));
  } catch {
    for (let waited = 0; !existsSync(ready); waited += 100) {
      if (waited > 60_000) throw new Error(`no PKI template in ${root} after 60 s`);
      await sleep(100);
    }
    return data;
  }
  const server = await startServer(data, ['--storage', 'memory'], { freshPki: true });
  await server.stop();
  writeFileSync(ready, '');
  return data;
}
