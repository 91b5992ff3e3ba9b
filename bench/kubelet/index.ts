/**
 * One real runc node: pod startup latency and the agent's cost per pod (the issue's `bench/kubelet`).
 *
 *   npm run bench -- kubelet [--pods 100] [--rate 10] [--steady-seconds 10] [--settle-seconds 3] [--poll-ms N]
 *                            [--exec-trace FILE] [--cpu-prof DIR]
 *
 * As root with runc and /bin/busybox. A real API server (memory store) in this process; the node agent
 * (agent-main.ts) in its own process, its node in its own network namespace `skiff-t-<run>-node-bench`; a busybox
 * image built here from /bin/busybox and loaded into the node's store (the image is present: no pulls are timed).
 * Pods name the node (spec.nodeName), so no scheduler is in the loop.
 *
 * Startup latency: create sent → phase Running seen on a watch, for --pods pods created at --rate per second
 * (0: all at once), after one warm-up pod that is not counted. Agent overhead: its RSS and CPU per wall second
 * over a steady window with 0 pods and again with --pods Running; the difference per pod. The per-container
 * supervisors (sh + runc, outside the agent) are reported apart, as proportional set size (PSS).
 * Everything is removed at the end, also on failure and on SIGINT/SIGTERM.
 *
 * --exec-trace FILE runs the agent under `strace -f -e trace=execve` and prints which programs it ran per pod
 * start (where the child-process time goes); strace slows the agent, so the other figures of that run are not
 * comparable. --cpu-prof DIR writes the agent's V8 CPU profile there (on its exit) and prints its top functions
 * by self time over the whole run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pods } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import type { RestClient } from '../../src/client/rest.js';
import { ImageStore } from '../../src/dataplane/kubelet/images/store.js';
import { BROKER_MARK } from '../../src/dataplane/kubelet/runtime/runc/launcher.js';
import { realNodeSkipReason } from '../../src/dataplane/kubelet/runtime/runc/tools.js';
import { startTestCluster, type TestCluster } from '../../test/support/cluster.js';
import { addImage } from '../../test/unit/kubelet/images/oci-fixture.js';
import { BUSYBOX, busyboxImageLayer, cleanUpRuncNode, runPrefix } from '../../test/dataplane/runc-fixture.js';
import { flag, fmtMiB, fmtMs, nowMs, numberFlag, percentiles, printTable, type Latency } from '../runner/index.js';
import { cpuSeconds, memMiB } from '../runner/procs.js';
import type { BenchAgentConfig } from './agent-main.js';

const IMAGE = 'skiff.test/busybox:1';
const NODE = 'bench';
const NS = 'default';
const AGENT_MAIN = resolve(import.meta.dirname, 'agent-main.js');

export interface KubeletBench {
  pods: number;
  rate: number;
  running: number;
  startup: Latency;
  /** Where the startup time went (ms per pod, see phases()). */
  phases: Record<PhaseName, Latency>;
  /** CPU seconds per pod start: the agent itself, its reaped children (ip, mount, unshare, runc exec…), the supervisors (sh + runc run). */
  startCpuPerPod: { agent: number; agentChildren: number; supervisors: number };
  /** Seconds from the first create to the last pod seen Running. */
  allRunningSeconds: number;
  idle: Overhead;
  loaded: Overhead;
  perPod: { rssKiB: number; cpuMillicores: number; supervisorPssKiB: number };
  deleteAllSeconds: number;
  loadAverage: { start: number[]; end: number[] };
  cores: number;
}

interface Overhead {
  pods: number;
  /** The agent process: resident set now, and CPU per wall second over the window (1 = one core). */
  rssMiB: number;
  /** The launch broker's resident set (0 without one). */
  brokerRssMiB: number;
  cpu: number;
  /** Supervisors of running containers (sh + runc per container): PSS summed. */
  supervisorsPssMiB: number;
  supervisors: number;
}

/**
 * Phases of one pod's start (ms), from the pod worker's own timing lines (agent-main's trace) and the bench's clock:
 *   queue     create sent → network set-up begins (API write, the agent's watch, its pod worker starting)
 *   network   the pod's network namespace, veth and IP (BridgePodNetwork.setUp)
 *   pod       IPC/UTS namespaces and /dev/shm, volumes: up to the container's start
 *   prepare   image lookup, env and mounts, rootfs overlay, OCI spec
 *   runc      the supervisor's `runc run` until runc wrote the pid file (create + start)
 *   status    container started → phase Running seen on the bench's watch (status computed, posted, watched)
 */
