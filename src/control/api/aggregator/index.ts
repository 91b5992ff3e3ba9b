/**
 * API aggregation (kube-aggregator inside the API server): group-versions registered by an APIService with a
 * service are proxied to that service, and discovery lists them beside the server's own groups (the legacy
 * /apis list and /apis/<group> from the APIServices, aggregated discovery from what the availability checks
 * read). Requests go to a ready endpoint of the service directly (upstream's --enable-aggregator-routing), not
 * through its ClusterIP. Not done: upgrade requests (exec, port-forward) through an aggregated server, and the
 * extension-apiserver-authentication ConfigMap that tells aggregated servers which proxy certificate to trust.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { userOf } from '../auth/request.js';
import { sendText } from '../content.js';
import {
  acceptsAggregatedDiscovery, aggregatedDiscovery, apiGroupList, DISCOVERY_V2_CONTENT_TYPE,
  type APIGroup, type APIResourceList, type APIResourceDiscovery, type APIGroupDiscovery,
} from '../discovery.js';
import type { KubeObject, ResourceType } from '../resource.js';
import type { ObjectEngine } from '../routes/objects.js';
import { ApiError } from '../status.js';
import { cachedObjects } from '../watch/cached-objects.js';
import { AvailabilityController, type AvailableCondition } from './availability.js';
import { resolveEndpoint, type ObjectLookup } from './endpoint.js';
import { proxyRequest, type ProxyClientCertificate } from './proxy.js';
import { RemoteAPIs, type RemoteAPI } from './remote-apis.js';

const GROUP = 'apiregistration.k8s.io';

export interface AggregatorOptions {
  /** How often the availability controller checks the remote APIServices (default 10 s). */
  checkIntervalMs?: number;
  /** The front-proxy client certificate presented to aggregated servers. */
  proxyClientCertificate?: ProxyClientCertificate;
  now?: () => Date;
  onError?: (err: unknown) => void;
}

const gvFor = (group: string, version: string) => ({ groupVersion: `${group}/${version}`, version });

function remoteGroup(group: string, versions: readonly RemoteAPI[]): APIGroup {
  return { name: group, versions: versions.map((v) => gvFor(group, v.version)), preferredVersion: gvFor(group, versions[0]!.version) };
}

/** A remote APIResourceList as aggregated discovery's resources (subresources folded under their resource). */
export function discoveryResources(list: APIResourceList, group: string, version: string): APIResourceDiscovery[] {
  const main = new Map<string, APIResourceDiscovery>();
  for (const r of list.resources ?? []) {
    if (r.name.includes('/')) continue;
    main.set(r.name, {
      resource: r.name, responseKind: { group, version, kind: r.kind }, scope: r.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: r.singularName ?? '', verbs: [...(r.verbs ?? [])],
      ...(r.shortNames?.length ? { shortNames: [...r.shortNames] } : {}), ...(r.categories?.length ? { categories: [...r.categories] } : {}),
    });
  }
  for (const r of list.resources ?? []) {
    const [name, sub] = r.name.split('/', 2) as [string, string | undefined];
    const m = sub ? main.get(name) : undefined;
    if (!m || !sub) continue;
    (m.subresources ??= []).push({ subresource: sub, responseKind: { group: r.group ?? group, version: r.version ?? version, kind: r.kind }, verbs: [...(r.verbs ?? [])] });
  }
  return [...main.values()].sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
}

export class Aggregator {
  readonly remotes: RemoteAPIs;
  private readonly availability: AvailabilityController;
  private readonly objects: ObjectLookup;

