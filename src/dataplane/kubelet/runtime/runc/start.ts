/**
 * One real node: the node agent (start.ts's startNodeAgent) with the runc pod driver over the real parts. What
 * `skiff agent --runtime runc` and `skiff server --node-runtime runc` run. The node has its own network
 * namespace (`<prefix>node-<name>`, made by the pod network) unless hostNetwork.
 */
import { cpus, totalmem } from 'node:os';
import { RestClient, type ClientConfig } from '../../../../client/index.js';
import { Services } from '../../../../client/resources.js';
import { SharedInformer } from '../../../../client/informer.js';
import type { KubeObject } from '../../../../client/types.js';
import type { AgentLogger } from '../../agent.js';
import { nodeNetnsName } from '../../network/names.js';
import { DEFAULT_NODE_SPEC, expandNodes, parseNodeSpec } from '../../spec.js';
import { startNodeAgent, type RunningNodeAgent } from '../../start.js';
import { runcPodDriverFactory, type RuncPodDriver } from './driver.js';
import type { PodDriverFactory } from '../../types.js';
import { withRuncStreaming } from '../../streaming/runc-streams.js';
import { nodeDir, realRuncDeps } from './node-deps.js';
import type { ImageService } from '../../images/types.js';

export interface RuncNodeOptions {
  client: ClientConfig | RestClient;
  nodeName: string;
  dataDir: string;
  /** The node stays in the host's network namespace (else its own `<prefix>node-<name>`). */
  hostNetwork?: boolean;
  /** A network namespace the user made for the node (kept when the node's network is destroyed). */
  netns?: string;
  /** Start of namespace names, runc ids and cgroup paths; default `skiff-`. */
  prefix?: string;
  /** podCIDR used while the Node has none (a cluster without node IPAM). */
  podCIDR?: string;
  clusterDNS?: string[];
  clusterDomain?: string;
  /** The kubelet API's listener (default 127.0.0.1 on a free port); the node's InternalIP is its host. */
  listen?: { host: string; port: number };
  /** Capacity; default this machine's CPUs and memory, 110 pods. */
  cpu?: string;
  memory?: string;
  pods?: number;
  images?: ImageService;
  log?: AgentLogger;
  /** Test knobs (see RuncDriverOptions). */
  pollMs?: number;
  orphanGraceMs?: number;
  usageIntervalMs?: number;
}

export interface RunningRuncNode extends RunningNodeAgent {
  /** The node's network namespace name (undefined with hostNetwork). */
  netns?: string;
}

export async function startRuncNode(o: RuncNodeOptions): Promise<RunningRuncNode> {
  const listen = o.listen ?? { host: '127.0.0.1', port: 0 };
  const address = listen.host === '0.0.0.0' || listen.host === '::' || listen.host === '' ? '127.0.0.1' : listen.host;
  const spec = parseNodeSpec(
    { count: 1, names: [o.nodeName], cpu: o.cpu ?? String(cpus().length || 1), memory: o.memory ?? `${Math.floor(totalmem() / 1024 / 1024)}Mi`, pods: o.pods ?? 110 },
    'flags',
    DEFAULT_NODE_SPEC,
  );
  const nodes = expandNodes(spec, address);
  const client = o.client instanceof RestClient ? o.client : new RestClient(o.client, { userAgent: 'skiff-agent' });
  const prefix = o.prefix ?? 'skiff-';
  // Services for the service-link variables every container gets (as the kubelet's service lister).
  const services = new SharedInformer<KubeObject>(client, Services, {});
  const abort = new AbortController();
  void services.run(abort.signal);
  // The kubelet API (logs, exec, port-forward) over the driver: streaming/runc-streams.ts.
  // The drivers remove leftovers of pods deleted while the agent was away, once the agent's pod watch has listed.
  const drivers: RuncPodDriver[] = [];
  const keep = (f: PodDriverFactory): PodDriverFactory => (ctx, hooks) => {
    const d = f(ctx, hooks) as RuncPodDriver;
    drivers.push(d);
    return d;
  };
  const driverFactory = withRuncStreaming(keep(runcPodDriverFactory({
    deps: realRuncDeps({
      dataDir: o.dataDir,
      prefix,
      client,
      services: () => (services.hasSynced() ? services.indexer.list() : undefined),
      clusterDNS: o.clusterDNS,
      clusterDomain: o.clusterDomain,
      images: o.images,
      ...(o.netns ? { nodeNetns: o.netns } : {}),
      ...(o.log ? { log: o.log } : {}),
    }),
    dataDir: nodeDir(o.dataDir, o.nodeName),
    idPrefix: prefix,
    hostNetwork: o.hostNetwork === true,
    podCIDR: o.podCIDR,
    ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
    ...(o.orphanGraceMs !== undefined ? { orphanGraceMs: o.orphanGraceMs } : {}),
    ...(o.usageIntervalMs !== undefined ? { usageIntervalMs: o.usageIntervalMs } : {}),
    log: o.log,
  })), { dataDir: nodeDir(o.dataDir, o.nodeName), idPrefix: prefix });
  let running: RunningNodeAgent;
  try {
    running = await startNodeAgent({ client, nodes, driverFactory, listen, podEvents: true, log: o.log });
  } catch (err) {
    abort.abort();
    if (!(o.client instanceof RestClient)) client.close();
    throw err;
  }
  void running.agent.podsSynced().then((ok) => {
    if (ok) for (const d of drivers) d.podsListed();
  });
  return {
    ...running,
    ...(o.hostNetwork ? {} : { netns: o.netns ?? nodeNetnsName(o.nodeName, prefix) }),
    async stop() {
      abort.abort();
      await running.stop();
      if (!(o.client instanceof RestClient)) client.close();
    },
  };
}
