/**
 * The writes that repeat forever, base build against this one: a node agent's lease renewals (PUT leases in
 * kube-node-lease), its node status reports (merge PATCH nodes/status) and pod status updates (merge PATCH
 * pods/status), sent over real HTTP(S) on loopback to two `skiff server` processes (sqlite, scheduler and
 * controllers in the loop, as `bench nodes` runs it), with the API thread's CPU per request read from schedstat.
 *
 *   npm run bench -- updates --base /path/to/base/worktree [--nodes 2000] [--pods 2000] [--rounds 6]
 *                            [--concurrency 32] [--status-share 0.25] [--plain] [--warmup 2]
 *                            [--builds base,this] (one of them alone, e.g. to profile it) [--cpu-prof DIR]
 *
 * The bench process plays the agent (the same kubeconfig, user agent and request bodies as `skiff nodes`); the
 * servers are measured, not it. Rounds alternate the two builds (base, this; this, base; …) so the machine's
 * other load falls on both alike; each round renews every lease once, reports `status-share` of the nodes'
 * statuses (heartbeat times moved, as the kubelet does every 5 minutes) and patches as many pods' statuses (their
 * Ready and ContainersReady conditions and the container's ready flipped, the rest kept). The figures are the
 * medians over rounds of API-thread µs per request, with the spread.
 * `--base` is another worktree of this repository, built (its bin/skiff.js and dist/ are run as they are).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RestClient } from '../../src/client/rest.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { Leases, Namespaces, Nodes, Pods, ServiceAccounts } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { buildNode, nodeStatus, nodeStatusPatch, type NodeStatus } from '../../src/dataplane/kubelet/node-object.js';
import { rfc3339 } from '../../src/client/time.js';
import { buildLease, renewDecision, NODE_LEASE_NAMESPACE, DEFAULT_LEASE_DURATION_SECONDS } from '../../src/dataplane/kubelet/lease.js';
import { DEFAULT_NODE_SPEC, expandNodes, type NodeConfig } from '../../src/dataplane/kubelet/spec.js';
import { flag, fmtNum, median, numberFlag, pool, printTable } from '../runner/index.js';
import { startSkiff, threadCpuNs, type Proc } from '../runner/procs.js';

type Kind = 'lease' | 'node' | 'pod';
const KINDS: readonly Kind[] = ['lease', 'node', 'pod'];
const HOST = { kubeletPort: 10250, bootID: '00000000-0000-0000-0000-000000000001', kernelVersion: '6.1.0' };
const POD_NS = 'bench-updates';
/** When the bench's pods started (their status times that do not move). */
const STARTED = rfc3339(Date.now());

/** One server under measurement and the agent-side state the bench keeps for it (leases' last versions, statuses). */
interface Side {
  name: 'base' | 'this';
  proc: Proc;
  dir: string;
  client: RestClient;
  leases: KubeObject[];
  uids: string[];
  statuses: NodeStatus[];
  ready: boolean[];
  podUids: string[];
  /** Per kind, µs of API thread CPU per request, one figure per round. */
  us: Record<Kind, number[]>;
}

