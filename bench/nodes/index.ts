/**
 * Simulated nodes at scale: one `skiff nodes` agent process with N nodes against one `skiff server` process on
 * sqlite (with its scheduler and controllers), each measured from /proc.
 *
 *   npm run bench -- nodes [--nodes 1000,5000,15000] [--steady-seconds 30] [--rates 500,1000] [--rate-seconds 10]
 *                          [--latency-at 5000] [--hold-pods 150000 --hold-at 15000] [--cpu-prof DIR]
 *                          [--quiet-seconds 5] [--settle-max-seconds 180] [--server-args '--heap-growing-percent 0']
 *
 * Per node count: time from the agent's start to every node Ready (seen on a watch); over a steady window with
 * only heartbeats (Leases every 10 s, NodeStatus at most every 5 min): the API server thread's CPU per second,
 * the whole server process's, and the agent's; the agent's RSS; the lease renewals the agent made in the window
 * (its /nodes counters) and the API thread's CPU per renewal, which compares builds whatever rate a loaded machine
 * let the agent reach. At --latency-at nodes: pod startup latency
 * (create sent → Running and Ready seen on a watch, p50/p99; and create sent → its response, and → bound) for
 * pods created at each rate for --rate-seconds, with each process's CPU per pod over that window.
 * With --hold-pods at --hold-at nodes: that many pods created and Running, the steady window measured again,
 * and both processes' peak RSS (the issue's 15,000 nodes + 150,000 Running pods target).
 * Registration leaves a tail of Events (each node's kubelet events, the node controller's RegisteredNode) that
 * the recorders post for a while after every node is Ready, and of node IPAM's podCIDR patches: the steady window
 * starts once every node has its podCIDR and no Event has been created for --quiet-seconds (default 5; at most --settle-max-seconds, default 180), so it holds heartbeats only.
 * With --cpu-prof DIR the server runs under `node --cpu-prof` and writes its profile into DIR when it stops; with
 * --rates 0 it stops right after the steady window, so the profile's last --steady-seconds are that window.
 * --server-args: more `skiff server` flags (space-separated), to compare a server setting in the same build.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, isConflict, RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { Events, Namespaces, Nodes, Pods } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { flag, fmtMiB, fmtMs, fmtNum, nowMs, numberFlag, percentiles, pool, printTable, type Latency } from '../runner/index.js';
import { cpuSeconds, memMiB, startSkiff } from '../runner/procs.js';
import { waitNodesReady, waitNodesWhere } from '../runner/watch.js';

interface NodeRun {
  nodes: number;
  allReadySeconds: number;
  /** From all Ready until registration's Events stopped (the steady window starts then). */
  settleSeconds: number;
  steadySeconds: number;
  /** CPU per wall second during the steady window (1 = one full core). */
  apiServerThreadCpu: number;
  serverProcessCpu: number;
  agentCpu: number;
  /** Lease renewals the agent made per second of the steady window (its /nodes counters). */
  leaseRenewalsPerSecond: number;
  /** API server thread CPU over the window per lease renewal in it (µs): heartbeat cost whatever rate was reached. */
  apiThreadUsPerRenewal: number;
  agentRssMiB: number;
  agentPeakRssMiB: number;
  serverRssMiB: number;
  /**
   * Per rate: the CPU each process spent from the first create until every pod was seen Running (or the wait
   * gave up), per pod created (ms): the figure that compares builds whatever latency a loaded machine allowed.
   */
  latency: { rate: number; pods: number; achievedRate: number; running: number; latency: Latency; toCreated: Latency; toBound: Latency; apiThreadMsPerPod: number; serverMsPerPod: number; agentMsPerPod: number; loadAverage1m: number }[];
  /** With --hold-pods: that many pods created and Running, then the steady window measured again. */
  hold?: { pods: number; deletedBeforeRunning: number; createSeconds: number; allRunningSeconds: number; apiServerThreadCpu: number; serverProcessCpu: number; agentCpu: number; serverPeakRssMiB: number; agentPeakRssMiB: number };
  loadAverage1m: number;
}

/** Room for a /24 podCIDR per node (the default /16 holds 256): 32,768 of them, so 15,000 nodes all get one. */
const CLUSTER_CIDR = '10.128.0.0/9';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const podBody = (name: string): KubeObject => ({
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
});

/**
 * Creates one held pod, again after a failure that is not the server's answer to it (a connect timeout on a
 * loaded machine ended 150,000-pod runs); AlreadyExists means an earlier attempt got through.
 */
async function createHeld(client: RestClient, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.create(Pods, podBody(name), { namespace: 'hold' });
      return;
    } catch (err) {
      if (isConflict(err)) return;
      const transient = !(err instanceof ApiError) || err.code === 429 || err.code >= 500;
      if (!transient || attempt >= 10) throw err;
      await sleep(1000 * attempt);
    }
  }
}

