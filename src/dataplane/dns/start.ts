/**
 * Start the cluster DNS server against an API server: shared informers for Services, EndpointSlices and
 * Namespaces, a snapshot rebuilt on the first query after a change, and the UDP/TCP listeners. What `skiff dns`
 * runs and what `skiff server --dns-listen` starts in-process. It answers only for the cluster domain and the
 * reverse zones, and never forwards: queries for other names are REFUSED, so nothing it is asked leaves the host.
 * Until the caches have synced every query is SERVFAIL (as CoreDNS), never a wrong NXDOMAIN.
 */
import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import {
  dropManagedFields, EndpointSlices, Namespaces, realClock, RestClient, Services, SharedInformerFactory,
  type Clock, type ClientConfig, type KubeObject, type SharedInformer,
} from '../../client/index.js';
import { answerQuestion, type ZoneConfig } from './answer.js';
import { checkClusterDomain, checkTTL, DEFAULT_CLUSTER_DOMAIN, DEFAULT_DNS_TTL } from './settings.js';
import { bindListeners, DnsServer, type DnsListeners } from './server.js';
import { DnsIndex, KUBE_DNS, namespaceSet, serviceEntry, serviceKey, sliceServiceKey, type DnsSnapshot } from './snapshot.js';
import { bindListenersInNetns } from './netns-listeners.js';
import { kubeDnsSlice, publishKubeDnsSlice } from './publish.js';
import { nodeAddresses } from '../proxy/apply/addresses.js';

export { KUBE_DNS };
export { checkClusterDomain, checkTTL, DEFAULT_CLUSTER_DOMAIN, DEFAULT_DNS_TTL };

const SLICES_BY_SERVICE = 'dns/service';

export interface StartDnsOptions {
  client: ClientConfig | RestClient;
  /** Share informers with other components of the process; one of their own otherwise. */
  informers?: SharedInformerFactory;
  /** Where to listen (UDP and TCP, same port; 0 picks one). Ignored when `listeners` is given. */
  listen?: { host: string; port: number };
  /** Sockets bound elsewhere. */
  listeners?: DnsListeners;
  /** Bind the sockets inside this named network namespace (a node's), not in this process's own. */
  netns?: string;
  /**
   * Publish an EndpointSlice for kube-dns pointing at this server, so the proxy routes the kube-dns ClusterIP
   * here. `address` defaults to the first IPv4 address of `netns`; required without one.
   */
  advertise?: { address?: string; nodeName?: string };
  clusterDomain?: string;
  /** TTL of the records, seconds (default 30). */
  ttl?: number;
  clock?: Clock;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface RunningDns {
  address: string;
  port: number;
  /** Resolves true once Services, EndpointSlices and Namespaces are listed (false if stopped first). */
  synced: Promise<boolean>;
  stop(): Promise<void>;
}

/** The answering side without sockets: informer events mark Services dirty, the next query refreshes them. */
export class DnsRecords {
  private readonly index = new DnsIndex();
  private readonly dirty = new Set<string>();
  private namespacesDirty = true;
  private serial: number;
  private synced = false;

  constructor(
    private readonly services: SharedInformer<Service & KubeObject>,
    private readonly slices: SharedInformer<EndpointSlice & KubeObject>,
    private readonly namespaces: SharedInformer<Namespace & KubeObject>,
    private readonly zone: { zone: string; ttl: number },
    private readonly clock: Clock,
  ) {
    this.serial = Math.floor(clock.now() / 1000);
    slices.indexer.ensureIndexer(SLICES_BY_SERVICE, (s) => {
      const k = sliceServiceKey(s);
      return k ? [k] : [];
    });
    const mark = (key: string | null) => {
      if (key) this.dirty.add(key);
      this.serial = Math.floor(this.clock.now() / 1000);
    };
    const ofService = (o: Service) => (o.metadata?.name && o.metadata.namespace ? serviceKey(o.metadata.namespace, o.metadata.name) : null);
    services.addEventHandler({ onAdd: (o) => mark(ofService(o)), onUpdate: (_, n) => mark(ofService(n)), onDelete: (o) => mark(ofService(o)) });
    slices.addEventHandler({
      onAdd: (s) => mark(sliceServiceKey(s)),
      // A slice relabelled to another Service changes both.
      onUpdate: (o, n) => {
        mark(sliceServiceKey(o));
        mark(sliceServiceKey(n));
      },
      onDelete: (s) => mark(sliceServiceKey(s)),
    });
    const nsChanged = () => {
      this.namespacesDirty = true;
      mark(null);
    };
    namespaces.addEventHandler({ onAdd: nsChanged, onUpdate: nsChanged, onDelete: nsChanged });
  }

