/**
 * Controllers at scale, shaped as a stock cluster: `skiff server` (sqlite, nothing else in it), `skiff scheduler`,
 * `skiff controller-manager` and `skiff nodes` as four processes on 127.0.0.1, each one's CPU read from /proc.
 *
 *   npm run bench -- controllers [--nodes 1000] [--replicas 10000] [--phases 5] [--profile DIR] [--server-args "..."]
 *
 * --phases N runs only the first N phases; --profile DIR writes each process's V8 CPU profile (node --cpu-prof)
 * into DIR when the bench stops them; --timeline FILE samples each process's CPU and the pods' states every
 * 250 ms into FILE (timeline.ts); --server-args adds flags to `skiff server`'s (space-separated, e.g.
 * "--audit-log-path /tmp/audit.log" to count requests per pod).
 *
 * The phases start once the nodes are Ready and their registration Events have all been posted (no Event for 2 s),
 * after a 10 s quiet window that reads each process's background CPU (leases, node status): the last table gives
 * each process's CPU per pod net of it, which does not grow with a phase's length as the raw figures do.
 * Phases, each timed from the write that starts it to the state a user waits for (seen on a watch):
 * a Deployment of --replicas created → all available; a rolling update (25% surge / 25% unavailable) → all
 * updated and available with the old pods gone; scale to 0 → no pods; scaled back up, then its namespace
 * deleted → namespace gone. pods/s = replicas / seconds. "server ms/pod" is the API server's CPU per replica: on a
 * shared machine the wall time follows the load, this follows the server's work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { Deployments, Namespaces } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { flag, fmtNum, nowMs, numberFlag, printTable } from '../runner/index.js';
import { cpuSeconds, memMiB, startSkiff, type Proc } from '../runner/procs.js';
import { waitEventsQuiet, waitNodesReady, waitPodCount, watchUntil } from '../runner/watch.js';
import { Timeline } from './timeline.js';

const PROCS = ['server', 'scheduler', 'controllers', 'nodes'] as const;
/** The quiet window after start-up in which each process's background CPU is read. */
const IDLE_SECONDS = 10;
/** Room for a /24 podCIDR per node (the default /16 holds 256): 32,768 of them. */
const CLUSTER_CIDR = '10.128.0.0/9';
type ProcName = (typeof PROCS)[number];

interface Phase {
  phase: string;
  seconds: number;
  podsPerSecond: number;
  /** CPU seconds per wall second (1 = a core) of each process during the phase. */
  cpu: Record<ProcName, number>;
  loadAverage1m: number;
}

type Deployment = KubeObject & { status?: { replicas?: number; updatedReplicas?: number; availableReplicas?: number; observedGeneration?: number } };

const deployment = (name: string, replicas: number, image: string): KubeObject => ({
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image, resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } },
  },
});

/** The Deployment at generation `gen` has `n` replicas, all updated and available, and no others. */
const settled = (gen: number, n: number) => (d: Deployment | null): boolean =>
  !!d && (d.status?.observedGeneration ?? 0) >= gen && d.status?.replicas === n && d.status?.updatedReplicas === n && (d.status?.availableReplicas ?? 0) === n;