export async function run(args: string[]): Promise<unknown> {
  const baseDir = flag(args, 'base');
  if (!baseDir) throw new Error('--base DIR: a built worktree to compare against (its bin/skiff.js is run)');
  const nodes = numberFlag(args, 'nodes', 2000);
  const pods = numberFlag(args, 'pods', 2000);
  const rounds = numberFlag(args, 'rounds', 6);
  const concurrency = numberFlag(args, 'concurrency', 32);
  const statusShare = numberFlag(args, 'status-share', 0.25);
  const warmup = numberFlag(args, 'warmup', 2);
  const plain = args.includes('--plain');
  const profileDir = flag(args, 'cpu-prof');
  const only = (flag(args, 'builds') ?? 'base,this').split(',');
  const cfgs = expandNodes({ ...DEFAULT_NODE_SPEC, count: nodes });
  const load0 = loadavg()[0] ?? 0;

  const sides: Side[] = [];
  try {
    for (const [name, bin] of [['base', resolve(baseDir, 'bin/skiff.js')], ['this', undefined]] as const) {
      if (!only.includes(name)) continue;
      const dir = mkdtempSync(join(tmpdir(), `skiff-bench-updates-${name}-`));
      const proc = await startSkiff(['server', '--data-dir', dir, '--listen', '127.0.0.1:0', '--nodes', '0', ...(plain ? ['--insecure-http'] : [])], /listening on (https?:\/\/\S+)/, undefined, profileDir ? ['--cpu-prof', '--cpu-prof-interval', '250', '--cpu-prof-dir', join(profileDir, name)] : [], bin);
      const client = plain
        ? new RestClient({ server: proc.readyMatch[1]! }, { maxSockets: concurrency, userAgent: 'skiff-nodes' })
        : new RestClient(loadKubeconfig(join(dir, 'kubeconfig.yaml')), { maxSockets: concurrency, userAgent: 'skiff-nodes' });
      const side: Side = { name, proc, dir, client, leases: [], uids: [], statuses: [], ready: [], podUids: [], us: { lease: [], node: [], pod: [] } };
      sides.push(side);
      await register(side, cfgs, pods, concurrency);
    }
    for (let w = 0; w < warmup; w++) for (const s of sides) await round(s, cfgs, pods, concurrency, statusShare, false);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      for (const s of order) await round(s, cfgs, pods, concurrency, statusShare, true);
    }
  } finally {
    for (const s of sides) {
      s.client.close();
      await s.proc.stop();
      rmSync(s.dir, { recursive: true, force: true });
    }
  }
  const load1 = loadavg()[0] ?? 0;
  const figures = Object.fromEntries(KINDS.map((k) => [k, Object.fromEntries(sides.map((s) => [s.name, summary(s.us[k])]))]));
  printTable(
    `API thread µs per request, median [min–max] of ${rounds} rounds (${nodes} nodes, ${pods} pods, load ${load0.toFixed(1)} → ${load1.toFixed(1)})`,
    ['write', 'base', 'this', 'this/base'],
    KINDS.map((k) => {
      const b = summary(sides.find((s) => s.name === 'base')?.us[k] ?? []);
      const t = summary(sides.find((s) => s.name === 'this')?.us[k] ?? []);
      return [k, `${fmtNum(b.median)} [${fmtNum(b.min)}–${fmtNum(b.max)}]`, `${fmtNum(t.median)} [${fmtNum(t.min)}–${fmtNum(t.max)}]`, (t.median / b.median).toFixed(3)];
    }),
  );
  return { nodes, pods, rounds, concurrency, statusShare, plain, loadAverage1m: [load0, load1], figures };
}

function summary(xs: number[]): { median: number; min: number; max: number; all: number[] } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: median(xs), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN, all: xs };
}