  markSynced(): void {
    this.synced = true;
  }

  /** The index with every change seen so far applied; null before the caches synced. */
  current(): DnsSnapshot | null {
    if (!this.synced) return null;
    for (const key of this.dirty) {
      // Informer keys are `namespace/name`; Kubernetes names are lower case already.
      const svc = this.services.indexer.get(key);
      this.index.set(key, svc ? serviceEntry(svc, this.slices.indexer.byIndex(SLICES_BY_SERVICE, key)) : null);
    }
    this.dirty.clear();
    if (this.namespacesDirty) {
      this.index.namespaces = namespaceSet(this.namespaces.indexer.list());
      this.namespacesDirty = false;
    }
    return this.index;
  }

  config(snap: DnsSnapshot): ZoneConfig {
    const dns = snap.service(KUBE_DNS.namespace, KUBE_DNS.name);
    return { zone: this.zone.zone, ttl: this.zone.ttl, serial: this.serial, nameserverIPs: dns?.clusterIPs ?? [] };
  }

  resolve = (q: { name: string; type: string; class?: string }) => {
    const snap = this.current();
    return snap ? answerQuestion(snap, q, this.config(snap)) : null;
  };
}

export async function startDns(o: StartDnsOptions): Promise<RunningDns> {
  const zone = checkClusterDomain(o.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN);
  const ttl = checkTTL(o.ttl ?? DEFAULT_DNS_TTL);
  const client = o.client instanceof RestClient ? o.client : new RestClient(o.client, { userAgent: 'skiff-dns' });
  const factory = o.informers ?? new SharedInformerFactory(client);
  const transform = { transform: dropManagedFields };
  const informers = [
    factory.forResource<Service & KubeObject>(Services, transform),
    factory.forResource<EndpointSlice & KubeObject>(EndpointSlices, transform),
    factory.forResource<Namespace & KubeObject>(Namespaces, transform),
  ] as const;
  const records = new DnsRecords(...informers, { zone, ttl }, o.clock ?? realClock);
  let address = o.advertise?.address;
  if (o.advertise && !address) {
    address = o.netns ? (await nodeAddresses({ netns: o.netns }))[0] : undefined;
    if (!address) throw new Error(o.netns ? `netns ${o.netns} has no IPv4 address to advertise` : 'an advertise address is needed to publish the kube-dns endpoint');
  }
  // Bound to the advertised address, not 0.0.0.0: a UDP answer from a wildcard socket leaves from the address
  // the route picks, which need not be the one the proxy's DNAT aimed at, and conntrack would not map it back.
  const host = o.listen?.host ?? address ?? (o.netns ? '0.0.0.0' : '127.0.0.1');
  const listeners = o.listeners ?? (o.netns ? await bindListenersInNetns(o.netns, host, o.listen?.port ?? 53) : await bindListeners(host, o.listen?.port ?? 53));
  const server = new DnsServer(listeners, { resolve: records.resolve, onError: (err, where) => o.log?.('dns error', { where, err: err.message }) });
  const abort = new AbortController();
  if (!o.informers) factory.start(abort.signal);
  // Our three informers only: a shared factory may hold others that sync later.
  const synced = Promise.all(informers.map((i) => i.waitForSync(abort.signal))).then((oks) => {
    const ok = oks.every(Boolean);
    if (ok) records.markSynced();
    return ok;
  });
  let unpublish: (() => Promise<void>) | null = null;
  try {
    if (o.advertise && address) {
      // Published once the records are there: the proxy would otherwise route queries to a server that can only
      // answer SERVFAIL.
      await synced;
      unpublish = await publishKubeDnsSlice(client, kubeDnsSlice({ address, port: server.port, ...(o.advertise.nodeName ? { nodeName: o.advertise.nodeName } : {}) }));
      o.log?.('dns endpoint published', { address, port: server.port });
    }
  } catch (err) {
    abort.abort();
    await server.close();
    throw err;
  }
  o.log?.('dns listening', { address: server.address, port: server.port, zone, ttl, netns: o.netns });
  return {
    address: server.address,
    port: server.port,
    synced,
    stop: async () => {
      abort.abort();
      await unpublish?.().catch((err: Error) => o.log?.('dns endpoint not removed', { err: err.message }));
      await server.close();
      if (!(o.client instanceof RestClient)) client.close();
    },
  };
}
