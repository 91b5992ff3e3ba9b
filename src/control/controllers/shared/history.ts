/**
 * Controller history (upstream's pkg/controller/history): a DaemonSet or StatefulSet records each pod template
 * it has run as an immutable apps/v1 ControllerRevision, named `<parent>-<hash>`, carrying the template as a
 * strategic-merge patch (`{"spec":{"template":{…,"$patch":"replace"}}}`) that `kubectl rollout history
 * --revision` and `kubectl rollout undo` apply back onto the parent. Revisions are numbered 1, 2, …; re-applying
 * an old template renumbers its revision to the newest rather than creating a copy.
 */
import { ApiError, type RestClient } from '../../../client/rest.js';
import { ControllerRevisions } from '../../../client/resources.js';
import type { KubeObject } from '../../../client/types.js';
import { canonicalJson, computeHash, semanticForm } from '../deployment/hash.js';
import { newControllerRef, type GroupVersionKind, type PodTemplateSpec } from './pod-util.js';

/** The label a revision and its pods carry (apps.ControllerRevisionHashLabelKey). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';

export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision?: number;
}

/**
 * The revision data of a template: a strategic-merge patch that replaces the parent's whole template, laid out
 * byte for byte as upstream's getPatch writes it (the typed object marshalled, read back into a map and
 * marshalled again): keys sorted at every level, metadata.creationTimestamp null when unset, and `resources: {}`
 * on every container (a struct Go always writes). Clients compare these bytes (the e2e's daemon.Match).
 */
export function templatePatch(template: PodTemplateSpec | undefined): { spec: { template: Record<string, unknown> } } {
  const t = structuredClone(template ?? {}) as Record<string, unknown>;
  const meta = (t.metadata && typeof t.metadata === 'object' ? t.metadata : (t.metadata = {})) as Record<string, unknown>;
  if (meta.creationTimestamp === undefined) meta.creationTimestamp = null;
  const spec = t.spec && typeof t.spec === 'object' ? (t.spec as Record<string, unknown>) : undefined;
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    const cs = spec?.[list];
    if (!Array.isArray(cs)) continue;
    for (const c of cs) if (c && typeof c === 'object' && (c as Record<string, unknown>).resources === undefined) (c as Record<string, unknown>).resources = {};
  }
  t.$patch = 'replace';
  return { spec: { template: sortedKeys(t) as Record<string, unknown> } };
}

/** A copy with every object's keys in Go's map order (byte-wise ascending), as encoding/json writes a map. */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = sortedKeys((v as Record<string, unknown>)[k]);
  return out;
}

/**
 * Data equal as Go would decode it (null, {} and [] are the same as missing), whatever the key order, and without
 * the template's deprecated serviceAccount, which follows serviceAccountName: revisions an older Skiff recorded
 * lack it, and their parent's template, read now, has it; they record the same pods.
 */
export function revisionDataEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(withoutAlias(semanticForm(a)) ?? {}) === canonicalJson(withoutAlias(semanticForm(b)) ?? {});
}

/** `form` (a fresh copy) with the template's alias folded into serviceAccountName, as the v1 conversion reads it. */
function withoutAlias(form: unknown): unknown {
  const spec = (((form as { spec?: { template?: { spec?: unknown } } } | undefined)?.spec)?.template)?.spec;
  if (spec === null || typeof spec !== 'object') return form;
  const s = spec as Record<string, unknown>;
  if (typeof s.serviceAccount === 'string' && (s.serviceAccountName === undefined || s.serviceAccountName === '')) s.serviceAccountName = s.serviceAccount;
  delete s.serviceAccount;
  return form;
}

/** history.ControllerRevisionName: the parent's name cut to 223 characters, then `-<hash>`. */
export function controllerRevisionName(parent: string, hash: string): string {
  return `${parent.length > 223 ? parent.slice(0, 223) : parent}-${hash}`;
}

