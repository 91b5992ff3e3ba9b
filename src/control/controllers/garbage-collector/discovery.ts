/**
 * Which resources the garbage collector watches and how it addresses an owner named by apiVersion + kind:
 * discovery (/api, /apis), one preferred version per group, as upstream's ServerPreferredResources, and a small
 * REST mapper from (group, kind) to a resource.
 */
import type { RestClient } from '../../../client/rest.js';
import type { ResourceRef } from '../../../client/resources.js';

export interface DiscoveredResource {
  ref: ResourceRef;
  /** `v1` or `group/version`. */
  apiVersion: string;
  kind: string;
  verbs: readonly string[];
}

interface APIResourceList {
  groupVersion?: string;
  resources?: { name: string; namespaced: boolean; kind: string; verbs?: string[] }[];
}
interface APIGroupList {
  groups?: { name: string; versions?: { groupVersion: string; version: string }[]; preferredVersion?: { version: string } }[];
}

/** Upstream's default --garbage-collector ignored resources: events are never owners' dependents worth a watch. */
export const IGNORED_RESOURCES: ReadonlySet<string> = new Set(['/events', 'events.k8s.io/events']);

/** The resources the collector watches: list, watch and delete, not ignored (upstream's GetDeletableResources). */
export function deletable(resources: readonly DiscoveredResource[], ignored: ReadonlySet<string> = IGNORED_RESOURCES): DiscoveredResource[] {
  return resources.filter((r) => ['list', 'watch', 'delete'].every((v) => r.verbs.includes(v)) && !ignored.has(`${r.ref.group}/${r.ref.plural}`));
}

/** Every top-level resource the server serves, each group at its preferred version (plus resources only other versions have). */
export async function discoverResources(client: RestClient): Promise<DiscoveredResource[]> {
  const out: DiscoveredResource[] = [];
  const core = await client.request<APIResourceList>('GET', '/api/v1');
  out.push(...fromList(core, '', 'v1'));
  const groups = await client.request<APIGroupList>('GET', '/apis');
  const lists = await Promise.all(
    (groups.groups ?? []).map(async (g) => {
      const versions = [...(g.versions ?? [])];
      // The preferred version first, so its resources win over the same names in other versions.
      versions.sort((a, b) => Number(b.version === g.preferredVersion?.version) - Number(a.version === g.preferredVersion?.version));
      const seen = new Set<string>();
      const mine: DiscoveredResource[] = [];
      for (const v of versions) {
        const list = await client.request<APIResourceList>('GET', `/apis/${v.groupVersion}`);
        for (const r of fromList(list, g.name, v.version)) {
          if (seen.has(r.ref.plural)) continue;
          seen.add(r.ref.plural);
          mine.push(r);
        }
      }
      return mine;
    }),
  );
  for (const l of lists) out.push(...l);
  return out;
}

function fromList(list: APIResourceList, group: string, version: string): DiscoveredResource[] {
  const apiVersion = group ? `${group}/${version}` : version;
  return (list.resources ?? [])
    .filter((r) => !r.name.includes('/'))
    .map((r) => ({ ref: { group, version, plural: r.name, namespaced: r.namespaced }, apiVersion, kind: r.kind, verbs: r.verbs ?? [] }));
}

export const groupOf = (apiVersion: string): string => {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
};

/** (group, kind) → resource; an owner reference's version need not be the served one. */
export class RestMapper {
  private readonly byGroupKind = new Map<string, DiscoveredResource>();

  constructor(resources: readonly DiscoveredResource[]) {
    for (const r of resources) {
      const key = `${r.ref.group}/${r.kind}`;
      if (!this.byGroupKind.has(key)) this.byGroupKind.set(key, r);
    }
  }

  map(apiVersion: string, kind: string): DiscoveredResource | undefined {
    return this.byGroupKind.get(`${groupOf(apiVersion)}/${kind}`);
  }
}
