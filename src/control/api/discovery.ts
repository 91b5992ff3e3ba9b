/**
 * Discovery documents derived from the registry: the legacy ones (/api, /apis, /api/v1, /apis/<g>[/<v>]) and
 * aggregated discovery (apidiscovery.k8s.io/v2), which kubectl 1.32 asks for first. Pure functions; routes
 * choose the document by path and Accept header.
 */
import { createHash } from 'node:crypto';
import { groupVersion, storageOf, type ResourceType } from './resource.js';

/** Content-Type of an aggregated discovery answer (and the media type a client puts in Accept to ask for it). */
export const DISCOVERY_V2_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

export interface APIVersions {
  kind: 'APIVersions';
  versions: string[];
  serverAddressByClientCIDRs: Array<{ clientCIDR: string; serverAddress: string }>;
}

export interface APIGroup {
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export interface APIGroupList {
  kind: 'APIGroupList';
  apiVersion: 'v1';
  groups: APIGroup[];
}

export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

export interface APIResourceList {
  kind: 'APIResourceList';
  apiVersion: 'v1';
  groupVersion: string;
  resources: APIResource[];
}

export interface GroupVersionKindRef {
  group: string;
  version: string;
  kind: string;
}

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind: GroupVersionKindRef;
  verbs: string[];
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKindRef;
  scope: 'Namespaced' | 'Cluster';
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export interface APIVersionDiscovery {
  version: string;
  resources: APIResourceDiscovery[];
  freshness: 'Current';
}

export interface APIGroupDiscovery {
  metadata: { name?: string; creationTimestamp: null };
  versions: APIVersionDiscovery[];
}

export interface APIGroupDiscoveryList {
  kind: 'APIGroupDiscoveryList';
  apiVersion: 'apidiscovery.k8s.io/v2';
  metadata: Record<string, never>;
  items: APIGroupDiscovery[];
}

/** What each subresource answers with and which verbs it serves, as kube-apiserver registers them. */
function subresourceInfo(r: ResourceType, sub: string): { kind: GroupVersionKindRef; verbs: string[] } {
  const own = { group: r.group, version: r.version, kind: r.kind };
  switch (sub) {
    case 'status':
      return { kind: own, verbs: ['get', 'patch', 'update'] };
    case 'scale':
      return { kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] };
    case 'binding':
      return { kind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] };
    case 'eviction':
      return { kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] };
    case 'token':
      // serviceaccounts/token: a TokenRequest (serviceaccount/index.ts answers it).
      return { kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: ['create'] };
    case 'log':
      return { kind: own, verbs: ['get'] };
    case 'finalize':
      return { kind: own, verbs: ['update'] };
    case 'exec':
    case 'attach':
    case 'portforward':
      return { kind: { group: '', version: 'v1', kind: sub === 'portforward' ? 'PodPortForwardOptions' : sub === 'exec' ? 'PodExecOptions' : 'PodAttachOptions' }, verbs: ['create', 'get'] };
    case 'proxy':
      return {
        kind: { group: '', version: 'v1', kind: `${r.kind}ProxyOptions` },
        verbs: ['create', 'delete', 'get', 'patch', 'update'],
      };
    default:
      return { kind: own, verbs: ['get', 'patch', 'update'] };
  }
}

/** Upstream's storageVersionHash: base64 of the first 8 bytes of sha256("<group>/<version>/<kind>"). */
export function storageVersionHash(r: Pick<ResourceType, 'group' | 'version' | 'kind'>): string {
  return createHash('sha256').update(`${r.group}/${r.version}/${r.kind}`).digest().subarray(0, 8).toString('base64');
}

