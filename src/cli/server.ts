/**
 * `skiff server`: storage + API server on one address, the system namespaces and the `kubernetes` Service,
 * a kubeconfig in the data dir that kubectl uses as is, one line on stdout when ready, clean shutdown on
 * SIGINT/SIGTERM (listeners, watches, then the store).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseGoDuration } from '../control/api/metrics/format.js';
import type { ProxyMode } from '../dataplane/proxy/backends.js';
import { setFlagsFromString } from 'node:v8';

/**
 * --heap-growing-percent N caps each heap at (1 + N/100) times what survived the last full GC. V8's own factor
 * (default, 0) reaches 4 while pods are created by the thousand: at 2,000 nodes and 20,000 pods the main thread's
 * heap was ~2.5 times its live size, and N = 20 cut server peak RSS 1,276 -> 1,116 MiB and 1,263 -> 1,045 MiB. It
 * is not the default because it costs CPU: 15,000 nodes' steady heartbeats took 87-88% of a core in the server
 * process with 20 against 71% without (API thread alike, 48%; quiet machine), and pods reached Running 2-20% later.
 */
const HEAP_GROWING_PERCENT = 0;
/**
 * --component-heap-growing-percent N: the scheduler's and controller manager's threads cap their own heaps
 * (src/control/heap-cap.ts), leaving the API server's thread to V8. Off by default until measured at full scale: at
 * 2,000 nodes / 20,000 pods their heaps are small (68-90 MB live), and 30 took their peak committed heaps from
 * 294 to 275 MB together for 2.5-3 times the full GCs (one run each, load 8-9); the API thread's heap (632 MB
 * committed, 255 MB live) held most of the slack.
 */
const COMPONENT_HEAP_GROWING_PERCENT = 0;
/**
 * --compact-heap: every full GC compacts the old generation's fragmented pages (V8's --compact-on-every-full-gc, in
 * every thread) instead of when V8's heuristics pick them. Pods created and rewritten by the thousand leave the API
 * thread's old generation full of holes: at 15,000 nodes / 150,000 pods its heap had 2,237 MB committed for 836 MB
 * used at the server's peak (3,430 MiB RSS). With this flag (one run each, quiet machine, 2026-12-05) the peak was
 * 2,858 MiB, but pods reached Running 22% later (1,324 vs 1,089 s), 15,000 nodes' heartbeats cost 796 vs 645 us of
 * API thread a renewal, and each compaction copies what it keeps before freeing the old pages (RSS jumps of ~0.9 GB
 * between one-second samples). Not the default for that CPU.
 */
const COMPACT_HEAP_V8_FLAG = '--compact-on-every-full-gc';
/*
 * --tls-thread: the TLS front (src/control/api/tls-front/) does the TLS on a thread of its own and hands the API
 * server's thread plain bytes. The API thread is the server's limit (issue 8), and TLS is work another core can do:
 * 3,000 simulated nodes, two runs each alternating, quiet machine (2026-12-05, load 0.6-0.9): 598 and 604 ->
 * 550 and 483 us of API thread a lease renewal; server process CPU 24.7/26.0% -> 28.6/25.1%; server RSS 515/525 ->
 * 604/630 MiB. The relay costs more CPU in all than it saves the API thread (bench api --parts security at 64
 * clients: the front's thread ~100 us a create, the API thread ~25 us less), so on two cores shared with the
 * clients, creates/s do not rise. Not the default for that CPU and memory.
 */

const growingPercent = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new InvalidArgumentError(`${flag}: an integer from 0 to 1000`);
  return n;
};
export const heapGrowingPercent = growingPercent('--heap-growing-percent');

