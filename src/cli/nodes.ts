/**
 * `skiff nodes …`: simulated nodes (kwok-like) against any API server, and faults for them.
 *   skiff nodes --kubeconfig FILE [--count N] [--spec FILE] [--name-prefix P] [--listen 127.0.0.1:PORT] …
 *   skiff nodes fault --agent URL --node NAME (--stop-lease | --not-ready | --recover)
 *   skiff nodes list --agent URL
 * Precedence: defaults (one node "sim-node-0": 8 cpu, 32Gi, 110 pods), then --spec FILE, then flags.
 */
import { Command, InvalidArgumentError } from 'commander';
import { guard } from './guard.js';
import type { AgentLogger, NodeSummary } from '../dataplane/kubelet/agent.js';
import { DEFAULT_NODE_SPEC, loadNodeSpecFile, parseLabelFlag, parseNodeSpec, parseTaint, type NodeSpec, type Taint } from '../dataplane/kubelet/spec.js';
import { heapGrowingPercent, parseListen } from './server.js';
import { setFlagsFromString } from 'node:v8';
import type { TLSBootstrapOptions } from '../dataplane/kubelet/tls-bootstrap/bootstrap.js';

interface NodesFlags {
  kubeconfig?: string;
  bootstrapKubeconfig?: string;
  certDir?: string;
  spec?: string;
  count?: string;
  namePrefix?: string;
  cpu?: string;
  memory?: string;
  pods?: string;
  zones?: string;
  region?: string;
  labels?: string;
  taint?: string[];
  nodeCidr?: string;
  unpullableImages?: string;
  listen: { host: string; port: number };
  maxInFlight: number;
  podEvents?: boolean;
  heapGrowingPercent: number;
  v: string;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
  return n;
}

/** Defaults, then the spec file, then flags: each layer validated with errors naming the field. */
export function specFromFlags(o: Omit<NodesFlags, 'listen' | 'maxInFlight' | 'v' | 'podEvents' | 'heapGrowingPercent' | 'bootstrapKubeconfig' | 'certDir'>): NodeSpec {
  const base = o.spec ? loadNodeSpecFile(o.spec, DEFAULT_NODE_SPEC) : DEFAULT_NODE_SPEC;
  const given: Record<string, unknown> = {};
  if (o.count !== undefined) given.count = o.count;
  if (o.namePrefix !== undefined) given.namePrefix = o.namePrefix;
  if (o.cpu !== undefined) given.cpu = o.cpu;
  if (o.memory !== undefined) given.memory = o.memory;
  if (o.pods !== undefined) given.pods = o.pods;
  if (o.zones !== undefined) given.zones = o.zones;
  if (o.region !== undefined) given.region = o.region;
  if (o.nodeCidr !== undefined) given.nodeCIDR = o.nodeCidr;
  if (o.unpullableImages !== undefined) given.unpullableImages = o.unpullableImages;
  if (o.labels !== undefined) given.labels = parseLabelFlag(o.labels, '--labels');
  if (o.taint?.length) given.taints = o.taint.map((t, i): Taint => parseTaint(t, `--taint[${i}]`, 'flags'));
  // A --count over a spec with explicit names would disagree; flags win by dropping the names.
  const over = given.count !== undefined || given.namePrefix !== undefined ? { ...base, names: undefined } : base;
  return parseNodeSpec(given, 'flags', over);
}

