/**
 * The bootstrap policy made true at every start, as kube-apiserver's rbac/bootstrap-roles post-start hook
 * (`kubectl auth reconcile` semantics): missing roles and bindings are created; existing ones annotated
 * rbac.authorization.kubernetes.io/autoupdate=true (any value but "false") get the labels, annotations, rules
 * (or aggregation selectors) and subjects they lack, never losing what an administrator added. A binding whose
 * roleRef changed is recreated.
 */
import type { KubeObject, ResourceType } from '../resource.js';
import { ApiError } from '../status.js';
import { AUTOUPDATE_ANNOTATION, bootstrapClusterRoleBindings, bootstrapClusterRoles } from './bootstrap-policy.js';
import { covers } from './escalation.js';
import { policyRules, ruleJson } from './rules.js';
import { RBAC_GROUP } from './rbac.js';

/** What reconciling needs of the object engine. */
export interface ReconcileEngine {
  readonly registry: { lookup(group: string, version: string, plural: string): ResourceType | undefined };
  get(r: ResourceType, ns: string | undefined, name: string): Promise<KubeObject>;
  create(r: ResourceType, ns: string | undefined, body: unknown): Promise<KubeObject>;
  update(r: ResourceType, ns: string | undefined, name: string, body: unknown): Promise<unknown>;
  delete(r: ResourceType, ns: string | undefined, name: string): Promise<unknown>;
}

export interface ReconcileResult { created: string[]; updated: string[] }

const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.code === 404;
const protectedObject = (o: KubeObject): boolean => o.metadata?.annotations?.[AUTOUPDATE_ANNOTATION] === 'false';

/** Labels and annotations the expected object has and the existing one lacks; true if any was added. */
function mergeMeta(existing: KubeObject, expected: KubeObject): boolean {
  let changed = false;
  const m = (existing.metadata ??= {});
  for (const field of ['labels', 'annotations'] as const) {
    for (const [k, v] of Object.entries(expected.metadata?.[field] ?? {})) {
      const target = (m[field] ??= {}) as Record<string, string>;
      if (!(k in target)) {
        target[k] = v;
        changed = true;
      }
    }
  }
  return changed;
}

/** The role with what it lacks of `expected` added, or null when nothing is missing. */
export function reconcileRole(existing: KubeObject, expected: KubeObject): KubeObject | null {
  if (protectedObject(existing)) return null;
  const out = structuredClone(existing);
  let changed = mergeMeta(out, expected);
  const agg = expected['aggregationRule'] as { clusterRoleSelectors?: unknown[] } | undefined;
  if (agg) {
    // Aggregated roles: the selectors are reconciled; the aggregation controller owns the rules.
    const cur = (out['aggregationRule'] ??= { clusterRoleSelectors: [] }) as { clusterRoleSelectors?: unknown[] };
    const sels = (cur.clusterRoleSelectors ??= []);
    for (const s of agg.clusterRoleSelectors ?? []) {
      if (!sels.some((x) => JSON.stringify(x) === JSON.stringify(s))) {
        sels.push(s);
        changed = true;
      }
    }
  } else {
    const { missing } = covers(policyRules(out['rules']), policyRules(expected['rules']));
    if (missing.length) {
      out['rules'] = [...(Array.isArray(out['rules']) ? out['rules'] : []), ...missing.map(ruleJson)];
      changed = true;
    }
  }
  return changed ? out : null;
}

const subjectId = (s: unknown): string => {
  const o = (s ?? {}) as Record<string, unknown>;
  return `${String(o['kind'] ?? '')}/${String(o['namespace'] ?? '')}/${String(o['name'] ?? '')}`;
};

/** The binding with the subjects it lacks added; 'recreate' when its roleRef differs; null when nothing is missing. */
export function reconcileBinding(existing: KubeObject, expected: KubeObject): KubeObject | 'recreate' | null {
  if (protectedObject(existing)) return null;
  if (JSON.stringify(existing['roleRef']) !== JSON.stringify(expected['roleRef'])) return 'recreate';
  const out = structuredClone(existing);
  let changed = mergeMeta(out, expected);
  const subjects = (Array.isArray(out['subjects']) ? out['subjects'] : (out['subjects'] = [])) as unknown[];
  for (const s of (expected['subjects'] as unknown[] | undefined) ?? []) {
    if (!subjects.some((x) => subjectId(x) === subjectId(s))) {
      subjects.push(s);
      changed = true;
    }
  }
  return changed ? out : null;
}

export async function reconcileBootstrapPolicy(engine: ReconcileEngine): Promise<ReconcileResult> {
  const result: ReconcileResult = { created: [], updated: [] };
  const roles = engine.registry.lookup(RBAC_GROUP, 'v1', 'clusterroles');
  const bindings = engine.registry.lookup(RBAC_GROUP, 'v1', 'clusterrolebindings');
  if (!roles || !bindings) return result;
  const sync = async (r: ResourceType, expected: KubeObject, reconcile: (e: KubeObject, x: KubeObject) => KubeObject | 'recreate' | null) => {
    const name = expected.metadata!.name!;
    let existing: KubeObject | undefined;
    try {
      existing = await engine.get(r, undefined, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!existing) {
      await engine.create(r, undefined, expected);
      result.created.push(`${r.plural}/${name}`);
      return;
    }
    const next = reconcile(existing, expected);
    if (next === null) return;
    if (next === 'recreate') {
      await engine.delete(r, undefined, name);
      await engine.create(r, undefined, expected);
    } else await engine.update(r, undefined, name, next);
    result.updated.push(`${r.plural}/${name}`);
  };
  for (const role of bootstrapClusterRoles()) await sync(roles, role, reconcileRole);
  for (const b of bootstrapClusterRoleBindings()) await sync(bindings, b, reconcileBinding);
  return result;
}