/** history.HashControllerRevision: fnv over the data and the collision count, safe-encoded. */
export function hashControllerRevision(data: unknown, collisionCount?: number): string {
  return computeHash(data, collisionCount);
}

/**
 * history.NewControllerRevision: owned by `parent`, labelled with the template's labels plus the hash, named
 * `<parent>-<hash>`. `hash` overrides the data hash (a DaemonSet hashes its template, not the patch).
 */
export function newControllerRevision(
  parent: KubeObject, gvk: GroupVersionKind, templateLabels: Record<string, string> | undefined, data: unknown, revision: number,
  collisionCount: number | undefined, opts: { hash?: string; annotations?: Record<string, string> } = {},
): ControllerRevision {
  const hash = opts.hash ?? hashControllerRevision(data, collisionCount);
  const metadata: KubeObject['metadata'] = {
    name: controllerRevisionName(parent.metadata?.name ?? '', hash),
    namespace: parent.metadata?.namespace,
    labels: { ...(templateLabels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
    ownerReferences: [newControllerRef(parent, gvk)],
  };
  if (opts.annotations && Object.keys(opts.annotations).length) metadata.annotations = { ...opts.annotations };
  return { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata, data, revision };
}

/** 409 AlreadyExists (a create's name is taken). */
export const isAlreadyExists = (e: unknown): boolean => e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists';

const ts = (o: KubeObject): number => Date.parse(o.metadata?.creationTimestamp ?? '') || 0;

/** history.SortControllerRevisions: by revision, then creation time, then name. */
export function sortRevisions<R extends ControllerRevision>(revisions: readonly R[]): R[] {
  return [...revisions].sort((a, b) =>
    (a.revision ?? 0) - (b.revision ?? 0) || ts(a) - ts(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

/** The highest revision number (0 for none). */
export function maxRevision(revisions: readonly ControllerRevision[]): number {
  return revisions.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
}

/** The next revision number (history.NextRevision). */
export const nextRevision = (revisions: readonly ControllerRevision[]): number => maxRevision(revisions) + 1;

/** The revisions whose data equals `data` (history.FindEqualRevisions), oldest revision first. */
export function findEqualRevisions<R extends ControllerRevision>(revisions: readonly R[], data: unknown): R[] {
  return sortRevisions(revisions.filter((r) => revisionDataEqual(r.data, data)));
}

/**
 * The old revisions to delete: those not `live` (in use by a pod or named in status), oldest first, beyond
 * `limit` of them (revisionHistoryLimit, default 10).
 */
export function revisionsToPrune<R extends ControllerRevision>(old: readonly R[], live: ReadonlySet<string>, limit: number | undefined): R[] {
  const candidates = sortRevisions(old.filter((r) => !live.has(r.metadata?.name ?? '') && !live.has(r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '\u0000')));
  const excess = candidates.length - Math.max(0, limit ?? 10);
  return excess > 0 ? candidates.slice(0, excess) : [];
}

/**
 * history.CreateControllerRevision: creates the revision; when its name is taken by a revision with other data
 * (a hash collision) the collision count goes up and the name is recomputed. Returns the stored revision and the
 * collision count used (the caller records it in status).
 */
export async function createControllerRevision(
  client: RestClient, rev: ControllerRevision, collisionCount: number, rename: (count: number) => ControllerRevision,
): Promise<{ revision: ControllerRevision; collisionCount: number }> {
  let count = collisionCount;
  let candidate = rev;
  for (let i = 0; i < 100; i++) {
    try {
      const created = await client.create<ControllerRevision>(ControllerRevisions, candidate, { namespace: candidate.metadata?.namespace });
      return { revision: created, collisionCount: count };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await client.get<ControllerRevision>(ControllerRevisions, candidate.metadata?.name ?? '', candidate.metadata?.namespace);
      if (revisionDataEqual(existing.data, candidate.data)) return { revision: existing, collisionCount: count };
      count++;
      candidate = rename(count);
    }
  }
  throw new Error(`controller revision ${rev.metadata?.name}: too many hash collisions`);
}