/**
 * Creates pods at `rate` per second for `seconds`, and measures create → Running+Ready on a watch, and the CPU
 * the server (its API thread, the whole process) and the agent spent meanwhile, per pod.
 */
async function startupLatency(client: RestClient, ns: string, rate: number, seconds: number, serverPid: number, agentPid: number): Promise<NodeRun['latency'][number]> {
  const total = Math.round(rate * seconds);
  const c0 = { api: cpuSeconds(serverPid, serverPid), server: cpuSeconds(serverPid), agent: cpuSeconds(agentPid) };
  const sent = new Map<string, number>();
  const lat: number[] = [];
  // create → spec.nodeName seen: the scheduler's share of the latency (the rest is the agent's and the status write's).
  const toBound: number[] = [];
  // create sent → its response: the client's and the API server's share (queueing for a socket and a seat included).
  const toCreated: number[] = [];
  const bound = new Set<string>();
  const from = (await client.list(Pods, { namespace: ns, limit: 1 })).metadata.resourceVersion ?? '0';
  const ac = new AbortController();
  const watching = (async () => {
    for await (const ev of client.watch(Pods, { namespace: ns, resourceVersion: from, signal: ac.signal })) {
      const name = ev.object.metadata?.name ?? '';
      const st = ev.object.status as { phase?: string; conditions?: { type: string; status: string }[] } | undefined;
      const t0 = sent.get(name);
      if (t0 !== undefined && !bound.has(name) && (ev.object.spec as { nodeName?: string } | undefined)?.nodeName) {
        bound.add(name);
        toBound.push(nowMs() - t0);
      }
      if (t0 !== undefined && st?.phase === 'Running' && st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
        lat.push(nowMs() - t0);
        sent.delete(name);
        if (lat.length >= total) return;
      }
    }
  })();
  const start = nowMs();
  const inflight = new Set<Promise<unknown>>();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - nowMs();
    if (wait > 1) await sleep(wait);
    const name = `p-${rate}-${i}`;
    const t0 = nowMs();
    sent.set(name, t0);
    const p = client.create(Pods, podBody(name), { namespace: ns }).then(() => toCreated.push(nowMs() - t0)).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= 256) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const achievedRate = total / ((nowMs() - start) / 1000);
  await Promise.race([watching, sleep(60_000)]);
  ac.abort();
  const perPod = (s: number) => (s * 1000) / total;
  return {
    loadAverage1m: loadavg()[0] ?? 0,
    rate, pods: total, achievedRate, running: lat.length, latency: percentiles(lat), toCreated: percentiles(toCreated), toBound: percentiles(toBound),
    apiThreadMsPerPod: perPod(cpuSeconds(serverPid, serverPid) - c0.api), serverMsPerPod: perPod(cpuSeconds(serverPid) - c0.server), agentMsPerPod: perPod(cpuSeconds(agentPid) - c0.agent),
  };
}

/**
 * Resolves when `want` pods of the namespace have been seen Running or deleted first (one watch from the list's
 * revision), with how many were deleted before they ran: on an overloaded machine a node's lease can come late
 * enough for the node lifecycle controller to taint it and evict its pods, and an evicted Pending pod never runs.
 */
async function waitRunning(client: RestClient, ns: string, want: number): Promise<{ deletedFirst: number }> {
  const running = new Set<string>();
  const deleted = new Set<string>();
  const ac = new AbortController();
  try {
    for await (const ev of client.watch(Pods, { namespace: ns, resourceVersion: '0', signal: ac.signal })) {
      const name = ev.object.metadata!.name!;
      if (ev.type === 'DELETED') {
        if (!running.has(name)) deleted.add(name);
      } else if ((ev.object.status as { phase?: string } | undefined)?.phase === 'Running') running.add(name);
      if (running.size + deleted.size >= want) return { deletedFirst: deleted.size };
    }
    return { deletedFirst: deleted.size };
  } finally {
    ac.abort();
  }
}

/**
 * Resolves once no Event has been created for `quietSeconds` (or after `maxSeconds`): registration's Events are
 * posted by rate-limited recorders well after the nodes are Ready, and are not heartbeat load.
 */
async function eventsQuiet(client: RestClient, quietSeconds: number, maxSeconds: number): Promise<void> {
  const from = (await client.list(Events, { limit: 1 })).metadata.resourceVersion ?? '0';
  const ac = new AbortController();
  let last = nowMs();
  const deadline = last + maxSeconds * 1000;
  const watching = (async () => {
    try {
      for await (const ev of client.watch(Events, { resourceVersion: from, signal: ac.signal })) if (ev.type === 'ADDED') last = nowMs();
    } catch {
      // aborted
    }
  })();
  while (nowMs() - last < quietSeconds * 1000 && nowMs() < deadline) await sleep(500);
  ac.abort();
  await watching;
}