const verbosity = (v: string): AgentLogger => {
  const n = Number(v) || 0;
  return (level, msg, fields) => {
    if (level === 'debug' && n < 4) return;
    if (level === 'info' && n < 1) return;
    console.error(`skiff nodes: ${level}: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
  };
};

async function runNodes(o: NodesFlags): Promise<void> {
  if (o.heapGrowingPercent > 0) setFlagsFromString(`--heap-growing-percent=${o.heapGrowingPercent}`);
  if (!o.kubeconfig && !o.bootstrapKubeconfig) throw new Error('--kubeconfig (or --bootstrap-kubeconfig) is required');
  const spec = specFromFlags(o);
  // Loaded here, not at `skiff` start: the other commands and --help skip them.
  const [{ loadKubeconfig }, { startNodeAgent }, { loadOrBootstrapNodeKubeconfig, nodeKubeconfigPath }, { startNodeCertificateRotation }] = await Promise.all([
    import('../client/index.js'), import('../dataplane/kubelet/start.js'), import('../dataplane/kubelet/tls-bootstrap/bootstrap.js'), import('../dataplane/kubelet/tls-bootstrap/rotation.js'),
  ]);
  let kubeconfig = o.kubeconfig!;
  let tlsBootstrap: TLSBootstrapOptions | null = null;
  if (o.bootstrapKubeconfig) {
    // One client certificate is one node's identity (system:node:<name>).
    if (spec.count !== 1) throw new Error(`--bootstrap-kubeconfig: joins exactly one node (--count is ${spec.count})`);
    if (!o.certDir) throw new Error('--bootstrap-kubeconfig needs --cert-dir (where the node\'s key and certificate are kept)');
    const nodeName = spec.names?.[0] ?? `${spec.namePrefix}0`;
    tlsBootstrap = { bootstrapKubeconfig: o.bootstrapKubeconfig, certDir: o.certDir, kubeconfig: nodeKubeconfigPath(o.kubeconfig, o.certDir), nodeName, log: (msg, fields) => verbosity(o.v)('info', msg, fields) };
    kubeconfig = (await loadOrBootstrapNodeKubeconfig(tlsBootstrap)).kubeconfig;
  }
  // The node's certificate is renewed while it runs; its client reads the new files (kubelet --rotate-certificates).
  const rotation = tlsBootstrap ? startNodeCertificateRotation({ ...tlsBootstrap, onError: (err) => verbosity(o.v)('warn', 'client certificate rotation failed', { error: String(err) }) }) : null;
  const stop = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const t0 = Date.now();
  const running = await startNodeAgent({ client: loadKubeconfig(kubeconfig), spec, listen: o.listen, maxInFlight: o.maxInFlight, podEvents: o.podEvents === true, log: verbosity(o.v) });
  console.error(`skiff nodes: agent API on ${running.url}; registering ${spec.count} node(s)`);
  void running.registered.then(() => {
    process.stdout.write(`skiff nodes: ${spec.count} node(s) registered in ${((Date.now() - t0) / 1000).toFixed(1)} s; agent ${running.url}\n`);
  });
  await stop;
  rotation?.stop();
  await running.stop();
}

async function agentRequest(agent: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let url: URL;
  try {
    url = new URL(path, agent.endsWith('/') ? agent : `${agent}/`);
  } catch {
    throw new Error(`--agent: ${JSON.stringify(agent)} is not a URL such as http://127.0.0.1:10250`);
  }
  const res = await fetch(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as { error?: string }) : {};
  if (!res.ok) throw new Error(`${method} ${url.pathname}: ${res.status}: ${json.error ?? text}`);
  return json;
}

interface FaultFlags {
  agent: string;
  node: string;
  stopLease?: boolean;
  resumeLease?: boolean;
  notReady?: boolean;
  ready?: boolean;
  recover?: boolean;
}

/** The request body for the fault flags; one of them at least. */
export function faultBody(o: Omit<FaultFlags, 'agent' | 'node'>): { lease?: 'stop' | 'run'; ready?: boolean } {
  if (o.recover) {
    if (o.stopLease || o.notReady) throw new Error('--recover excludes --stop-lease and --not-ready');
    return { lease: 'run', ready: true };
  }
  const body: { lease?: 'stop' | 'run'; ready?: boolean } = {};
  if (o.stopLease && o.resumeLease) throw new Error('--stop-lease and --resume-lease exclude each other');
  if (o.notReady && o.ready) throw new Error('--not-ready and --ready exclude each other');
  if (o.stopLease) body.lease = 'stop';
  if (o.resumeLease) body.lease = 'run';
  if (o.notReady) body.ready = false;
  if (o.ready) body.ready = true;
  if (body.lease === undefined && body.ready === undefined) throw new Error('give a fault: --stop-lease, --not-ready or --recover (or --resume-lease, --ready)');
  return body;
}

function printNodes(nodes: NodeSummary[]): void {
  const rows = [['NAME', 'REGISTERED', 'READY', 'LEASE', 'RENEWALS', 'PODS', 'INTERNAL-IP', 'POD-CIDR'], ...nodes.map((n) => [n.name, String(n.registered), String(n.ready), n.lease, String(n.leaseRenewals), String(n.pods), n.internalIP, n.podCIDR ?? '<none>'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd()}\n`);
}

/**
 * The agent's heap is mostly its pod cache and pod records, which grow as pods are bound and stay; with V8's own
 * factor (up to 4) its peak RSS stood well above what the live heap needs. Measured at 1,000 nodes / 20,000 pods
 * (one agent each, load 8-13): peak RSS 251 and 286 MiB with V8's factor, 229 and 223 MiB with 30, steady agent
 * CPU 9.0% vs 8.2% of a core (no cost seen: the agent's heartbeats promote little to the old generation).
 * Unlike the server's (see HEAP_GROWING_PERCENT in server.ts) it is on by default.
 */
const NODES_HEAP_GROWING_PERCENT = 30;

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function registerNodesCommand(program: Command): Command {
  program.enablePositionalOptions();
  const nodes = program
    .command('nodes')
    .description('Run simulated nodes (many per process) against an API server, or apply faults to them')
    .enablePositionalOptions()
    .option('--kubeconfig <file>', 'kubeconfig of the API server (with --bootstrap-kubeconfig: where the node\'s own is kept, default <cert-dir>/kubelet.conf)')
    .option('--bootstrap-kubeconfig <file>', 'join one node with a bootstrap token: ask the cluster for its client certificate')
    .option('--cert-dir <dir>', 'with --bootstrap-kubeconfig: where the node\'s key and certificate are kept')
    .option('--spec <file>', 'YAML node spec (count, namePrefix, cpu, memory, pods, labels, taints, zones, region, nodeCIDR, unpullableImages)')
    .option('--count <n>', `how many nodes (default ${DEFAULT_NODE_SPEC.count})`)
    .option('--name-prefix <p>', `node names are <prefix><index> (default ${DEFAULT_NODE_SPEC.namePrefix})`)
    .option('--cpu <q>', `cpu per node (default ${DEFAULT_NODE_SPEC.cpu})`)
    .option('--memory <q>', `memory per node (default ${DEFAULT_NODE_SPEC.memory})`)
    .option('--pods <n>', `pods per node (default ${DEFAULT_NODE_SPEC.pods})`)
    .option('--zones <list>', 'comma-separated zones, spread round-robin (topology.kubernetes.io/zone)')
    .option('--region <r>', 'topology.kubernetes.io/region')
    .option('--labels <k=v,...>', 'extra labels on every node')
    .option('--taint <key[=value]:Effect>', 'a taint on every node (repeatable)', collect)
    .option('--node-cidr <cidr>', "range of the nodes' InternalIPs (default: none, every node's InternalIP is the agent's --listen address, which the API server reaches for usage)")
    .option('--unpullable-images <patterns>', 'comma-separated image patterns (* is any run of characters) the nodes fail to pull: such containers wait in ErrImagePull/ImagePullBackOff (default: none, every image pulls)')
    .option('--listen <host:port>', "the agent's HTTP API (faults, node list, usage); its port is each Node's kubelet port", parseListen, { host: '127.0.0.1', port: 10250 })
    .option('--max-in-flight <n>', 'node and lease requests in flight at once', positiveInt, 32)
    .option('--pod-events', "post the pods' container Events (Pulling, Pulled, Created, Started, Killing, BackOff): about 4 API writes per pod, so off by default; node events are always posted")
    .option('--heap-growing-percent <n>', `V8's heap grows to at most (1 + n/100) times what survived the last full GC before the next one (0: V8's own factor, up to 4; default ${NODES_HEAP_GROWING_PERCENT})`, heapGrowingPercent, NODES_HEAP_GROWING_PERCENT)
    .option('--v <n>', 'log verbosity: 0 warnings, 1 info, 4 debug', '0')
    .action(guard('nodes', runNodes));

  nodes
    .command('fault')
    .description("Apply a fault to one of an agent's nodes")
    .requiredOption('--agent <url>', "the agent's API, e.g. http://127.0.0.1:10250")
    .requiredOption('--node <name>', 'node name')
    .option('--stop-lease', 'stop renewing the node lease (the node controller then marks the node Unknown)')
    .option('--resume-lease', 'renew the lease again')
    .option('--not-ready', 'post Ready=False (KubeletNotReady)')
    .option('--ready', 'post Ready=True again')
    .option('--recover', 'renew the lease and post Ready=True')
    .action(
      guard('nodes', async (o: FaultFlags) => {
        const state = (await agentRequest(o.agent, 'POST', `faults/${encodeURIComponent(o.node)}`, faultBody(o))) as NodeSummary;
        process.stdout.write(`node/${state.name}: ready=${state.ready} lease=${state.lease}\n`);
      }),
    );

  nodes
    .command('list')
    .description("List an agent's nodes and their state")
    .requiredOption('--agent <url>', "the agent's API, e.g. http://127.0.0.1:10250")
    .action(
      guard('nodes', async (o: { agent: string }) => {
        const res = (await agentRequest(o.agent, 'GET', 'nodes')) as { nodes: NodeSummary[] };
        printNodes(res.nodes);
      }),
    );
  return nodes;
}