export interface ServerFlags {
  dataDir: string;
  listen: { host: string; port: number };
  storage: 'sqlite' | 'etcd' | 'memory';
  etcdEndpoints: string[];
  logLevel: string;
  /** Run the scheduler in this process (default), on its own thread, talking HTTP to this server as a separate one would. */
  scheduler: boolean;
  /** Run the controller manager in this process (default), on its own thread. */
  controllers: boolean;
  /** Run a proxy agent for this node, programming this named network namespace (never the host's by default). */
  proxyNetns?: string;
  proxyMode: ProxyMode;
  clusterCIDR: string;
  /** Simulated nodes run in-process: 1 (default) is this host's node, 0 none. */
  nodes: number;
  /** YAML node spec for those nodes (see src/dataplane/kubelet/spec.ts). */
  nodeSpec?: string;
  /** How long scraped node usage is served for metrics.k8s.io (ms; metrics-server's --metric-resolution). */
  metricResolutionMs?: number;
  /** The in-process nodes post pods' container Events (default on; node events always). */
  podEvents?: boolean;
  /** The local node's runtime: simulated (default) or runc (a real node, in its own netns skiff-node-<name>). */
  nodeRuntime?: 'simulated' | 'runc';
  /** Plain HTTP, no client certificates, every request without a token is system:unsecured (today's behaviour before TLS). */
  insecureHttp?: boolean;
  /** kube-apiserver's --token-auth-file: CSV token,user,uid[,"group1,group2"]. */
  tokenAuthFile?: string;
  /** Run the cluster DNS server in-process on this address (off unless given). */
  dnsListen?: { host: string; port: number };
  /** --service-account-issuer (default https://kubernetes.default.svc.cluster.local). */
  serviceAccountIssuer?: string;
  /** The ServiceAccount admission plugin: auto (on when the controllers, which make `default`, run here), on, off. */
  serviceAccountAdmission?: 'auto' | 'on' | 'off';
  /** kube-apiserver's --encryption-provider-config: an EncryptionConfiguration file. */
  encryptionProviderConfig?: string;
  /** Encrypt secrets at rest with a key generated in the data dir when no config file is given (default on, k3s's --secrets-encryption). */
  secretsEncryption?: boolean;
  /** --audit-log-path: audit events as JSON lines to this file (`-`: stdout); off when absent. */
  auditLogPath?: string;
  /** --audit-policy-file: an audit.k8s.io/v1 Policy; absent with a log path: every request at Metadata. */
  auditPolicyFile?: string;
  /** --admission-control-config-file: an AdmissionConfiguration (PodSecurity's defaults and exemptions). */
  admissionControlConfigFile?: string;
  /** --max-requests-inflight (400) and --max-mutating-requests-inflight (200); 0 = unlimited. */
  maxRequestsInflight?: number;
  maxMutatingRequestsInflight?: number;
  /** --request-timeout (60 s). */
  requestTimeoutMs?: number;
  /** --component-heap-growing-percent: the scheduler's and controller manager's threads' heap cap (0: V8's own factor). */
  componentHeapGrowingPercent?: number;
  /** --tls-thread: TLS on a thread of its own (src/control/api/tls-front/), the API server's thread serving plain HTTP behind it. */
  tlsThread?: boolean;
  /** --event-ttl (1 h): how long Events are kept after their last write. */
  eventTtlMs?: number;
  /** --enable-priority-and-fairness (true): FlowSchemas and priority levels limit requests; false: the two budgets. */
  enablePriorityAndFairness?: boolean;
}

export function parseListen(v: string): { host: string; port: number } {
  const m = v.match(/^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:6443');
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function nodeCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a node count: 0 or more');
  return n;
}

/** --metric-resolution: a Go duration, as metrics-server's flag. */
function metricResolution(v: string): number {
  const ms = parseGoDuration(v);
  if (ms === null || ms <= 0) throw new InvalidArgumentError('a positive duration such as 15s, 1m or 500ms');
  return ms;
}

/** --enable-priority-and-fairness=true|false, as kube-apiserver's (Go's strconv.ParseBool). */
function goBool(v: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new InvalidArgumentError('true or false');
}

function inflightCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a request count: 0 (no limit) or more');
  return n;
}

/** --request-timeout: a Go duration, as kube-apiserver's flag. */
function requestTimeout(v: string): number {
  const ms = parseGoDuration(v);
  if (ms === null || ms <= 0) throw new InvalidArgumentError('a positive duration such as 1m0s, 60s or 30s');
  return ms;
}

function eventTtl(v: string): number {
  const ms = parseGoDuration(v);
  if (ms === null) throw new InvalidArgumentError('a duration such as 1h0m0s, 30m or 0');
  return ms;
}

/** klog-style verbosity mapped onto pino levels. */
function verbosityLevel(v: string): string {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a verbosity from 0 to 10');
  return n >= 6 ? 'trace' : n >= 4 ? 'debug' : n >= 1 ? 'info' : 'warn';
}