const PHASES = ['queue', 'network', 'pod', 'prepare', 'runc', 'status'] as const;
type PhaseName = (typeof PHASES)[number];

interface Trace {
  at: number;
  msg: string;
  pod?: string;
  ms?: number;
  prepareMs?: number;
  runMs?: number;
}

function phases(traces: Trace[], pods: { name: string; sent: number; running: number }[]): Record<PhaseName, number[]> {
  const out = Object.fromEntries(PHASES.map((p) => [p, [] as number[]])) as Record<PhaseName, number[]>;
  const sandbox = new Map<string, Trace>();
  const started = new Map<string, Trace>();
  for (const t of traces) (t.msg === 'pod sandbox up' ? sandbox : started).set(t.pod ?? '', t);
  for (const p of pods) {
    const sb = sandbox.get(`${NS}/${p.name}`);
    const st = started.get(`${NS}/${p.name}`);
    if (!sb || !st) continue;
    const netBegin = sb.at - (sb.ms ?? 0);
    const startBegin = st.at - (st.prepareMs ?? 0) - (st.runMs ?? 0);
    const v: Record<PhaseName, number> = {
      queue: netBegin - p.sent, network: sb.ms ?? 0, pod: startBegin - sb.at, prepare: st.prepareMs ?? 0, runc: st.runMs ?? 0, status: p.running - st.at,
    };
    for (const k of PHASES) out[k].push(Math.max(0, v[k]));
  }
  return out;
}

/** Options of ip, runc, mount … that take a value: skipped with it when looking for the sub-command. */
const VALUE_OPTIONS = new Set(['-n', '--root', '--log', '--log-format', '--pid-file', '--bundle', '--console-socket', '-t', '-o', '--process']);

/** execve calls in an strace -f output file, by program and sub-command (`ip netns`, `runc state` …). */
function execCounts(file: string): Map<string, number> {
  const out = new Map<string, number>();
  // Under strace -f, a call another process interrupts is split: `execve(...) <unfinished ...>`, later
  // `<... execve resumed>) = R`. Only execs that succeeded count (a PATH lookup tries several directories).
  const pending = new Map<string, string>();
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const pid = /^(\d+)\s/.exec(raw)?.[1] ?? '';
    let line = raw;
    if (raw.includes('execve(') && raw.includes('<unfinished ...>')) {
      pending.set(pid, raw);
      continue;
    }
    const resumed = /<\.\.\. execve resumed>.*= (-?\d+)/.exec(raw);
    if (resumed) {
      line = pending.get(pid) ?? '';
      pending.delete(pid);
      if (resumed[1] !== '0') continue;
    } else if (!/ = 0$/.test(raw.trim())) continue;
    const m = /execve\("([^"]+)", \[(.*?)\](?:\.\.\.)?, /.exec(line);
    if (!m) continue;
    const args = [...m[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]!).slice(1);
    let sub = '';
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (VALUE_OPTIONS.has(a)) i++;
      else if (!a.startsWith('-')) {
        sub = /[/]|skiff-t-|^\d/.test(a) || a.length > 24 ? '' : a;
        break;
      }
    }
    const key = `${m[1]!.split('/').pop()!} ${sub}`.trim();
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/** utime+stime and cutime+cstime (reaped children) of a process, in seconds. */
function cpuSplit(pid: number): { self: number; children: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return { self: (f[11]! + f[12]!) / 100, children: (f[13]! + f[14]!) / 100 };
  } catch {
    return { self: 0, children: 0 };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function skipReason(): string | null {
  return realNodeSkipReason() ?? (existsSync(BUSYBOX) ? null : `needs ${BUSYBOX} (Debian package busybox-static)`);
}

const podBody = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS },
  spec: {
    nodeName: NODE,
    terminationGracePeriodSeconds: 1,
    // PID 1 handles SIGTERM, so deletion does not wait for the grace period.
    containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'] }],
  },
});

/** Direct children of `pid` and their children (the supervisors' sh and runc), never deeper: not the containers. */
function supervisorPids(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  // The launch broker (launcher.ts) starts the supervisors for the agent: see through it.
  const broker = brokerPid(pid, parent);
  const kids = [...parent].filter(([p, pp]) => (pp === pid || pp === broker) && p !== broker).map(([p]) => p);
  const grand = [...parent].filter(([, pp]) => kids.includes(pp)).map(([p]) => p);
  return [...kids, ...grand];
}

