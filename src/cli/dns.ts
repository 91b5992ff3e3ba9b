/**
 * `skiff dns`: the cluster DNS server (what CoreDNS is in a kubeadm cluster), answering for the cluster domain
 * from the API server's Services and EndpointSlices.
 *   skiff dns --kubeconfig FILE [--listen 127.0.0.1:53] [--netns NAME] [--cluster-domain cluster.local] [--ttl 30]
 *             [--advertise [ADDRESS]] [--node-name N]
 * Upstream forwarding is off: names outside the cluster domain and the reverse zones are answered REFUSED, so no
 * query ever leaves this host. With --netns the sockets are bound inside that network namespace (a node's) while
 * the API server is still reached from here; with --advertise they are bound to the advertised address (a UDP
 * answer must leave from the address the proxy's DNAT aimed at), else to 0.0.0.0:53 there. --advertise publishes an
 * EndpointSlice for the kube-dns Service pointing at this server (ADDRESS, or the namespace's first IPv4
 * address), so pods reach it through the kube-dns ClusterIP via the proxy.
 */
import { hostname } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { guard } from './guard.js';
import { parseListen } from './server.js';
import { checkClusterDomain, checkTTL, DEFAULT_CLUSTER_DOMAIN, DEFAULT_DNS_TTL } from '../dataplane/dns/settings.js';

interface DnsFlags {
  kubeconfig?: string;
  listen?: { host: string; port: number };
  netns?: string;
  clusterDomain: string;
  ttl: number;
  advertise?: string | boolean;
  nodeName: string;
}

function domain(v: string): string {
  try {
    return checkClusterDomain(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function ttl(v: string): number {
  try {
    return checkTTL(Number(v));
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function registerDnsCommand(program: Command): Command {
  return program
    .command('dns')
    .description('Run the cluster DNS server (kube-dns) for the cluster domain; never forwards other names')
    .option('--kubeconfig <file>', 'kubeconfig of the API server to watch')
    .option('--listen <host:port>', 'UDP and TCP address to answer on (default 127.0.0.1:53; with --advertise the advertised address, port 53; 0.0.0.0:53 inside --netns otherwise)', parseListen)
    .option('--netns <name>', 'bind the sockets inside this named network namespace (e.g. a node\'s skiff-node-<name>)')
    .option('--cluster-domain <domain>', 'the cluster domain (the kubelet\'s --cluster-domain)', domain, DEFAULT_CLUSTER_DOMAIN)
    .option('--ttl <seconds>', 'TTL of the answers', ttl, DEFAULT_DNS_TTL)
    .option('--advertise [address]', 'publish a kube-dns EndpointSlice pointing at this server (default address: the --netns namespace\'s first IPv4)')
    .option('--node-name <name>', 'node this server runs on (the published endpoint\'s nodeName)', hostname())
    .action(
      guard('dns', async (o: DnsFlags) => {
        if (!o.kubeconfig) throw new Error('--kubeconfig is required');
        const stop = new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        // Loaded here, not at `skiff` start: the other commands and --help skip them.
        const [{ loadKubeconfig }, { startDns }] = await Promise.all([import('../client/index.js'), import('../dataplane/dns/start.js')]);
        const running = await startDns({
          client: loadKubeconfig(o.kubeconfig),
          ...(o.listen ? { listen: o.listen } : {}),
          ...(o.netns ? { netns: o.netns } : {}),
          clusterDomain: o.clusterDomain,
          ttl: o.ttl,
          ...(o.advertise ? { advertise: { ...(typeof o.advertise === 'string' ? { address: o.advertise } : {}), nodeName: o.nodeName } } : {}),
          log: (msg, f) => console.error(`dns: ${msg} ${f ? JSON.stringify(f) : ''}`),
        });
        const ready = running.synced.then((ok) => ok && process.stdout.write(`skiff: DNS for ${o.clusterDomain} on ${running.address}:${running.port}${o.netns ? ` in netns ${o.netns}` : ''} (udp, tcp); other names are refused\n`));
        await stop;
        await running.stop();
        await ready;
      }),
    );
}