  constructor(private readonly engine: ObjectEngine, private readonly opts: AggregatorOptions = {}) {
    const apiservices = (): ResourceType | undefined => engine.registry.lookup(GROUP, 'v1', 'apiservices');
    this.remotes = new RemoteAPIs(() => {
      const r = apiservices();
      return r ? engine.cache(r) : undefined;
    }, () => engine.registry.resources);
    this.objects = { get: (plural, namespace, name) => cachedObjects(engine, '', 'v1', plural).get(namespace, name) };
    this.availability = new AvailabilityController(this.remotes, this.objects, {
      current: async (name) => {
        const r = apiservices();
        if (!r) return undefined;
        const c = engine.cache(r);
        return c.get(`${c.prefix}${name}`)?.object;
      },
      writeCondition: async (name, cond) => {
        const r = apiservices();
        if (!r) return;
        await engine.guaranteedUpdate(r, undefined, name, (cur: KubeObject) => {
          const status = (cur['status'] ?? {}) as { conditions?: AvailableCondition[] };
          const others = (status.conditions ?? []).filter((c) => c.type !== 'Available');
          const next = { ...cur, status: { ...status, conditions: [...others, cond] } };
          delete next.metadata?.resourceVersion;
          return next;
        }, { fieldManager: 'kube-apiserver' }, 'status');
      },
    }, {
      intervalMs: opts.checkIntervalMs ?? 10_000,
      ...(opts.proxyClientCertificate ? { client: opts.proxyClientCertificate } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.onError ? { onError: opts.onError } : {}),
    });
  }

  start(): void {
    const r = this.engine.registry.lookup(GROUP, 'v1', 'apiservices');
    if (r) void this.engine.cache(r).start().then(() => this.availability.start(), (err) => this.opts.onError?.(err));
  }

  stop(): Promise<void> {
    return this.availability.stop();
  }

  /** Checks every remote APIService now (tests; the controller also runs on its interval). */
  checkNow(): Promise<void> {
    return this.availability.checkAll();
  }

  /**
   * Answers the request when it is the aggregator's: /apis (with the remote groups merged in), a remote group's
   * /apis/<group>, or anything under a remote /apis/<group>/<version> (proxied). False: the server's own.
   */
  async handle(req: FastifyRequest, reply: FastifyReply, core: boolean, segs: readonly string[]): Promise<boolean> {
    if (core) return false;
    const groups = this.remotes.groups();
    if (groups.length === 0) return false;
    if (segs.length === 0) {
      if (req.method !== 'GET') return false;
      this.serveGroupList(req, reply, groups);
      return true;
    }
    const group = groups.find((g) => g.group === segs[0]);
    if (!group) return false;
    if (segs.length === 1) {
      if (req.method !== 'GET') return false;
      sendText(reply, 200, 'application/json', JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...remoteGroup(group.group, group.versions) }));
      return true;
    }
    const api = this.remotes.get(segs[0]!, segs[1]!);
    if (!api) return false;
    const r = await resolveEndpoint(this.objects, api);
    if ('reason' in r) throw new ApiError(503, 'ServiceUnavailable', `service unavailable: ${r.message}`);
    await proxyRequest(req, reply, r.target, userOf(req), this.opts.proxyClientCertificate);
    return true;
  }

  private serveGroupList(req: FastifyRequest, reply: FastifyReply, groups: ReadonlyArray<{ group: string; versions: RemoteAPI[] }>): void {
    const local = this.engine.registry.resources;
    if (acceptsAggregatedDiscovery(req.headers.accept)) {
      const doc = aggregatedDiscovery(local, 'apis');
      for (const g of groups) {
        const versions = g.versions.flatMap((v) => {
          const list = this.availability.discovery.get(`${g.group}/${v.version}`);
          return list ? [{ version: v.version, resources: discoveryResources(list, g.group, v.version), freshness: 'Current' as const }] : [];
        });
        if (versions.length) doc.items.push({ metadata: { name: g.group, creationTimestamp: null }, versions } as APIGroupDiscovery);
      }
      sendText(reply, 200, DISCOVERY_V2_CONTENT_TYPE, JSON.stringify(doc));
      return;
    }
    const list = apiGroupList(local);
    for (const g of groups) list.groups.push(remoteGroup(g.group, g.versions));
    sendText(reply, 200, 'application/json', JSON.stringify(list));
  }
}
