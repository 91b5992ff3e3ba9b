/**
 * `skiff agent`: this machine joins a cluster as one real node (a kubelet with the runc runtime).
 *   skiff agent --kubeconfig FILE --runtime runc [--node-name N] [--netns NAME | --host-network] [--data-dir DIR] …
 * The node lives in its own network namespace (`skiff-node-<name>`, or one the user made: --netns) so that joining a
 * cluster never changes the host's network; --host-network puts the node's bridge in the host's namespace.
 * Images come from <data-dir>/images (`skiff image load --data-dir DIR` fills it) or from registries.
 * Stopping the agent (SIGINT/SIGTERM) leaves containers running; the next start adopts them.
 * Joining with a bootstrap token (the kubelet's TLS bootstrapping): --bootstrap-kubeconfig FILE [--cert-dir DIR]: the
 * node asks for its client certificate and runs with <cert-dir>/kubelet.conf (or --kubeconfig) once it is signed.
 */
import { Command, InvalidArgumentError } from 'commander';
import { guard } from './guard.js';
import { parseListen } from './server.js';
import type { AgentLogger } from '../dataplane/kubelet/agent.js';
import { hostNodeName } from '../dataplane/kubelet/local.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSBootstrapOptions } from '../dataplane/kubelet/tls-bootstrap/bootstrap.js';

export interface AgentFlags {
  kubeconfig?: string;
  bootstrapKubeconfig?: string;
  certDir?: string;
  runtime?: string;
  nodeName?: string;
  netns?: string;
  hostNetwork?: boolean;
  dataDir: string;
  listen: { host: string; port: number };
  podCidr?: string;
  clusterDns?: string;
  clusterDomain: string;
  cpu?: string;
  memory?: string;
  pods?: string;
  runtimePrefix?: string;
  v: string;
}

const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4(v: string): boolean {
  const m = IPV4.exec(v);
  return !!m && m.slice(1).every((x) => Number(x) <= 255);
}

export function cidrFlag(v: string): string {
  const [ip, len] = v.split('/');
  if (!ip || !ipv4(ip) || !len || !/^\d+$/.test(len) || Number(len) > 30) throw new InvalidArgumentError('an IPv4 CIDR such as 10.244.1.0/24');
  return v;
}

/** The flags, checked: every error names its flag. */
export function checkAgentFlags(o: AgentFlags): { nodeName: string; netns?: string; hostNetwork: boolean; clusterDNS: string[] } {
  if (!o.kubeconfig && !o.bootstrapKubeconfig) throw new Error('--kubeconfig (or --bootstrap-kubeconfig) is required');
  if (o.runtime === undefined) throw new Error('--runtime is required: runc (the simulated runtime is `skiff nodes`)');
  if (o.runtime !== 'runc') throw new Error(`--runtime: ${JSON.stringify(o.runtime)} is not supported: runc (the simulated runtime is \`skiff nodes\`)`);
  const nodeName = o.nodeName ?? hostNodeName();
  if (nodeName.length > 253 || !NODE_NAME.test(nodeName)) throw new Error(`--node-name: ${JSON.stringify(nodeName)} is not a valid node name (lowercase RFC 1123 subdomain)`);
  if (o.netns && o.hostNetwork) throw new Error('--netns and --host-network exclude each other');
  if (o.netns !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(o.netns)) throw new Error(`--netns: ${JSON.stringify(o.netns)} is not a network namespace name (1-64 characters of [A-Za-z0-9_.-])`);
  const clusterDNS = (o.clusterDns ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const ip of clusterDNS) if (!ipv4(ip)) throw new Error(`--cluster-dns: ${JSON.stringify(ip)} is not an IPv4 address`);
  if (o.pods !== undefined && !/^\d+$/.test(o.pods)) throw new Error(`--pods: ${JSON.stringify(o.pods)} is not a whole number`);
  if (o.runtimePrefix !== undefined && !/^[A-Za-z0-9_.-]{1,40}$/.test(o.runtimePrefix)) throw new Error(`--runtime-prefix: ${JSON.stringify(o.runtimePrefix)} must be 1-40 characters of [A-Za-z0-9_.-]`);
  return { nodeName, ...(o.netns ? { netns: o.netns } : {}), hostNetwork: o.hostNetwork === true, clusterDNS };
}

