/**
 * `skiff server`: storage + API server on one address, the system namespaces and the `kubernetes` Service,
 * a kubeconfig in the data dir that kubectl uses as is, one line on stdout when ready, clean shutdown on
 * SIGINT/SIGTERM (listeners, watches, then the store).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import type { Server as TlsServer } from 'node:tls';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino, type Logger } from 'pino';
import { openStore } from '../control/storage/index.js';
import { buildServer } from '../control/api/server.js';
import { parseGoDuration } from '../control/api/metrics/format.js';
import { bootstrap } from '../control/bootstrap.js';
import { ensureNodeJoinBindings } from '../control/join-rbac.js';
import { ensureDnsRbac } from '../control/dns-rbac.js';
import { startFlowSchemaStatus } from '../control/flowcontrol-status.js';
import { RestClient } from '../client/rest.js';
import { loadOrCreateClusterCA } from '../control/pki/ca.js';
import { loadOrIssueServerCertificates, type Component, type ServerCertificates } from '../control/pki/cluster-certs.js';
import { startCertificateRotation, useServingCertificate, type Rotation } from '../control/pki/rotation.js';
import { ClusterIPAllocator } from '../control/api/allocators/clusterip.js';
import { authenticationChain, TokenFileAuthenticator, UNSECURED_USER, type TokenAuthenticator } from '../control/api/auth/index.js';
import { BootstrapTokenAuthenticator, engineBootstrapSecretLookup } from '../control/api/auth/bootstrap-token.js';
import { CA_CERT_FILE, CA_KEY_FILE } from '../control/pki/ca.js';
import { DEFAULT_SERVICE_ACCOUNT_ISSUER, loadOrCreateSigningKey, type ServiceAccountTokenConfig } from '../control/api/serviceaccount/index.js';
import { startSchedulerThread, type SchedulerThread } from '../control/scheduler/thread.js';
import { startControllerThread, type ControllerThread } from '../control/controllers/thread.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { kubeconfigYaml } from './kubeconfig-yaml.js';
import { PUBLIC_INFO_PATHS } from '../control/api/authz/index.js';
import { startProxy, type RunningProxy } from '../dataplane/proxy/start.js';
import type { ProxyMode } from '../dataplane/proxy/backends.js';
import { startNodeAgent, type RunningNodeAgent } from '../dataplane/kubelet/start.js';
import { hostNodeName, LOCAL_POD_EVENTS_DEFAULT, localNodeSpec } from '../dataplane/kubelet/local.js';
import type { NodeSpec } from '../dataplane/kubelet/spec.js';
import { startRuncNode } from '../dataplane/kubelet/runtime/runc/start.js';
import { realNodeSkipReason } from '../dataplane/kubelet/runtime/runc/tools.js';
import { startDns, type RunningDns } from '../dataplane/dns/start.js';
import { loadEncryptionConfig, loadOrCreateDefaultEncryptionConfig, type EncryptionConfig } from '../control/storage/encryption/index.js';
import { fileAuditSink, loadAuditPolicy, METADATA_POLICY, type AuditOptions } from '../control/api/audit/index.js';
import { loadAdmissionConfig, type AdmissionConfig } from '../control/api/admission/admission-config.js';
import { setFlagsFromString } from 'node:v8';

/**
 * --heap-growing-percent N caps each heap at (1 + N/100) times what survived the last full GC. V8's own factor
 * (default, 0) reaches 4 while pods are created by the thousand: at 2,000 nodes and 20,000 pods the main thread's
 * heap was ~2.5 times its live size, and N = 20 cut server peak RSS 1,276 -> 1,116 MiB and 1,263 -> 1,045 MiB. It
 * is not the default because it costs CPU: 15,000 nodes' steady heartbeats took 87-88% of a core in the server
 * process with 20 against 71% without (API thread alike, 48%; quiet machine), and pods reached Running 2-20% later.
 */
const HEAP_GROWING_PERCENT = 0;

function heapGrowingPercent(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new InvalidArgumentError('--heap-growing-percent: an integer from 0 to 1000');
  return n;
}

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

