/**
 * What `skiff server` runs, loaded only when that command runs: it pulls in the API server, storage, PKI and
 * every in-process component, seconds of module loading that `skiff --help` and the other commands skip.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import type { Server as TlsServer } from 'node:tls';
import { join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { openStore } from '../control/storage/index.js';
import { buildServer } from '../control/api/server.js';
import { bootstrap } from '../control/bootstrap.js';
import { ensureNodeJoinBindings } from '../control/join-rbac.js';
import { ensureDnsRbac } from '../control/dns-rbac.js';
import { startFlowSchemaStatus } from '../control/flowcontrol-status.js';
import { RestClient } from '../client/rest.js';
import { loadOrCreateClusterCA } from '../control/pki/ca.js';
import { loadOrIssueServerCertificates, type Component, type ServerCertificates } from '../control/pki/cluster-certs.js';
import { startCertificateRotation, useServingCertificate, type Rotation } from '../control/pki/rotation.js';
import { servingWithClientCerts } from '../control/pki/serving-tls.js';
import { listenApi, type TlsFront } from '../control/api/tls-front/index.js';
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
import type { ServerFlags } from './server.js';

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
  // The serving certificate, served by the app's own https or, with --tls-thread, by the TLS front.
  const serving = certs ? servingWithClientCerts(certs.serving, ca.certPem) : undefined;
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
    ...(serving && !flags.tlsThread ? { https: serving } : {}),
    ...(flags.metricResolutionMs !== undefined ? { metrics: { resolutionMs: flags.metricResolutionMs } } : {}),
    // Secure by default: Node then RBAC (kube-apiserver's --authorization-mode=Node,RBAC), anonymous requests only to
    // the public paths; --insecure-http keeps allowing everything.
    ...(certs ? { authorization: { modes: ['Node', 'RBAC'] as const, anonymousPaths: PUBLIC_INFO_PATHS } } : {}),
  });
  bootstrapTokens?.attach(engineBootstrapSecretLookup(server.engine));

  let front: TlsFront | undefined;
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
      await front?.close();
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

  const listening = await listenApi(server.app, host, port, flags.tlsThread ? serving : undefined);
  front = listening.front;
  const actualPort = listening.port;
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
        if (next.serving.issued) useServingCertificate(front ?? server.app.server as unknown as TlsServer, next.serving, ca.certPem);
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
      heapGrowingPercent: flags.componentHeapGrowingPercent ?? 0,
      onError: (err, context) => log.error({ err, context }, 'scheduler'),
    });
  }
  if (flags.controllers) {
    controllers = startControllerThread({
      kubeconfig: componentKubeconfig('controller-manager'),
      heapGrowingPercent: flags.componentHeapGrowingPercent ?? 0,
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