/** /api: the legacy core group's versions. */
export function apiVersions(serverAddress = '127.0.0.1:6443'): APIVersions {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

/** Named groups in registry order, each with its versions in registry order (the first is preferred). */
function namedGroups(resources: readonly ResourceType[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const r of resources) {
    if (r.group === '') continue;
    const versions = groups.get(r.group) ?? [];
    if (!versions.includes(r.version)) versions.push(r.version);
    groups.set(r.group, versions);
  }
  return groups;
}

const gvFor = (group: string, version: string): GroupVersionForDiscovery => ({ groupVersion: `${group}/${version}`, version });

/** /apis/<group>: one named group, or undefined when the registry has none of it. */
export function apiGroup(resources: readonly ResourceType[], group: string): APIGroup | undefined {
  const versions = namedGroups(resources).get(group);
  if (!versions) return undefined;
  return { name: group, versions: versions.map((v) => gvFor(group, v)), preferredVersion: gvFor(group, versions[0]!) };
}

/** /apis: every named group (the core group is only under /api). */
export function apiGroupList(resources: readonly ResourceType[]): APIGroupList {
  const groups = [...namedGroups(resources).keys()].map((g) => apiGroup(resources, g)!);
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** /api/v1 or /apis/<group>/<version>: resources and subresources; undefined for an unknown group-version. */
export function apiResourceList(
  resources: readonly ResourceType[], group: string, version: string,
): APIResourceList | undefined {
  const inGV = resources.filter((r) => r.group === group && r.version === version);
  if (inGV.length === 0) return undefined;
  const out: APIResource[] = [];
  for (const r of inGV) {
    const main: APIResource = {
      name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: [...r.verbs],
    };
    if (r.shortNames.length) main.shortNames = [...r.shortNames];
    if (r.categories.length) main.categories = [...r.categories];
    // Only stored kinds have a storage version (metrics-server's computed kinds publish none).
    // Every served version of a kind reports the hash of the one it is stored in, as upstream.
    if (!r.computed) main.storageVersionHash = storageVersionHash(storageOf(r));
    out.push(main);
    for (const sub of r.subresources) {
      const info = subresourceInfo(r, sub);
      const entry: APIResource = {
        name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced, kind: info.kind.kind, verbs: info.verbs,
      };
      if (info.kind.group !== r.group || info.kind.version !== r.version) {
        entry.group = info.kind.group;
        entry.version = info.kind.version;
      }
      out.push(entry);
    }
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion({ group, version }), resources: out };
}

function resourceDiscovery(r: ResourceType): APIResourceDiscovery {
  const d: APIResourceDiscovery = {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: [...r.verbs],
  };
  if (r.shortNames.length) d.shortNames = [...r.shortNames];
  if (r.categories.length) d.categories = [...r.categories];
  if (r.subresources.length) {
    d.subresources = [...r.subresources].sort().map((sub) => {
      const info = subresourceInfo(r, sub);
      return { subresource: sub, responseKind: info.kind, verbs: info.verbs };
    });
  }
  return d;
}

/**
 * Aggregated discovery: under /api only the core group (with no name), under /apis every named group.
 * Serve it with Content-Type DISCOVERY_V2_CONTENT_TYPE.
 */
export function aggregatedDiscovery(resources: readonly ResourceType[], scope: 'api' | 'apis'): APIGroupDiscoveryList {
  const items: APIGroupDiscovery[] = [];
  const groups = scope === 'api' ? new Map([['', ['v1']]]) : namedGroups(resources);
  for (const [group, versions] of groups) {
    const vs: APIVersionDiscovery[] = versions.map((version) => ({
      version,
      resources: resources
        .filter((r) => r.group === group && r.version === version)
        .map(resourceDiscovery)
        .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0)),
      freshness: 'Current',
    }));
    if (vs.every((v) => v.resources.length === 0)) continue;
    items.push({ metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null }, versions: vs });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}

/** Whether an Accept header asks for aggregated discovery v2 (clients list it before plain JSON). */
export function acceptsAggregatedDiscovery(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const params = part.split(';').map((p) => p.trim().replace(/\s+/g, ''));
    return params[0] === 'application/json' && params.includes('g=apidiscovery.k8s.io') && params.includes('v=v2')
      && params.includes('as=APIGroupDiscoveryList');
  });
}