/** The agent's launch broker (its child with launcher.ts's BROKER_MARK in its command line), if running. */
function brokerPid(agentPid: number, parent?: Map<number, number>): number | undefined {
  const kids = parent ? [...parent].filter(([, pp]) => pp === agentPid).map(([p]) => p) : readFileSync(`/proc/${agentPid}/task/${agentPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  for (const k of kids) {
    try {
      if (readFileSync(`/proc/${k}/cmdline`, 'utf8').split('\0').includes(BROKER_MARK)) return k;
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/** The broker's CPU (self + reaped children: the programs it ran for the agent), 0 when there is none. */
function brokerCpu(agentPid: number): number {
  const b = brokerPid(agentPid);
  if (b === undefined) return 0;
  const c = cpuSplit(b);
  return c.self + c.children;
}

function pssMiB(pids: number[]): number {
  let kib = 0;
  for (const p of pids) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      kib += m ? Number(m[1]) : 0;
    } catch {
      /* gone */
    }
  }
  return kib / 1024;
}

async function overhead(agentPid: number, pods: number, seconds: number): Promise<Overhead> {
  const c0 = cpuSeconds(agentPid);
  const t0 = nowMs();
  await sleep(seconds * 1000);
  const cpu = (cpuSeconds(agentPid) - c0) / ((nowMs() - t0) / 1000);
  const sup = supervisorPids(agentPid);
  const broker = brokerPid(agentPid);
  return { pods, rssMiB: memMiB(agentPid, 'VmRSS'), brokerRssMiB: broker === undefined ? 0 : memMiB(broker, 'VmRSS'), cpu, supervisorsPssMiB: pssMiB(sup), supervisors: sup.length };
}

interface AgentProc {
  child: ChildProcess;
  /** agent-main's own pid (the child's, or strace's tracee with --exec-trace). */
  pid: number;
}

/** Spawns agent-main.ts; resolves once it printed `registered`; `spawned` gets the handle at once (for clean-up). */
function startAgent(cfg: BenchAgentConfig, traces: Trace[], execTrace: string | undefined, cpuProf: string | undefined, spawned: (a: AgentProc) => void): Promise<AgentProc> {
  const argv = [process.execPath, ...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : []), AGENT_MAIN, JSON.stringify(cfg)];
  const full = execTrace ? ['strace', '-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', execTrace, ...argv] : argv;
  const child = spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: AgentProc = { child, pid: 0 };
  spawned(proc);
  let err = '';
  child.stderr!.on('data', (b: Buffer) => {
    err = (err + b.toString()).slice(-4000);
    process.stderr.write(b);
  });
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`agent not registered in 60 s: ${err}`)), 60_000);
    let buf = '';
    child.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        if (l.startsWith('pid ')) proc.pid = Number(l.slice(4));
        else if (l === 'registered') {
          clearTimeout(t);
          res(proc);
        } else if (l.startsWith('trace ')) traces.push(JSON.parse(l.slice(6)) as Trace);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`agent exited (${code}): ${err}`));
    });
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGTERM to agent-main (and to strace, its parent under --exec-trace), SIGKILL after 10 s. */
async function stopAgent(a: AgentProc): Promise<void> {
  const pids = [a.pid, a.child.pid ?? 0].filter((p, i, all) => p > 0 && all.indexOf(p) === i);
  for (const p of pids) if (alive(p)) process.kill(p, 'SIGTERM');
  for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(100);
  for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL');
}

/** Creates `names` at `rate`/s (0: at once) and resolves with create → Running per pod (ms), seen on one watch. */
async function createAndTime(client: RestClient, names: string[], rate: number, timeoutMs: number): Promise<{ lat: Map<string, number>; allRunningSeconds: number; wall: { name: string; sent: number; running: number }[] }> {
  const sent = new Map<string, number>();
  const sentWall = new Map<string, number>();
  const wall: { name: string; sent: number; running: number }[] = [];
  const lat = new Map<string, number>();
  const from = (await client.list(Pods, { namespace: NS, limit: 1 })).metadata.resourceVersion ?? '0';
  const ac = new AbortController();
  let last = 0;
  const watching = (async () => {
    for await (const ev of client.watch(Pods, { namespace: NS, resourceVersion: from, signal: ac.signal })) {
      const name = ev.object.metadata?.name ?? '';
      const t0 = sent.get(name);
      if (t0 !== undefined && !lat.has(name) && (ev.object.status as { phase?: string } | undefined)?.phase === 'Running') {
        last = nowMs();
        lat.set(name, last - t0);
        wall.push({ name, sent: sentWall.get(name)!, running: Date.now() });
        if (lat.size >= names.length) return;
      }
    }
  })().catch(() => undefined);
  const start = nowMs();
  const creates: Promise<unknown>[] = [];
  for (let i = 0; i < names.length; i++) {
    if (rate > 0) {
      const wait = start + (i * 1000) / rate - nowMs();
      if (wait > 1) await sleep(wait);
    }
    sent.set(names[i]!, nowMs());
    sentWall.set(names[i]!, Date.now());
    creates.push(client.create(Pods, podBody(names[i]!), { namespace: NS }));
  }
  await Promise.all(creates);
  // The deadline's timer goes with the watch: a pending one would keep the process alive after the run.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([watching, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
  ac.abort();
  return { lat, allRunningSeconds: (last - start) / 1000, wall };
}

async function deleteAll(client: RestClient, names: string[], timeoutMs: number): Promise<number> {
  const t0 = nowMs();
  await Promise.all(names.map((n) => client.delete(Pods, NS, n).catch(() => undefined)));
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const left = (await client.list(Pods, { namespace: NS })).items.length;
    if (left === 0) break;
    await sleep(250);
  }
  return (nowMs() - t0) / 1000;
}

export async function run(args: string[]): Promise<KubeletBench | { skipped: string }> {
  const why = skipReason();
  if (why) {
    console.error(`bench kubelet skipped: ${why}`);
    return { skipped: why };
  }
  const pods = numberFlag(args, 'pods', 100);
  const rate = numberFlag(args, 'rate', 10);
  const steadySeconds = numberFlag(args, 'steady-seconds', 10);
  const settleSeconds = numberFlag(args, 'settle-seconds', 3);
  const execTrace = flag(args, 'exec-trace');
  const cpuProf = flag(args, 'cpu-prof');
  const pollMs = flag(args, 'poll-ms') !== undefined ? numberFlag(args, 'poll-ms', 1000) : undefined;
  if (pods < 1 || pods > 110) throw new Error('--pods must be between 1 and 110 (the node holds 110)');

  const prefix = `${runPrefix()}-`;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-t-bench-kubelet-'));
  const loadStart = loadavg();
  let cluster: TestCluster | undefined;
  let agent: AgentProc | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaned ??= (async () => {
      if (agent) await stopAgent(agent);
      await cluster?.close().catch(() => undefined);
      await cleanUpRuncNode(dir, prefix, NODE);
    })());
  const onSignal = (sig: NodeJS.Signals) => {
    console.error(`bench kubelet: ${sig}, cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    cluster = await startTestCluster();
    const layout = join(dir, 'layout');
    await addImage(layout, { refName: IMAGE, layers: [busyboxImageLayer()], cmd: ['sh'], env: ['PATH=/bin'] });
    await new ImageStore({ root: join(dir, 'images') }).load(layout);
    const traces: Trace[] = [];
    await startAgent({ server: cluster.url, nodeName: NODE, dataDir: dir, prefix, podCIDR: '10.244.90.0/24', trace: true, ...(pollMs !== undefined ? { pollMs } : {}) }, traces, execTrace, cpuProf, (a) => (agent = a));
    const client = cluster.client;

    // Warm-up (not counted): the agent's first pod waits for its Service informer and warms every code path.
    const warm = await createAndTime(client, ['warm-up'], 0, 60_000);
    if (warm.lat.size !== 1) throw new Error('the warm-up pod never ran');
    await deleteAll(client, ['warm-up'], 30_000);

    await sleep(settleSeconds * 1000);
    const idle = await overhead(agent!.pid, 0, steadySeconds);

    const names = Array.from({ length: pods }, (_, i) => `p-${i}`);
    const cpu0 = cpuSplit(agent!.pid);
    const broker0 = brokerCpu(agent!.pid);
    const execsBefore = execTrace ? execCounts(execTrace) : new Map<string, number>();
    const timed = await createAndTime(client, names, rate, 120_000);
    if (execTrace) {
      const after = execCounts(execTrace);
      const rows = [...after].map(([prog, n]): [string, number] => [prog, (n - (execsBefore.get(prog) ?? 0)) / pods]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
      printTable(`programs the agent ran per pod start (strace, ${pods} pods)`, ['program', 'per pod'], rows.map(([p, n]) => [p, n.toFixed(2)]));
    }
    const cpu1 = cpuSplit(agent!.pid);
    const supCpu = supervisorPids(agent!.pid).reduce((sum, p) => {
      const c = cpuSplit(p);
      return sum + c.self + c.children;
    }, 0);
    // Programs run through the launch broker count as the agent's children (the broker's own CPU too).
    const startCpuPerPod = { agent: (cpu1.self - cpu0.self) / pods, agentChildren: (cpu1.children - cpu0.children + brokerCpu(agent!.pid) - broker0) / pods, supervisors: supCpu / pods };
    const startup = percentiles([...timed.lat.values()]);
    const phaseSamples = phases(traces, timed.wall);
    const phaseLat = Object.fromEntries(PHASES.map((p) => [p, percentiles(phaseSamples[p])])) as Record<PhaseName, Latency>;
    await sleep(settleSeconds * 1000);
    const loaded = await overhead(agent!.pid, pods, steadySeconds);
    const deleteAllSeconds = await deleteAll(client, names, 120_000);

    const perPod = {
      rssKiB: ((loaded.rssMiB - idle.rssMiB) * 1024) / pods,
      cpuMillicores: ((loaded.cpu - idle.cpu) * 1000) / pods,
      supervisorPssKiB: ((loaded.supervisorsPssMiB - idle.supervisorsPssMiB) * 1024) / pods,
    };
    const loadEnd = loadavg();
    const result: KubeletBench = {
      pods, rate, running: timed.lat.size, startup, phases: phaseLat, startCpuPerPod, allRunningSeconds: timed.allRunningSeconds, idle, loaded, perPod, deleteAllSeconds,
      loadAverage: { start: loadStart, end: loadEnd }, cores: availableParallelism(),
    };
    const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    printTable(`pod startup on one runc node (create → Running, image present), ${pods} pods at ${rate > 0 ? `${rate}/s` : 'once'}`,
      ['Running', 'p50', 'p90', 'p99', 'max', 'all Running after', 'all deleted in', 'load avg start', 'load avg end'],
      [[`${timed.lat.size}/${pods}`, fmtMs(startup.p50), fmtMs(startup.p90), fmtMs(startup.p99), fmtMs(startup.max), `${timed.allRunningSeconds.toFixed(1)} s`, `${deleteAllSeconds.toFixed(1)} s`, la(loadStart), la(loadEnd)]]);
    printTable('where the startup time went (ms per pod; see PHASES)', ['phase', 'pods', 'p50', 'p90', 'p99', 'max'],
      PHASES.map((p) => [p, String(phaseLat[p].count), fmtMs(phaseLat[p].p50), fmtMs(phaseLat[p].p90), fmtMs(phaseLat[p].p99), fmtMs(phaseLat[p].max)]));
    printTable('CPU per pod start (seconds)', ['agent', "agent's reaped children", 'supervisors (sh + runc run)'],
      [[startCpuPerPod.agent.toFixed(3), startCpuPerPod.agentChildren.toFixed(3), startCpuPerPod.supervisors.toFixed(3)]]);
    printTable('agent overhead (its own process; supervisors apart)', ['pods', 'agent RSS', 'launch broker RSS', 'agent CPU', 'supervisors', 'supervisors PSS'],
      [idle, loaded].map((o) => [String(o.pods), fmtMiB(o.rssMiB * 2 ** 20), fmtMiB(o.brokerRssMiB * 2 ** 20), `${(o.cpu * 100).toFixed(1)}%`, String(o.supervisors), fmtMiB(o.supervisorsPssMiB * 2 ** 20)]));
    printTable('per running pod', ['agent RSS', 'agent CPU', 'supervisor PSS'],
      [[`${perPod.rssKiB.toFixed(0)} KiB`, `${perPod.cpuMillicores.toFixed(2)} m`, `${perPod.supervisorPssKiB.toFixed(0)} KiB`]]);
    return result;
  } finally {
    await cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (cpuProf) printProfile(cpuProf);
  }
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The agent's top functions by self time, from the newest .cpuprofile in `dir`. */
function printProfile(dir: string): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  if (!files.length) return console.error(`no .cpuprofile in ${dir}`);
  const prof = JSON.parse(readFileSync(join(dir, files[files.length - 1]!), 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const f = byId.get(id)!;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    const dt = prof.timeDeltas[i] ?? 0;
    total += dt;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const rows = [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 25);
  printTable(`agent CPU profile: top functions by self time (${files[files.length - 1]})`, ['function', 'self ms', 'share'],
    rows.map(([k, us]) => [k.slice(0, 110), (us / 1000).toFixed(0), `${((us / total) * 100).toFixed(1)}%`]));
}