/** Nodes and their leases as the agent registers them, and `pods` pods bound round-robin to them, Running. */
async function register(s: Side, cfgs: NodeConfig[], pods: number, concurrency: number): Promise<void> {
  const now = Date.now();
  await pool(cfgs.length, concurrency, async (i) => {
    const node = await s.client.create(Nodes, buildNode(cfgs[i]!, HOST, { ready: true }, now));
    s.uids[i] = node.metadata!.uid!;
    s.statuses[i] = node.status as unknown as NodeStatus;
    s.leases[i] = await s.client.create(Leases, buildLease({ nodeName: cfgs[i]!.name, nodeUid: s.uids[i], durationSeconds: DEFAULT_LEASE_DURATION_SECONDS }, now));
  });
  await s.client.create(Namespaces, { metadata: { name: POD_NS } }).catch(() => undefined);
  // ServiceAccount admission wants the namespace's default ServiceAccount (the controllers make it).
  for (let t = 0; t < 200; t++) {
    try {
      await s.client.get(ServiceAccounts, 'default', POD_NS);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await pool(pods, concurrency, async (i) => {
    const name = `p-${i}`;
    const pod = await s.client.create(Pods, {
      metadata: { name, namespace: POD_NS, labels: { app: `a${i % 10}` } },
      spec: { nodeName: cfgs[i % cfgs.length]!.name, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
    }, { namespace: POD_NS });
    s.podUids[i] = pod.metadata!.uid!;
    s.ready[i] = false;
  });
}

/**
 * The status the agent's status writer sends for a Running pod, its readiness as given: the readiness conditions
 * moved at `at`, everything else as since `started` (what the kubelet keeps across its writes).
 */
function podStatus(ready: boolean, nodeIP: string, i: number, at: string, started: string): Record<string, unknown> {
  const r = ready ? 'True' : 'False';
  return {
    phase: 'Running',
    conditions: [
      { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: started },
      { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: started },
      { type: 'Ready', status: r, lastProbeTime: null, lastTransitionTime: at },
      { type: 'ContainersReady', status: r, lastProbeTime: null, lastTransitionTime: at },
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: started },
    ],
    hostIP: nodeIP, hostIPs: [{ ip: nodeIP }],
    podIP: `10.200.${(i >> 8) & 255}.${i & 255}`, podIPs: [{ ip: `10.200.${(i >> 8) & 255}.${i & 255}` }],
    startTime: started, qosClass: 'Burstable',
    containerStatuses: [{
      name: 'c', state: { running: { startedAt: started } }, lastState: {}, ready, restartCount: 0,
      image: 'registry.k8s.io/pause:3.10', imageID: 'registry.k8s.io/pause@sha256:ee6521f290b2168b6e0935a181d4cff9be1ac3f505666ef0e3c98fae8199917a',
      containerID: `skiff-sim://${i.toString(16).padStart(12, '0')}`, started: true,
    }],
  };
}

/** One round on one server: every lease renewed, a share of node statuses reported, as many pod statuses patched. */
async function round(s: Side, cfgs: NodeConfig[], pods: number, concurrency: number, statusShare: number, record: boolean): Promise<void> {
  const pid = s.proc.pid;
  const measure = async (kind: Kind, n: number, op: (i: number) => Promise<unknown>): Promise<void> => {
    const c0 = threadCpuNs(pid);
    await pool(n, concurrency, op);
    const us = (threadCpuNs(pid) - c0) / 1000 / n;
    if (record) s.us[kind].push(us);
  };
  await measure('lease', cfgs.length, async (i) => {
    const d = renewDecision({ running: true, lease: s.leases[i] }, { nodeName: cfgs[i]!.name, nodeUid: s.uids[i], durationSeconds: DEFAULT_LEASE_DURATION_SECONDS }, Date.now());
    if (d.action !== 'update') throw new Error(`lease ${cfgs[i]!.name}: ${d.action}`);
    s.leases[i] = await s.client.update(Leases, d.lease);
    if (s.leases[i]!.metadata?.namespace !== NODE_LEASE_NAMESPACE) throw new Error('lease renewal answered with another object');
  });
  const nStatus = Math.min(cfgs.length, Math.max(1, Math.round(cfgs.length * statusShare)));
  const now = Date.now();
  await measure('node', nStatus, async (i) => {
    const next = nodeStatus(cfgs[i]!, HOST, { ready: true }, now, s.statuses[i]!.conditions);
    await s.client.patch(Nodes, undefined, cfgs[i]!.name, nodeStatusPatch(s.statuses[i], next), 'merge', { subresource: 'status' });
    s.statuses[i] = next;
  });
  const nPods = Math.min(pods, nStatus);
  const at = rfc3339(now);
  await measure('pod', nPods, async (i) => {
    const ready = !s.ready[i];
    // The uid in the patch makes the server refuse a same-named replacement pod (as the agent's status writer sends it).
    const body = { metadata: { uid: s.podUids[i] }, status: podStatus(ready, cfgs[i % cfgs.length]!.internalIP, i, at, STARTED) };
    await s.client.patch(Pods, POD_NS, `p-${i}`, body, 'merge', { subresource: 'status' });
    s.ready[i] = ready;
  });
}
