/**
 * Start a proxy agent against an API server: what `skiff proxy` runs and what `skiff server --proxy-netns NAME`
 * can call for its local node. Refuses to touch the host network unless `hostNetwork` is set.
 */
import { RestClient, type ClientConfig } from '../../client/index.js';
import { ProxyAgent } from './agent.js';
import { createBackend, type NftLayout, type ProxyBackend, type ProxyMode } from './backends.js';
import { InformerSource } from './informer-source.js';
import { nodeAddresses } from './apply/addresses.js';
import type { NetnsTarget } from './apply/exec.js';
import type { ProxyConfig } from './model.js';

export interface StartProxyOptions {
  /** API server to watch (a kubeconfig's parsed form), or a ready client. */
  client: ClientConfig | RestClient;
  mode?: ProxyMode;
  nftLayout?: NftLayout;
  /** Named network namespace to program; exactly one of netns / hostNetwork. */
  netns?: string;
  hostNetwork?: boolean;
  clusterCIDR?: string;
  nodeName: string;
  /** NodePort addresses; default: the target namespace's IPv4 addresses. */
  nodeIPs?: string[];
  masqueradeBit?: number;
  minSyncPeriodMs?: number;
  syncPeriodMs?: number;
  /** host:port, or null for no server. Defaults: 127.0.0.1:10256 and 127.0.0.1:10249. */
  healthzBindAddress?: string | null;
  metricsBindAddress?: string | null;
  compiler?: 'wasm' | 'reference';
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface RunningProxy {
  agent: ProxyAgent;
  backend: ProxyBackend;
  nodeIPs: string[];
  healthzPort?: number;
  metricsPort?: number;
  /** Stop syncing (rules stay in place, as kube-proxy leaves them on exit). */
  stop(): Promise<void>;
}

export function proxyTarget(o: { netns?: string; hostNetwork?: boolean }): NetnsTarget {
  if (o.netns && o.hostNetwork) throw new Error('--netns and --host-network exclude each other');
  if (o.netns) return { netns: o.netns };
  if (o.hostNetwork) return { hostNetwork: true };
  throw new Error('refusing to program the host network: pass --netns NAME, or --host-network to apply in this namespace');
}

export async function startProxy(o: StartProxyOptions): Promise<RunningProxy> {
  const target = proxyTarget(o);
  const nodeIPs = o.nodeIPs?.length ? o.nodeIPs : await nodeAddresses(target);
  const config: ProxyConfig = { clusterCIDR: o.clusterCIDR ?? '', nodeIPs, masqueradeBit: o.masqueradeBit ?? 14 };
  const backend = await createBackend({ mode: o.mode ?? 'iptables', nftLayout: o.nftLayout, target, config, compiler: o.compiler });
  const client = o.client instanceof RestClient ? o.client : new RestClient(o.client, { userAgent: 'skiff-proxy' });
  const abort = new AbortController();
  const agent = new ProxyAgent({
    backend,
    source: new InformerSource(client),
    nodeName: o.nodeName,
    minSyncPeriodMs: o.minSyncPeriodMs,
    syncPeriodMs: o.syncPeriodMs,
    healthzBindAddress: o.healthzBindAddress,
    metricsBindAddress: o.metricsBindAddress,
    log: o.log,
  });
  const ports = await agent.start(abort.signal);
  return {
    agent,
    backend,
    nodeIPs,
    ...ports,
    async stop() {
      abort.abort();
      await agent.stop();
      if (!(o.client instanceof RestClient)) client.close();
    },
  };
}