/** Lease renewals the agent has made so far, summed over its nodes (GET /nodes on the agent's API). */
async function leaseRenewals(agentUrl: string): Promise<number> {
  const res = await fetch(`${agentUrl}/nodes`);
  const body = (await res.json()) as { nodes: { leaseRenewals: number }[] };
  return body.nodes.reduce((sum, n) => sum + n.leaseRenewals, 0);
}

/** CPU per wall second of the server's main thread, the server process and the agent over `seconds`. */
async function steadyCpu(serverPid: number, agentPid: number, seconds: number): Promise<{ api: number; server: number; agent: number }> {
  const c0 = { api: cpuSeconds(serverPid, serverPid), server: cpuSeconds(serverPid), agent: cpuSeconds(agentPid), t: nowMs() };
  await sleep(seconds * 1000);
  const wall = (nowMs() - c0.t) / 1000;
  return { api: (cpuSeconds(serverPid, serverPid) - c0.api) / wall, server: (cpuSeconds(serverPid) - c0.server) / wall, agent: (cpuSeconds(agentPid) - c0.agent) / wall };
}

export async function run(args: string[]): Promise<{ runs: NodeRun[]; cores: number }> {
  const counts = (flag(args, 'nodes') ?? '1000,5000,15000').split(',').map(Number);
  const steadySeconds = numberFlag(args, 'steady-seconds', 30);
  const rates = (flag(args, 'rates') ?? '500,1000').split(',').map(Number).filter((n) => n > 0);
  const rateSeconds = numberFlag(args, 'rate-seconds', 10);
  const latencyAt = numberFlag(args, 'latency-at', 5000);
  const holdPods = numberFlag(args, 'hold-pods', 0);
  const holdAt = numberFlag(args, 'hold-at', Math.max(...counts));
  const cpuProfDir = flag(args, 'cpu-prof');
  const quietSeconds = numberFlag(args, 'quiet-seconds', 5);
  const settleMaxSeconds = numberFlag(args, 'settle-max-seconds', 180);
  const serverNodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const serverArgs = (flag(args, 'server-args') ?? '').split(' ').filter(Boolean);
  const runs: NodeRun[] = [];
  for (const n of counts) {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-nodes-'));
    const server = await startSkiff(['server', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--nodes', '0', '--cluster-cidr', CLUSTER_CIDR, ...serverArgs], /listening on (https?:\/\/\S+)/, undefined, serverNodeArgs);
    const client = new RestClient(loadKubeconfig(join(dataDir, 'kubeconfig.yaml')), { maxSockets: 64 });
    let agent: Awaited<ReturnType<typeof startSkiff>> | null = null;
    try {
      const t0 = nowMs();
      agent = await startSkiff(['nodes', '--kubeconfig', join(dataDir, 'kubeconfig.yaml'), '--count', String(n), '--listen', '127.0.0.1:0', '--cpu', '4', '--memory', '32Gi', '--pods', '110'], /registered in .*agent (https?:\/\/\S+)/);
      const agentUrl = agent.readyMatch[1]!;
      await waitNodesReady(client, n);
      const allReadySeconds = (nowMs() - t0) / 1000;
      // Let registration's burst settle (its Events included), then measure heartbeats alone.
      await sleep(10_000);
      const s0 = nowMs();
      // Registration also ends with every node's podCIDR (node IPAM's patches, which a Ready node may still wait for).
      await waitNodesWhere(client, n, (node) => Boolean((node.spec as { podCIDR?: string } | undefined)?.podCIDR));
      await eventsQuiet(client, quietSeconds, settleMaxSeconds);
      const settleSeconds = (nowMs() - s0) / 1000 + 10;
      const r0 = await leaseRenewals(agentUrl);
      const c0 = { api: cpuSeconds(server.pid, server.pid), server: cpuSeconds(server.pid), agent: cpuSeconds(agent.pid), t: nowMs() };
      await sleep(steadySeconds * 1000);
      const wall = (nowMs() - c0.t) / 1000;
      const apiSeconds = cpuSeconds(server.pid, server.pid) - c0.api;
      const renewed = (await leaseRenewals(agentUrl)) - r0;
      const r: NodeRun = {
        nodes: n,
        allReadySeconds,
        settleSeconds,
        steadySeconds: wall,
        apiServerThreadCpu: apiSeconds / wall,
        serverProcessCpu: (cpuSeconds(server.pid) - c0.server) / wall,
        agentCpu: (cpuSeconds(agent.pid) - c0.agent) / wall,
        leaseRenewalsPerSecond: renewed / wall,
        apiThreadUsPerRenewal: renewed > 0 ? (apiSeconds / renewed) * 1e6 : NaN,
        agentRssMiB: memMiB(agent.pid, 'VmRSS'),
        agentPeakRssMiB: memMiB(agent.pid, 'VmHWM'),
        serverRssMiB: memMiB(server.pid, 'VmRSS'),
        latency: [],
        loadAverage1m: loadavg()[0] ?? 0,
      };
      if (n === latencyAt) {
        await client.create(Namespaces, { metadata: { name: 'bench' } });
        for (const rate of rates) r.latency.push(await startupLatency(client, 'bench', rate, rateSeconds, server.pid, agent.pid));
      }
      if (holdPods > 0 && n === holdAt) {
        await client.create(Namespaces, { metadata: { name: 'hold' } });
        const h0 = nowMs();
        const allRunning = waitRunning(client, 'hold', holdPods);
        // Handled now too: when a create fails first, its rejection must not crash the run before the finally
        // below stops the server and the agent (it left both running).
        allRunning.catch(() => {});
        await pool(holdPods, 64, (i) => createHeld(client, `h-${i}`));
        const createSeconds = (nowMs() - h0) / 1000;
        const { deletedFirst } = await allRunning;
        const allRunningSeconds = (nowMs() - h0) / 1000;
        await sleep(10_000);
        const cpu = await steadyCpu(server.pid, agent.pid, steadySeconds);
        r.hold = { pods: holdPods, deletedBeforeRunning: deletedFirst, createSeconds, allRunningSeconds, apiServerThreadCpu: cpu.api, serverProcessCpu: cpu.server, agentCpu: cpu.agent, serverPeakRssMiB: memMiB(server.pid, 'VmHWM'), agentPeakRssMiB: memMiB(agent.pid, 'VmHWM') };
        const h = r.hold;
        printTable(`${fmtNum(n)} nodes holding ${fmtNum(holdPods)} Running pods`, ['created in', 'all Running after', 'evicted before Running', 'steady: API thread CPU', 'server process CPU', 'agent CPU', 'server peak RSS', 'agent peak RSS', 'load 1m'],
          [[`${h.createSeconds.toFixed(1)} s`, `${h.allRunningSeconds.toFixed(1)} s`, fmtNum(h.deletedBeforeRunning), `${(h.apiServerThreadCpu * 100).toFixed(1)}%`, `${(h.serverProcessCpu * 100).toFixed(1)}%`, `${(h.agentCpu * 100).toFixed(1)}%`,
            fmtMiB(h.serverPeakRssMiB * 2 ** 20), fmtMiB(h.agentPeakRssMiB * 2 ** 20), (loadavg()[0] ?? 0).toFixed(2)]]);
      }
      runs.push(r);
      printTable(`${fmtNum(n)} simulated nodes (one agent process) against skiff server on sqlite`, [
        'all Ready', 'settled after', 'steady: API thread CPU', 'lease renewals/s', 'API thread per renewal', 'server process CPU', 'agent CPU', 'agent RSS (peak)', 'server RSS', 'load 1m',
      ], [[`${allReadySeconds.toFixed(1)} s`, `${settleSeconds.toFixed(1)} s`, `${(r.apiServerThreadCpu * 100).toFixed(1)}%`, r.leaseRenewalsPerSecond.toFixed(0), `${r.apiThreadUsPerRenewal.toFixed(0)} us`, `${(r.serverProcessCpu * 100).toFixed(1)}%`,
        `${(r.agentCpu * 100).toFixed(1)}%`, `${fmtMiB(r.agentRssMiB * 2 ** 20)} (${fmtMiB(r.agentPeakRssMiB * 2 ** 20)})`, fmtMiB(r.serverRssMiB * 2 ** 20), r.loadAverage1m.toFixed(2)]]);
      if (r.latency.length) {
        printTable(`pod startup latency at ${fmtNum(n)} nodes (create → Running and Ready, scheduler in the loop)`, ['rate', 'pods', 'achieved', 'Running', 'p50', 'p90', 'p99', 'max', 'created p50', 'created p99', 'bound p50', 'bound p99', 'API thread CPU/pod', 'server CPU/pod', 'agent CPU/pod', 'load 1m'],
          r.latency.map((l) => [`${l.rate}/s`, fmtNum(l.pods), `${l.achievedRate.toFixed(0)}/s`, fmtNum(l.running), fmtMs(l.latency.p50), fmtMs(l.latency.p90), fmtMs(l.latency.p99), fmtMs(l.latency.max), fmtMs(l.toCreated.p50), fmtMs(l.toCreated.p99), fmtMs(l.toBound.p50), fmtMs(l.toBound.p99),
            `${l.apiThreadMsPerPod.toFixed(2)} ms`, `${l.serverMsPerPod.toFixed(2)} ms`, `${l.agentMsPerPod.toFixed(2)} ms`, l.loadAverage1m.toFixed(2)]));
      }
    } finally {
      client.close();
      await agent?.stop();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return { runs, cores: availableParallelism() };
}
