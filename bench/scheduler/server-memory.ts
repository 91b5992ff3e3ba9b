/**
 * Memory of the whole server as users run it: the real `skiff server` process (API server on sqlite + its
 * in-process scheduler), started from the built CLI on 127.0.0.1 with a free port. This process creates the
 * nodes and then the pods through the API, the server's scheduler binds them, and the server's own peak RSS is
 * read from /proc/<pid>/status (VmHWM), so neither this harness nor the pod creator counts against it.
 *
 *   npm run bench -- scheduler --skip-core --skip-e2e --server-memory [--memory-nodes 15000] [--memory-pods 100000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { Nodes, Pods } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { fmtMiB, fmtNum, fmtOps, nowMs, numberFlag, pool, printTable } from '../runner/index.js';
import { benchNode, WORKLOADS } from './core.js';

export interface ServerMemoryFigures {
  nodes: number;
  pods: number;
  /** Pods bound when the run ended (all of them unless it timed out). */
  bound: number;
  /** The server process's peak and final resident set (VmHWM, VmRSS), MiB. */
  peakRssMiB: number;
  finalRssMiB: number;
  /** Nodes + pods created and every pod bound, seconds; informational (creation and scheduling overlap). */
  seconds: number;
  /** Creating the nodes, creating the pods (bound meanwhile), then waiting for the last bind. */
  nodesSeconds: number;
  podsSeconds: number;
  bindTailSeconds: number;
  loadAverage1m: number;
  cores: number;
}

const BIN = resolve(import.meta.dirname, '../../../bin/skiff.js');

function procStatusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`skiff server not ready in 30 s: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/listening on (https?:\/\/\S+)/);
      if (m) {
        clearTimeout(t);
        resolveUrl(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`skiff server exited (${code}): ${err}`)));
  });
  return { child, url };
}

/**
 * Resolves when `want` distinct pods have been seen bound on a watch from `fromRevision` (one stream the
 * server fans out anyway, instead of polling lists of a hundred thousand pods), or when `signal` aborts.
 */
async function waitBound(client: RestClient, fromRevision: string, want: number, signal: AbortSignal): Promise<number> {
  const bound = new Set<string>();
  for await (const ev of client.watch(Pods, { namespace: 'default', resourceVersion: fromRevision, signal })) {
    const name = ev.object.metadata?.name;
    if (ev.type !== 'ERROR' && name && (ev.object.spec as { nodeName?: string } | undefined)?.nodeName) bound.add(name);
    if (bound.size >= want) break;
  }
  return bound.size;
}

export async function runServerMemory(args: string[]): Promise<ServerMemoryFigures> {
  const nodes = numberFlag(args, 'memory-nodes', 15000);
  const pods = numberFlag(args, 'memory-pods', 100000);
  const w = WORKLOADS.find((x) => x.name === 'SchedulingBasic')!;
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-memory-'));
  const { child, url } = await startServer(dataDir);
  const pid = child.pid!;
  const client = new RestClient({ ...loadKubeconfig(join(dataDir, 'kubeconfig.yaml')), server: url }, { maxSockets: 64 });
  try {
    const t0 = nowMs();
    await pool(nodes, 32, (i) => client.create(Nodes, benchNode(i)), `server memory: ${fmtNum(nodes)} nodes`);
    const t1 = nowMs();
    // The server's scheduler binds as pods arrive; a watch counts them (given up after ten minutes).
    const from = (await client.list(Pods, { namespace: 'default', limit: 1 })).metadata?.resourceVersion ?? '0';
    const giveUp = AbortSignal.timeout(600_000);
    const allBound = waitBound(client, from, pods, giveUp);
    await pool(pods, 64, (i) => client.create(Pods, w.pod(i, 'measure') as KubeObject), `server memory: ${fmtNum(pods)} pods`);
    const t2 = nowMs();
    const boundCount = await allBound;
    const t3 = nowMs();
    const seconds = (t3 - t0) / 1000;
    const phases = { nodesSeconds: (t1 - t0) / 1000, podsSeconds: (t2 - t1) / 1000, bindTailSeconds: (t3 - t2) / 1000 };
    const figures: ServerMemoryFigures = {
      nodes,
      pods,
      bound: boundCount,
      peakRssMiB: procStatusMiB(pid, 'VmHWM'),
      finalRssMiB: procStatusMiB(pid, 'VmRSS'),
      seconds,
      ...phases,
      loadAverage1m: loadavg()[0] ?? 0,
      cores: availableParallelism(),
    };
    printTable('skiff server memory (API server on sqlite + in-process scheduler; the creator is this separate process)', [
      'nodes', 'pods', 'bound', 'peak RSS (VmHWM)', 'final RSS', 'nodes / pods created / last bind after', 'pods/s overall', 'load 1m / cores',
    ], [[fmtNum(nodes), fmtNum(pods), fmtNum(figures.bound), fmtMiB(figures.peakRssMiB * 2 ** 20), fmtMiB(figures.finalRssMiB * 2 ** 20),
      `${phases.nodesSeconds.toFixed(1)} / ${phases.podsSeconds.toFixed(1)} / ${phases.bindTailSeconds.toFixed(1)} s`, fmtOps(pods / seconds),
      `${figures.loadAverage1m.toFixed(2)} / ${figures.cores}`]]);
    return figures;
  } finally {
    client.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
