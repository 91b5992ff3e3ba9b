/**
 * The resource registry: the served kinds indexed for lookup by path (group/version/plural), by kind and by
 * storage prefix. Everything the HTTP layer serves is found here; nothing routes per kind.
 */
import { groupVersion, type ResourceType } from './resource.js';

export class Registry {
  private byPath = new Map<string, ResourceType>();
  private byKind = new Map<string, ResourceType>();
  private groupVersions = new Map<string, ResourceType[]>();
  private list: readonly ResourceType[] = [];

  constructor(resources: readonly ResourceType[]) {
    this.index(resources);
  }

  /**
   * Every served kind, in registration order. Kinds added or removed at runtime (custom resources) give a new
   * array, so whatever is derived and cached per array (OpenAPI documents) is derived again.
   */
  get resources(): readonly ResourceType[] {
    return this.list;
  }

  /**
   * Serves `add` and stops serving every kind `drop` selects, at once (custom resources as their definitions
   * change). Throws, changing nothing, when the result is not a valid registry.
   */
  replace(drop: (r: ResourceType) => boolean, add: readonly ResourceType[]): void {
    const next = new Registry([...this.list.filter((r) => !drop(r)), ...add]);
    this.byPath = next.byPath;
    this.byKind = next.byKind;
    this.groupVersions = next.groupVersions;
    this.list = next.list;
  }

  private index(resources: readonly ResourceType[]): void {
    this.list = [...resources];
    for (const r of resources) {
      const gv = groupVersion(r);
      const path = `${gv}/${r.plural}`;
      if (this.byPath.has(path)) throw new Error(`resource ${path} registered twice`);
      this.byPath.set(path, r);
      this.byKind.set(`${gv}/${r.kind}`, r);
      // By group + kind: the storage version of a kind served in several (else the first registered).
      const gk = `${r.group}//${r.kind}`;
      if (!this.byKind.has(gk) || (!r.conversion && this.byKind.get(gk)!.conversion)) this.byKind.set(gk, r);
      const list = this.groupVersions.get(gv) ?? [];
      list.push(r);
      this.groupVersions.set(gv, list);
    }
    for (const r of resources) {
      const s = r.conversion?.storage;
      // A custom resource's storage version may be served or not: every served version converts to it.
      const found = s && this.lookup(s.group, s.version, s.plural);
      const registered = s && (found === s || (r.custom && (!found || (found.custom && found.conversion?.storage === s))));
      // A built-in kind may be served in another group from the same storage (events.k8s.io Events are core Events).
      const sameGroup = s && (s.group === r.group || (!r.custom && !s.custom));
      if (s && (!registered || s.conversion || s.kind !== r.kind || !sameGroup || s.plural !== r.plural)) {
        throw new Error(`resource ${groupVersion(r)}/${r.plural} converts to a storage version that is not registered as one`);
      }
    }
  }

  /** The resource at /api/<version>/<plural> (group '') or /apis/<group>/<version>/<plural>. */
  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byPath.get(`${group ? `${group}/` : ''}${version}/${plural}`);
  }

  /** By apiVersion ("v1", "apps/v1") and kind. */
  byApiVersionKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.byKind.get(`${apiVersion}/${kind}`);
  }

  byGroupKind(group: string, kind: string): ResourceType | undefined {
    return this.byKind.get(`${group}//${kind}`);
  }

  /** Whether /api/<version> or /apis/<group>/<version> is served. */
  hasGroupVersion(group: string, version: string): boolean {
    return this.groupVersions.has(group ? `${group}/${version}` : version);
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.groupVersions.get(group ? `${group}/${version}` : version) ?? [];
  }

  /** Stored namespaced kinds (what a namespace's deletion empties), each once; computed kinds hold nothing. */
  namespaced(): ResourceType[] {
    const out = new Set<ResourceType>();
    for (const r of this.list) {
      if (!r.namespaced || r.computed) continue;
      // Custom resources are stored through their storage version, which is reached only by conversion.
      if (!r.conversion) out.add(r);
      else if (r.custom) out.add(r.conversion.storage);
    }
    return [...out];
  }
}