const logger = (v: string): AgentLogger => {
  const n = Number(v) || 0;
  return (level, msg, fields) => {
    if (level === 'debug' && n < 4) return;
    if (level === 'info' && n < 1) return;
    console.error(`skiff agent: ${level}: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
  };
};

async function runAgent(o: AgentFlags): Promise<void> {
  const checked = checkAgentFlags(o);
  // Loaded here, not at `skiff` start: the other commands and --help skip them.
  const [{ loadKubeconfig }, { startRuncNode }, { realNodeSkipReason }, { nodeKubeconfigPath, loadOrBootstrapNodeKubeconfig }, { startNodeCertificateRotation }] = await Promise.all([
    import('../client/index.js'), import('../dataplane/kubelet/runtime/runc/start.js'), import('../dataplane/kubelet/runtime/runc/tools.js'),
    import('../dataplane/kubelet/tls-bootstrap/bootstrap.js'), import('../dataplane/kubelet/tls-bootstrap/rotation.js'),
  ]);
  const why = realNodeSkipReason();
  if (why) throw new Error(`--runtime runc: ${why}`);
  if (checked.netns && !existsSync(`/run/netns/${checked.netns}`)) throw new Error(`--netns: network namespace ${JSON.stringify(checked.netns)} does not exist (make it with \`ip netns add ${checked.netns}\`, or leave --netns out and the agent makes skiff-node-<name>)`);
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const tlsBootstrap: TLSBootstrapOptions | null = o.bootstrapKubeconfig
    ? { bootstrapKubeconfig: o.bootstrapKubeconfig, certDir: o.certDir ?? join(o.dataDir, 'pki'), kubeconfig: nodeKubeconfigPath(o.kubeconfig, o.certDir ?? join(o.dataDir, 'pki')), nodeName: checked.nodeName, log: (msg, fields) => logger(o.v)('info', msg, fields) }
    : null;
  const kubeconfig = tlsBootstrap ? (await loadOrBootstrapNodeKubeconfig(tlsBootstrap)).kubeconfig : o.kubeconfig!;
  // The node's certificate is renewed while it runs; its client reads the new files (kubelet --rotate-certificates).
  const rotation = tlsBootstrap ? startNodeCertificateRotation({ ...tlsBootstrap, onError: (err) => logger(o.v)('warn', 'client certificate rotation failed', { error: String(err) }) }) : null;
  const running = await startRuncNode({
    client: loadKubeconfig(kubeconfig),
    nodeName: checked.nodeName,
    dataDir: o.dataDir,
    hostNetwork: checked.hostNetwork,
    ...(checked.netns ? { netns: checked.netns } : {}),
    podCIDR: o.podCidr,
    clusterDNS: checked.clusterDNS,
    clusterDomain: o.clusterDomain,
    listen: o.listen,
    ...(o.cpu !== undefined ? { cpu: o.cpu } : {}),
    ...(o.memory !== undefined ? { memory: o.memory } : {}),
    ...(o.pods !== undefined ? { pods: Number(o.pods) } : {}),
    ...(o.runtimePrefix !== undefined ? { prefix: o.runtimePrefix } : {}),
    log: logger(o.v),
  });
  console.error(`skiff agent: node ${checked.nodeName} (${running.netns ? `netns ${running.netns}` : 'host network'}), kubelet API on ${running.url}`);
  void running.registered.then(() => process.stdout.write(`skiff agent: node ${checked.nodeName} registered\n`));
  await stop;
  rotation?.stop();
  await running.stop();
}

export function registerAgentCommand(program: Command): Command {
  return program
    .command('agent')
    .description('Join a cluster as one real node: pods as OCI containers under runc')
    .option('--kubeconfig <file>', 'kubeconfig of the API server (with --bootstrap-kubeconfig: where the node\'s own is kept, default <cert-dir>/kubelet.conf)')
    .option('--bootstrap-kubeconfig <file>', 'join with a bootstrap token: ask the cluster for this node\'s client certificate (`skiff token create --bootstrap-kubeconfig`)')
    .option('--cert-dir <dir>', 'where the node\'s client key and certificate are kept (default <data-dir>/pki)')
    .option('--runtime <runtime>', 'container runtime: runc')
    .option('--node-name <name>', "the Node's name (default: this host's name)")
    .option('--netns <name>', "an existing network namespace for the node (default: the agent makes skiff-node-<node name>)")
    .option('--host-network', "the node uses the host's network namespace (its bridge and routes go there)")
    .option('--data-dir <dir>', 'data directory: images/ (as `skiff image load`), kubelet/<node>/ (pods, logs, runtime state)', './.skiff')
    .option('--listen <host:port>', "the kubelet API's address (its port goes into the Node's daemonEndpoints)", parseListen, { host: '127.0.0.1', port: 10250 })
    .option('--pod-cidr <cidr>', "pods' range while the Node has no spec.podCIDR (clusters without node IPAM)", cidrFlag)
    .option('--cluster-dns <ips>', "comma-separated cluster DNS IPs for pods' resolv.conf (dnsPolicy ClusterFirst)")
    .option('--cluster-domain <domain>', 'cluster domain', 'cluster.local')
    .option('--cpu <q>', "the node's cpu capacity (default: this machine's CPUs)")
    .option('--memory <q>', "the node's memory capacity (default: this machine's memory)")
    .option('--pods <n>', 'max pods (default 110)')
    .option('--runtime-prefix <prefix>', 'prefix of the runc container ids, pod network namespaces and pod cgroups (default skiff-): two agents on one host, or tests')
    .option('--v <n>', 'log verbosity: 0 warnings, 1 info, 4 debug', '0')
    .action(guard('agent', runAgent));
}