export async function runServer(flags: ServerFlags): Promise<void> {
  // A bad --node-spec or --token-auth-file is reported before anything starts.
  let nodeSpec: NodeSpec | null = null;
  const tokens: TokenAuthenticator[] = [];
  try {
    if (flags.tokenAuthFile) {
      const { authenticator, warnings } = TokenFileAuthenticator.fromFile(flags.tokenAuthFile);
      for (const w of warnings) process.stderr.write(`skiff server: --token-auth-file: ${w}\n`);
      tokens.push(authenticator);
    }
    if (flags.nodeRuntime === 'runc' && flags.nodes !== 1) throw new Error(`--node-runtime runc: runs exactly one local node (--nodes is ${flags.nodes})`);
    if (flags.nodeRuntime === 'runc') {
      const why = realNodeSkipReason();
      if (why) throw new Error(`--node-runtime runc: ${why}`);
    }
    nodeSpec = flags.nodes > 0 ? localNodeSpec(flags.nodes, flags.nodeSpec) : null;
  } catch (err) {
    process.stderr.write(`skiff server: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  const dataDir = resolve(flags.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const log: Logger = pino({ name: 'skiff', level: flags.logLevel }, pino.destination(2));
  // Encryption at rest: the given file, else the data dir's own (made on first start); never the keys in a log.
  let encryption: EncryptionConfig | undefined;
  try {
    if (flags.encryptionProviderConfig) encryption = loadEncryptionConfig(flags.encryptionProviderConfig);
    else if (flags.secretsEncryption !== false) {
      const made = loadOrCreateDefaultEncryptionConfig(dataDir);
      if (made.created) log.info({ file: made.file }, 'generated a secrets encryption key');
      encryption = made.config;
    }
  } catch (err) {
    process.stderr.write(`skiff server: --encryption-provider-config: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  // Admission plugins' configuration (PodSecurity's defaults and exemptions), checked before anything starts.
  let admission: AdmissionConfig | undefined;
  try {
    if (flags.admissionControlConfigFile) admission = loadAdmissionConfig(flags.admissionControlConfigFile);
  } catch (err) {
    process.stderr.write(`skiff server: --admission-control-config-file: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  // The audit log: a policy file (checked before anything starts), Metadata for everything when only a path is given.
  let audit: AuditOptions | undefined;
  try {
    const policy = flags.auditPolicyFile ? loadAuditPolicy(flags.auditPolicyFile) : METADATA_POLICY;
    if (flags.auditLogPath) audit = { policy, sink: fileAuditSink(flags.auditLogPath) };
  } catch (err) {
    process.stderr.write(`skiff server: --audit-policy-file: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  // The cluster CA, made on the first start: published to every namespace (kube-root-ca.crt) by the controllers.
  const ca = loadOrCreateClusterCA(dataDir);
  const { host, port } = flags.listen;
  // HTTPS: a serving certificate for every name clients use (the kubernetes Service's among them), the admin's
  // client certificate and one per in-process component (its own identity), all signed by the cluster CA, reused
  // across restarts and renewed before expiry.
  let certs: ServerCertificates | null = null;
  // One local node runs as itself (system:node:<name>); an agent of many simulated nodes keeps the admin's.
  const localNodeName = nodeSpec?.count === 1 ? (nodeSpec.names?.[0] ?? hostNodeName()) : undefined;
  const components: Component[] = [
    ...(flags.scheduler ? ['scheduler' as const] : []),
    ...(flags.controllers ? ['controller-manager' as const] : []),
    ...(flags.proxyNetns ? ['proxy' as const] : []),
    ...(localNodeName ? ['node' as const] : []),
    ...(flags.dnsListen ? ['dns' as const] : []),
  ];
  const servingNames = () => ({
    listenHosts: [host],
    serviceIP: new ClusterIPAllocator().first,
    interfaceAddresses: Object.values(networkInterfaces()).flatMap((as) => (as ?? []).map((a) => a.address.replace(/%.*$/, ''))),
    hostname: hostname(),
  });
  if (!flags.insecureHttp) {
    certs = await loadOrIssueServerCertificates(dataDir, ca, servingNames(), components, { ...(localNodeName ? { nodeName: localNodeName } : {}) });
    for (const c of [certs.serving, certs.admin, ...Object.values(certs.components)]) if (c.issued) log.info({ file: c.certPath, reason: c.issued }, 'issued certificate');
  }
  // Bootstrap tokens (kube-system Secrets) join nodes over TLS, as kubeadm enables them; the Secrets are read from
  // the server's own cache once it exists.
  const bootstrapTokens = certs ? new BootstrapTokenAuthenticator(undefined, undefined, (reason) => log.debug({ reason }, 'bootstrap token refused')) : null;
  if (bootstrapTokens) tokens.push(bootstrapTokens);
  const authentication = certs
    ? authenticationChain({ clientCA: ca.certPem, tokens })
    : authenticationChain({ ...(tokens.length ? { tokens } : {}), fallback: UNSECURED_USER });
  // ServiceAccount tokens over TLS: the signing key sa.key/sa.pub made on the first start (kubeadm's files),
  // TokenRequest, issuer discovery and the token authenticator; the admission plugin needs someone to make each
  // namespace's `default` ServiceAccount (the serviceaccount controller), so `auto` follows --controllers.
  let serviceAccounts: ServiceAccountTokenConfig | undefined;
  if (certs) {
    const key = loadOrCreateSigningKey(dataDir);
    if (key.created) log.info({ file: join(dataDir, 'sa.key') }, 'created the service account signing key');
    const mode = flags.serviceAccountAdmission ?? 'auto';
    serviceAccounts = { key, issuers: [flags.serviceAccountIssuer || DEFAULT_SERVICE_ACCOUNT_ISSUER], admission: mode === 'on' || (mode === 'auto' && flags.controllers) };
  }
  const store = await openStore({ backend: flags.storage, dataDir, etcdEndpoints: flags.etcdEndpoints });
  // componentstatuses' scheduler entry: the in-process scheduler thread's state (started below).
  const schedulerHealth = async () => {
    const state = scheduler?.state() ?? 'stopped';
    return state === 'running' ? { healthy: true, message: 'ok' } : { healthy: false, message: '', error: `the in-process scheduler is ${state}` };
  };
  const server = await buildServer({
    store, logger: log, serverAddress: `${host}:${port}`, authentication,
    ...(flags.eventTtlMs !== undefined ? { eventTtlMs: flags.eventTtlMs } : {}),
    ...(flags.scheduler ? { components: [{ name: 'scheduler', check: schedulerHealth }] } : {}),
    ...(serviceAccounts ? { serviceAccounts } : {}),
    ...(encryption ? { encryption } : {}),
    ...(audit ? { audit } : {}),
    ...(admission ? { admission } : {}),
    limits: {
      maxRequestsInflight: flags.maxRequestsInflight ?? 400,
      maxMutatingRequestsInflight: flags.maxMutatingRequestsInflight ?? 200,
      requestTimeoutMs: flags.requestTimeoutMs ?? 60_000,
      enablePriorityAndFairness: flags.enablePriorityAndFairness ?? true,
    },
    // Client certificates are asked for, not required: requests without one reach the authenticator (tokens, anonymous).
    ...(certs ? { https: { key: certs.serving.keyPem, cert: certs.serving.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false } } : {}),
    ...(flags.metricResolutionMs !== undefined ? { metrics: { resolutionMs: flags.metricResolutionMs } } : {}),
    // Secure by default: Node then RBAC (kube-apiserver's --authorization-mode=Node,RBAC), anonymous requests only to
    // the public paths; --insecure-http keeps allowing everything.
    ...(certs ? { authorization: { modes: ['Node', 'RBAC'] as const, anonymousPaths: PUBLIC_INFO_PATHS } } : {}),
  });
  bootstrapTokens?.attach(engineBootstrapSecretLookup(server.engine));

  let scheduler: SchedulerThread | null = null;
  let controllers: ControllerThread | null = null;
  let proxy: RunningProxy | null = null;
  let nodeAgent: RunningNodeAgent | null = null;
  let dns: RunningDns | null = null;
  let rotation: Rotation | null = null;
  let flowSchemaStatus: { stop(): void } | null = null;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    try {
      rotation?.stop();
      flowSchemaStatus?.stop();
      await nodeAgent?.stop();
      await dns?.stop();
      await proxy?.stop();
      await scheduler?.stop();
      await controllers?.stop();
      await server.close();
      await store.close();
    } finally {
      clearTimeout(force);
    }
    process.exit(0);
  };
  // A server keeps serving through one failed request's stray promise; the log says what it was.
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  await server.app.listen({ host, port });
  const addr = server.app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const clientHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `${certs ? 'https' : 'http'}://${clientHost.includes(':') ? `[${clientHost}]` : clientHost}:${actualPort}`;
  await bootstrap(server.engine, { host: clientHost, port: actualPort });
  // kubeadm's bindings for joining nodes with bootstrap tokens (skiff token create).
  await ensureNodeJoinBindings(server.engine);
  // The DNS server's read-only role (kubeadm's CoreDNS add-on), for its own identity system:coredns.
  if (flags.dnsListen && certs) await ensureDnsRbac(server.engine);
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  writeFileSync(kubeconfig, kubeconfigYaml(url, certs ? { caPem: ca.certPem, certPem: certs.admin.certPem, keyPem: certs.admin.keyPem } : undefined), { mode: 0o600 });
  // FlowSchemas' Dangling condition, kept by the server itself as kube-apiserver's APF controller (its loopback client).
  flowSchemaStatus = startFlowSchemaStatus({ client: new RestClient(loadKubeconfig(kubeconfig), { userAgent: 'skiff-apiserver-flowcontrol' }), onError: (err) => log.warn({ err }, 'flowschema status') });
  // Each in-process component's own kubeconfig (<component>.kubeconfig), as kubeadm writes scheduler.conf and
  // controller-manager.conf; the admin's when there is no certificate for it (plain http).
  const componentKubeconfig = (c: Component): string => {
    const cert = certs?.components[c];
    if (!cert) return kubeconfig;
    const file = join(dataDir, `${c}.kubeconfig`);
    writeFileSync(file, kubeconfigYaml(url, { caPem: ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem }), { mode: 0o600 });
    return file;
  };
  if (certs) {
    // Certificates are renewed while the server runs too: the serving one is swapped into the listener, the
    // kubeconfigs are rewritten (in-process components pick theirs up at their next start).
    rotation = startCertificateRotation({
      everyMs: 12 * 3600_000,
      check: () => loadOrIssueServerCertificates(dataDir, ca, servingNames(), components, { ...(localNodeName ? { nodeName: localNodeName } : {}) }),
      apply: (next, renewed) => {
        for (const c of renewed) log.info({ file: c.certPath, reason: c.issued }, 'renewed certificate');
        if (next.serving.issued) useServingCertificate(server.app.server as unknown as TlsServer, next.serving, ca.certPem);
        if (next.admin.issued) writeFileSync(kubeconfig, kubeconfigYaml(url, { caPem: ca.certPem, certPem: next.admin.certPem, keyPem: next.admin.keyPem }), { mode: 0o600 });
        certs = next;
        for (const c of components) if (next.components[c]?.issued) componentKubeconfig(c);
      },
      onError: (err) => log.error({ err }, 'certificate renewal failed'),
    });
  }
  if (flags.scheduler) {
    scheduler = startSchedulerThread({
      kubeconfig: componentKubeconfig('scheduler'),
      onError: (err, context) => log.error({ err, context }, 'scheduler'),
    });
  }
  if (flags.controllers) {
    controllers = startControllerThread({
      kubeconfig: componentKubeconfig('controller-manager'),
      // Every default controller and the token cleaner, as kubeadm runs kube-controller-manager.
      controllers: ['*', 'tokencleaner'],
      options: { ...(flags.clusterCIDR ? { clusterCIDR: flags.clusterCIDR } : {}), rootCA: ca.certPem, localPathDir: join(dataDir, 'local-path'), clusterSigningCertFile: join(dataDir, CA_CERT_FILE), clusterSigningKeyFile: join(dataDir, CA_KEY_FILE) },
      onError: (err, context) => log.error({ err, context }, 'controllers'),
    });
  }
  if (flags.proxyNetns) {
    proxy = await startProxy({
      client: loadKubeconfig(componentKubeconfig('proxy')),
      mode: flags.proxyMode,
      netns: flags.proxyNetns,
      clusterCIDR: flags.clusterCIDR,
      nodeName: hostname(),
      log: (msg, fields) => log.info(fields ?? {}, msg),
    });
  }
  if (flags.dnsListen) {
    try {
      dns = await startDns({ client: loadKubeconfig(componentKubeconfig('dns')), listen: flags.dnsListen, log: (msg, fields) => log.info(fields ?? {}, msg) });
    } catch (err) {
      // The API server stays useful without its DNS (e.g. the port is taken).
      log.error({ err }, 'the cluster DNS server did not start');
    }
  }
  if (nodeSpec && flags.nodeRuntime === 'runc') {
    try {
      nodeAgent = await startRuncNode({ client: loadKubeconfig(componentKubeconfig('node')), nodeName: nodeSpec.names?.[0] ?? hostNodeName(), dataDir, log: (level, msg, fields) => log[level](fields ?? {}, msg) });
    } catch (err) {
      log.error({ err }, 'the runc node did not start');
    }
  } else if (nodeSpec) {
    try {
      nodeAgent = await startNodeAgent({ client: loadKubeconfig(localNodeName ? componentKubeconfig('node') : kubeconfig), spec: nodeSpec, podEvents: flags.podEvents ?? LOCAL_POD_EVENTS_DEFAULT, log: (level, msg, fields) => log[level](fields ?? {}, msg) });
    } catch (err) {
      // The API server stays useful without its local nodes.
      log.error({ err }, 'simulated nodes did not start');
    }
  }
  process.stdout.write(`skiff: API server listening on ${url} (storage ${flags.storage}); kubeconfig ${kubeconfig}\n`);
  if (certs) {
    process.stderr.write(
      `skiff: to join a node: skiff token create --kubeconfig ${kubeconfig} --bootstrap-kubeconfig bootstrap.kubeconfig\n` +
        '       then on the node: skiff agent --runtime runc --bootstrap-kubeconfig bootstrap.kubeconfig --cert-dir ./.skiff/pki (or skiff nodes --count 1 ... for a simulated one)\n',
    );
  }
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
    .option('--v <n>', 'klog-style verbosity (sets --log-level)')
    .option('--heap-growing-percent <n>', "V8's heap grows to at most (1 + n/100) times what survived the last full GC before the next one, in every thread (0: V8's own factor, up to 4)", heapGrowingPercent, HEAP_GROWING_PERCENT)
    .action(async (o: { heapGrowingPercent: number; dataDir: string; listen: { host: string; port: number }; storage: ServerFlags['storage']; etcdEndpoints: string[]; logLevel: string; v?: string; scheduler: boolean; controllers: boolean; proxyNetns?: string; proxyMode: ProxyMode; clusterCidr: string; nodes: number; nodeSpec?: string; metricResolution: number; podEvents: boolean; nodeRuntime: 'simulated' | 'runc'; insecureHttp?: boolean; tokenAuthFile?: string; dnsListen?: { host: string; port: number }; encryptionProviderConfig?: string; secretsEncryption: boolean; auditLogPath?: string; auditPolicyFile?: string; admissionControlConfigFile?: string; maxRequestsInflight: number; maxMutatingRequestsInflight: number; enablePriorityAndFairness: boolean; requestTimeout: number; eventTtl: number; serviceAccountIssuer: string; serviceAccountAdmission: 'auto' | 'on' | 'off' }) => {
      // Before any worker starts: V8's flags are the process's, its threads read them at each GC.
      if (o.heapGrowingPercent > 0) setFlagsFromString(`--heap-growing-percent=${o.heapGrowingPercent}`);
      await runServer({
        dataDir: o.dataDir,
        listen: o.listen,
        storage: o.storage,
        etcdEndpoints: o.etcdEndpoints,
        logLevel: o.v !== undefined ? verbosityLevel(o.v) : o.logLevel,
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
        serviceAccountIssuer: o.serviceAccountIssuer,
        serviceAccountAdmission: o.serviceAccountAdmission,
      });
    });
}
