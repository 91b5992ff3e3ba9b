/**
 * The resource registry: the served kinds indexed for lookup by path (group/version/plural), by kind and by
 * storage prefix. Everything the HTTP layer serves is found here; nothing routes per kind.
 */
import { groupVersion, type ResourceType } from './resource.js';

export class Registry {
  private readonly byPath = new Map<string, ResourceType>();
  private readonly byKind = new Map<string, ResourceType>();
  private readonly groupVersions = new Map<string, ResourceType[]>();

  constructor(readonly resources: readonly ResourceType[]) {
    for (const r of resources) {
      const gv = groupVersion(r);
      const path = `${gv}/${r.plural}`;
      if (this.byPath.has(path)) throw new Error(`resource ${path} registered twice`);
      this.byPath.set(path, r);
      this.byKind.set(`${gv}/${r.kind}`, r);
      // A kind served in one version only is also found by group + kind.
      if (!this.byKind.has(`${r.group}//${r.kind}`)) this.byKind.set(`${r.group}//${r.kind}`, r);
      const list = this.groupVersions.get(gv) ?? [];
      list.push(r);
      this.groupVersions.set(gv, list);
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

  /** Stored namespaced kinds (what a namespace's deletion empties); computed kinds hold nothing. */
  namespaced(): ResourceType[] {
    return this.resources.filter((r) => r.namespaced && !r.computed);
  }
}