export function registerServerCommand(program: Command): Command {
  return program
    .command('server')
    .description('Run storage and the API server')
    .option('--data-dir <dir>', 'data directory (sqlite database, kubeconfig.yaml)', './.skiff')
    .option('--listen <host:port>', 'address to serve the API on', parseListen, { host: '127.0.0.1', port: 6443 })
    .addOption(new Option('--storage <backend>', 'storage backend').choices(['sqlite', 'etcd', 'memory']).default('sqlite'))
    .option('--etcd-endpoints <urls>', 'comma-separated etcd client URLs (with --storage etcd)', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean), [] as string[])
    .option('--no-scheduler', 'do not run the scheduler in-process')
    .option('--no-controllers', 'do not run the controller manager in-process')
    .option('--proxy-netns <name>', 'run a proxy agent programming this network namespace (the host network is never touched)')
    .addOption(new Option('--proxy-mode <mode>', 'proxy mode for --proxy-netns').choices(['iptables', 'nftables']).default('iptables'))
    .option('--cluster-cidr <cidr>', "pods' CIDR: the proxy's masquerade rule, and the range node IPAM carves podCIDRs from (default 10.244.0.0/16)", '')
    .option('--nodes <n>', 'simulated nodes run in-process (1: this host\'s node; 0: none)', nodeCount, 1)
    .option('--node-spec <file>', 'YAML spec of those nodes (cpu, memory, pods, labels, taints, zones, ...)')
    .addOption(new Option('--node-runtime <runtime>', "the local node's runtime: simulated, or runc (a real node in its own network namespace skiff-node-<name>; needs root)").choices(['simulated', 'runc']).default('simulated'))
    .option('--no-pod-events', "the in-process nodes post no container Events for pods (Pulling, Created, Started, Killing, ...)")
    .addOption(new Option('--metric-resolution <duration>', "how long node agents' usage is served before it is scraped again, for metrics.k8s.io (kubectl top)").argParser(metricResolution).default(15_000, '15s'))
    .option('--insecure-http', 'serve plain HTTP without authentication (every request is system:unsecured) instead of HTTPS')
    .option('--token-auth-file <file>', 'static bearer tokens: CSV lines token,user,uid,"group1,group2" (as kube-apiserver\'s flag)')
    .option('--dns-listen <host:port>', 'run the cluster DNS server in-process on this address, UDP and TCP (off by default; names outside cluster.local are refused)', parseListen)
    .option('--encryption-provider-config <file>', 'EncryptionConfiguration file: which resources are encrypted at rest and with which keys (as kube-apiserver\'s flag)')
    .option('--no-secrets-encryption', 'store secrets unencrypted when no --encryption-provider-config is given (default: AES-CBC with a key generated in the data dir)')
    .option('--audit-log-path <file>', 'write audit events as JSON lines to this file (- for stdout), as kube-apiserver\'s flag')
    .option('--audit-policy-file <file>', 'audit.k8s.io/v1 Policy deciding what is logged at which level (default with --audit-log-path: Metadata for every request)')
    .option('--admission-control-config-file <file>', 'AdmissionConfiguration file: PodSecurity\'s PodSecurityConfiguration (defaults for unlabelled namespaces, exemptions), as kube-apiserver\'s flag')
    .option('--max-requests-inflight <n>', 'the seats API Priority and Fairness shares between priority levels, with --max-mutating-requests-inflight (with --enable-priority-and-fairness=false: read-only requests served at once, shared fairly between users; more wait in a queue or get 429; 0: no limit)', inflightCount, 400)
    .option('--max-mutating-requests-inflight <n>', 'added to --max-requests-inflight for API Priority and Fairness (without it: mutating requests served at once, likewise; 0: no limit)', inflightCount, 200)
    .option('--enable-priority-and-fairness <bool>', 'limit requests by the FlowSchemas and PriorityLevelConfigurations (API Priority and Fairness); false: by the two in-flight budgets', goBool, true)
    .addOption(new Option('--request-timeout <duration>', 'longest a non-long-running request may take before 504 Timeout (a shorter ?timeout= is honoured)').argParser(requestTimeout).default(60_000, '1m0s'))
    .addOption(new Option('--event-ttl <duration>', 'how long Events are kept after their last write, as kube-apiserver\'s flag (0: forever)').argParser(eventTtl).default(3_600_000, '1h0m0s'))
    .option('--service-account-issuer <url>', 'issuer of ServiceAccount tokens (iss), as kube-apiserver\'s flag', 'https://kubernetes.default.svc.cluster.local')
    .addOption(new Option('--service-account-admission <mode>', 'the ServiceAccount admission plugin (default ServiceAccount, token volume): auto is on when the controllers run in-process').choices(['auto', 'on', 'off']).default('auto'))
    .option('--log-level <level>', 'pino log level: silent, error, warn, info, debug, trace', 'warn')
    .option('--v <n>', 'klog-style verbosity (sets --log-level)', verbosityLevel)
    .option('--heap-growing-percent <n>', "V8's heap grows to at most (1 + n/100) times what survived the last full GC before the next one, in every thread (0: V8's own factor, up to 4)", heapGrowingPercent, HEAP_GROWING_PERCENT)
    .option('--compact-heap', "every full GC compacts V8's old generation, in every thread: a lower peak RSS for more CPU (default: V8's heuristics)")
    .option('--tls-thread', "TLS on a thread of its own: less of the API server's thread a request, more CPU in all (default: TLS on the API server's thread)")
    .option('--component-heap-growing-percent <n>', `the scheduler's and controller manager's threads collect their heap once it holds more than (1 + n/100) times what survived their last full GC (0: V8's own factor)`, growingPercent('--component-heap-growing-percent'), COMPONENT_HEAP_GROWING_PERCENT)
    .action(async (o: { heapGrowingPercent: number; compactHeap?: boolean; tlsThread?: boolean; componentHeapGrowingPercent: number; dataDir: string; listen: { host: string; port: number }; storage: ServerFlags['storage']; etcdEndpoints: string[]; logLevel: string; v?: string; scheduler: boolean; controllers: boolean; proxyNetns?: string; proxyMode: ProxyMode; clusterCidr: string; nodes: number; nodeSpec?: string; metricResolution: number; podEvents: boolean; nodeRuntime: 'simulated' | 'runc'; insecureHttp?: boolean; tokenAuthFile?: string; dnsListen?: { host: string; port: number }; encryptionProviderConfig?: string; secretsEncryption: boolean; auditLogPath?: string; auditPolicyFile?: string; admissionControlConfigFile?: string; maxRequestsInflight: number; maxMutatingRequestsInflight: number; enablePriorityAndFairness: boolean; requestTimeout: number; eventTtl: number; serviceAccountIssuer: string; serviceAccountAdmission: 'auto' | 'on' | 'off' }) => {
      // Before any worker starts: V8's flags are the process's, its threads read them at each GC.
      if (o.heapGrowingPercent > 0) setFlagsFromString(`--heap-growing-percent=${o.heapGrowingPercent}`);
      if (o.compactHeap) setFlagsFromString(COMPACT_HEAP_V8_FLAG);
      // The server's modules load here, not at `skiff` start: every other command and --help skip their cost.
      const { runServer } = await import('./server-run.js');
      await runServer({
        dataDir: o.dataDir,
        listen: o.listen,
        storage: o.storage,
        etcdEndpoints: o.etcdEndpoints,
        logLevel: o.v ?? o.logLevel,
        scheduler: o.scheduler,
        controllers: o.controllers,
        proxyNetns: o.proxyNetns,
        proxyMode: o.proxyMode,
        clusterCIDR: o.clusterCidr,
        nodes: o.nodes,
        nodeSpec: o.nodeSpec,
        metricResolutionMs: o.metricResolution,
        podEvents: o.podEvents,
        nodeRuntime: o.nodeRuntime,
        insecureHttp: o.insecureHttp === true,
        tokenAuthFile: o.tokenAuthFile,
        ...(o.dnsListen ? { dnsListen: o.dnsListen } : {}),
        ...(o.encryptionProviderConfig ? { encryptionProviderConfig: o.encryptionProviderConfig } : {}),
        secretsEncryption: o.secretsEncryption,
        ...(o.auditLogPath ? { auditLogPath: o.auditLogPath } : {}),
        ...(o.auditPolicyFile ? { auditPolicyFile: o.auditPolicyFile } : {}),
        ...(o.admissionControlConfigFile ? { admissionControlConfigFile: o.admissionControlConfigFile } : {}),
        maxRequestsInflight: o.maxRequestsInflight,
        maxMutatingRequestsInflight: o.maxMutatingRequestsInflight,
        enablePriorityAndFairness: o.enablePriorityAndFairness,
        requestTimeoutMs: o.requestTimeout,
        eventTtlMs: o.eventTtl,
        componentHeapGrowingPercent: o.componentHeapGrowingPercent,
        tlsThread: o.tlsThread === true,
        serviceAccountIssuer: o.serviceAccountIssuer,
        serviceAccountAdmission: o.serviceAccountAdmission,
      });
    });
}
