/**
 * The APIServices that name a service (kube-aggregator's remote group-versions), read from the server's watch
 * cache and rebuilt only when the cache's revision moves, so asking "is /apis/<g>/<v> proxied?" on every request
 * is one number comparison and one map lookup.
 */
import type { KubeObject, ResourceType } from '../resource.js';

export interface RemoteAPI {
  name: string;
  group: string;
  version: string;
  service: { namespace: string; name: string; port: number };
  caBundle?: string;
  insecureSkipTLSVerify: boolean;
  groupPriorityMinimum: number;
  versionPriority: number;
}

export interface ApiServiceCache {
  readonly revision: number;
  list(): { object: KubeObject }[];
}

function remoteOf(o: KubeObject): RemoteAPI | undefined {
  const spec = (o['spec'] ?? {}) as Record<string, unknown>;
  const svc = spec['service'] as { namespace?: string; name?: string; port?: number } | undefined;
  if (!svc?.name || !svc.namespace) return undefined;
  return {
    name: o.metadata?.name ?? '',
    group: String(spec['group'] ?? ''),
    version: String(spec['version'] ?? ''),
    service: { namespace: svc.namespace, name: svc.name, port: svc.port ?? 443 },
    ...(typeof spec['caBundle'] === 'string' && spec['caBundle'] ? { caBundle: spec['caBundle'] } : {}),
    insecureSkipTLSVerify: spec['insecureSkipTLSVerify'] === true,
    groupPriorityMinimum: Number(spec['groupPriorityMinimum'] ?? 0),
    versionPriority: Number(spec['versionPriority'] ?? 0),
  };
}

export class RemoteAPIs {
  private seen = -1;
  private byGV = new Map<string, RemoteAPI>();
  private groupsSorted: Array<{ group: string; versions: RemoteAPI[] }> = [];

  constructor(private readonly cache: () => ApiServiceCache | undefined, private readonly local: () => readonly ResourceType[]) {}

  private refresh(): void {
    const c = this.cache();
    if (!c || c.revision === this.seen) return;
    this.seen = c.revision;
    const localGroups = new Set(this.local().map((r) => r.group));
    this.byGV = new Map();
    const groups = new Map<string, RemoteAPI[]>();
    for (const e of c.list()) {
      const r = remoteOf(e.object);
      // A group the server serves itself stays local (upstream's local APIServices win too).
      if (!r || localGroups.has(r.group)) continue;
      this.byGV.set(`${r.group}/${r.version}`, r);
      groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
    }
    // Versions by versionPriority (highest first), groups by their highest groupPriorityMinimum, as the aggregator orders them.
    this.groupsSorted = [...groups].map(([group, versions]) => ({ group, versions: versions.sort((a, b) => b.versionPriority - a.versionPriority || a.version.localeCompare(b.version)) }))
      .sort((a, b) => Math.max(...b.versions.map((v) => v.groupPriorityMinimum)) - Math.max(...a.versions.map((v) => v.groupPriorityMinimum)) || a.group.localeCompare(b.group));
  }

  get(group: string, version: string): RemoteAPI | undefined {
    this.refresh();
    return this.byGV.get(`${group}/${version}`);
  }

  /** The remote groups, each with its versions in preference order. */
  groups(): ReadonlyArray<{ group: string; versions: RemoteAPI[] }> {
    this.refresh();
    return this.groupsSorted;
  }

  all(): RemoteAPI[] {
    this.refresh();
    return [...this.byGV.values()];
  }
}