export async function run(args: string[]): Promise<{ nodes: number; replicas: number; phases: Phase[]; peakRssMiB: Record<ProcName, number>; idleCpu: Record<ProcName, number>; cores: number }> {
  const nodes = numberFlag(args, 'nodes', 1000);
  const replicas = numberFlag(args, 'replicas', 10000);
  const phaseCount = numberFlag(args, 'phases', 5);
  const profileDir = flag(args, 'profile');
  const timelineFile = flag(args, 'timeline');
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const serverArgs = (flag(args, 'server-args') ?? '').split(/\s+/).filter(Boolean);
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-controllers-'));
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const procs: Partial<Record<ProcName, Proc>> = {};
  let client: RestClient | null = null;
  let timeline: Timeline | undefined;
  const phases: Phase[] = [];
  try {
    procs.server = await startSkiff(['server', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '0', '--no-scheduler', '--no-controllers', ...serverArgs], /listening on (https?:\/\/\S+)/, undefined, nodeArgs);
    client = new RestClient(loadKubeconfig(kubeconfig), { maxSockets: 16 });
    procs.scheduler = await startSkiff(['scheduler', '--kubeconfig', kubeconfig], /caches synced/, undefined, nodeArgs);
    procs.controllers = await startSkiff(['controller-manager', '--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0', '--cluster-cidr', CLUSTER_CIDR], /leading, caches synced/, undefined, nodeArgs);
    procs.nodes = await startSkiff(['nodes', '--kubeconfig', kubeconfig, '--count', String(nodes), '--listen', '127.0.0.1:0', '--cpu', '4', '--memory', '32Gi', '--pods', '110'], /registered in/, undefined, nodeArgs);
    await waitNodesReady(client, nodes);
    // The nodes' registration Events (5 or so a node) and the controller-manager's RegisteredNode ones are still
    // being posted when the last node turns Ready; on a busy machine that took minutes and ran into the phases.
    // A cluster a Deployment lands on registered its nodes long before: wait until Events stop arriving.
    const settle = await waitEventsQuiet(client, 2000, 180_000);
    console.error(`startup settled: ${settle.events} more Events in ${(settle.ms / 1000).toFixed(1)} s`);
    // What each process spends with no pods at all (node leases and status, controllers' periodic work): it runs
    // under every phase too, in proportion to its length, so "net ms/pod" takes it out.
    const idle0 = PROCS.map((p) => cpuSeconds(procs[p]!.pid));
    const idleT0 = nowMs();
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const idleSeconds = (nowMs() - idleT0) / 1000;
    const idleCpu = Object.fromEntries(PROCS.map((p, i) => [p, (cpuSeconds(procs[p]!.pid) - idle0[i]!) / idleSeconds])) as Record<ProcName, number>;
    const c = client;
    const all = procs as Record<ProcName, Proc>;

    const measure = async (phase: string, pods: number, fn: () => Promise<void>): Promise<void> => {
      if (phases.length >= phaseCount) return;
      timeline?.phase(phase);
      const cpu0 = PROCS.map((p) => cpuSeconds(all[p].pid));
      const t0 = nowMs();
      await fn();
      const seconds = (nowMs() - t0) / 1000;
      const cpu = Object.fromEntries(PROCS.map((p, i) => [p, (cpuSeconds(all[p].pid) - cpu0[i]!) / seconds])) as Record<ProcName, number>;
      const ph: Phase = { phase, seconds, podsPerSecond: pods / seconds, cpu, loadAverage1m: loadavg()[0] ?? 0 };
      phases.push(ph);
      console.error(`${phase}: ${seconds.toFixed(1)} s`);
    };

    await c.create(Namespaces, { metadata: { name: 'bench' } });
    if (timelineFile) {
      timeline = new Timeline(timelineFile, c, 'bench', Object.fromEntries(PROCS.map((p) => [p, all[p].pid])));
      await timeline.start();
    }
    await measure(`create → ${fmtNum(replicas)} available`, replicas, async () => {
      await c.create(Deployments, deployment('web', replicas, 'nginx:1.27'), { namespace: 'bench' });
      await watchUntil<Deployment>(c, Deployments, { namespace: 'bench', name: 'web' }, settled(1, replicas));
    });
    await measure('rolling update (25%/25%)', replicas, async () => {
      const d = await c.patch<Deployment>(Deployments, 'bench', 'web', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.28' }] } } } }, 'strategic');
      await watchUntil<Deployment>(c, Deployments, { namespace: 'bench', name: 'web' }, settled(d.metadata!.generation!, replicas));
      await waitPodCount(c, 'bench', replicas);
    });
    await measure('scale to 0 (pods gone)', replicas, async () => {
      await c.patch(Deployments, 'bench', 'web', { spec: { replicas: 0 } }, 'merge');
      await waitPodCount(c, 'bench', 0);
    });
    await measure(`scale 0 → ${fmtNum(replicas)} available`, replicas, async () => {
      const d = await c.patch<Deployment>(Deployments, 'bench', 'web', { spec: { replicas } }, 'merge');
      await watchUntil<Deployment>(c, Deployments, { namespace: 'bench', name: 'web' }, settled(d.metadata!.generation!, replicas));
    });
    await measure(`delete the namespace (${fmtNum(replicas)} pods)`, replicas, async () => {
      await c.delete(Namespaces, undefined, 'bench');
      await watchUntil(c, Namespaces, { name: 'bench' }, (ns) => ns === null);
    });

    const peakRssMiB = Object.fromEntries(PROCS.map((p) => [p, memMiB(all[p].pid, 'VmHWM')])) as Record<ProcName, number>;
    const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
    printTable(`controllers: ${fmtNum(replicas)} replicas on ${fmtNum(nodes)} simulated nodes (server on sqlite, scheduler, controller-manager and nodes as separate processes; CPU as % of one core)`,
      ['phase', 'seconds', 'pods/s', 'server', 'scheduler', 'controllers', 'nodes', 'server ms/pod', 'load 1m'],
      phases.map((p) => [p.phase, p.seconds.toFixed(1), p.podsPerSecond.toFixed(0), pct(p.cpu.server), pct(p.cpu.scheduler), pct(p.cpu.controllers), pct(p.cpu.nodes), ((p.cpu.server * p.seconds * 1000) / replicas).toFixed(2), p.loadAverage1m.toFixed(2)]));
    printTable('peak RSS (MiB)', [...PROCS], [PROCS.map((p) => peakRssMiB[p].toFixed(0))]);
    const net = (p: Phase, proc: ProcName): string => ((Math.max(0, p.cpu[proc] - idleCpu[proc]) * p.seconds * 1000) / replicas).toFixed(2);
    printTable(`CPU ms per pod net of each process's background (idle, ${IDLE_SECONDS} s before the phases: ${PROCS.map((p) => `${p} ${pct(idleCpu[p])}`).join(', ')})`,
      ['phase', ...PROCS],
      phases.map((p) => [p.phase, ...PROCS.map((proc) => net(p, proc))]));
    return { nodes, replicas, phases, peakRssMiB, idleCpu, cores: availableParallelism() };
  } finally {
    timeline?.stop();
    client?.close();
    // Clients first, the server last: a client outliving the server reconnects (TLS handshakes) until it stops,
    // which --profile would charge to its phase work.
    for (const p of [...PROCS].reverse()) await procs[p]?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
