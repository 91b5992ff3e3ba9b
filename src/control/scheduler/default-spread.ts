/**
 * PodTopologySpread's system default selector, as upstream's helper.DefaultSelector: the label sets of the
 * Services (in the pod's namespace) whose selector selects the pod, merged, ANDed with the selector of the pod's
 * controlling ReplicaSet or StatefulSet (looked up by name; ReplicationControllers are not served here).
 * Pure over the lookups it is given, so the loop's informer caches and tests feed it alike.
 */
import type { KubeObject } from '../api/resource.js';
import type { OwnerReference } from '../../client/types.js';
import type { KubeLabelSelector } from './core.js';
import { list } from './json.js';
import { compileLabelSelector } from './selector.js';

export interface DefaultSpreadSources {
  /** Services of one namespace. */
  services(namespace: string): Iterable<KubeObject>;
  replicaSet(namespace: string, name: string): KubeObject | undefined;
  statefulSet(namespace: string, name: string): KubeObject | undefined;
}

type Expression = NonNullable<KubeLabelSelector['matchExpressions']>[number];

function stringMap(raw: unknown): Record<string, string> | null {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, string>) : null;
}

/** A label set selects labels when every pair is present with the same value (an empty set selects all). */
function setSelects(set: Record<string, string>, labels: Record<string, string>): boolean {
  for (const k in set) if (labels[k] !== String(set[k])) return false;
  return true;
}

/** The requirements of a workload's spec.selector; none when it is nil or invalid (LabelSelectorAsSelector fails). */
function workloadRequirements(obj: KubeObject | undefined): Expression[] {
  const raw = (obj?.spec as { selector?: unknown } | undefined)?.selector;
  if (compileLabelSelector(raw).nothing) return [];
  const sel = raw as KubeLabelSelector;
  const out: Expression[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) out.push({ key, operator: 'In', values: [String(value)] });
  for (const e of sel.matchExpressions ?? []) out.push({ key: e.key, operator: e.operator, ...(e.values ? { values: e.values.map(String) } : {}) });
  return out;
}

/**
 * The default selector for `pod`, or undefined when it has no requirements (then no default constraint applies).
 * Pods with their own topologySpreadConstraints never use it, so it is not computed for them.
 */
export function defaultSpreadSelector(pod: KubeObject, src: DefaultSpreadSources): KubeLabelSelector | undefined {
  const own = (pod.spec as { topologySpreadConstraints?: unknown } | undefined)?.topologySpreadConstraints;
  if (Array.isArray(own) && own.length > 0) return undefined;
  const meta = pod.metadata ?? {};
  const namespace = meta.namespace ?? 'default';
  const labels = meta.labels ?? {};
  const merged: Record<string, string> = {};
  for (const svc of src.services(namespace)) {
    // A Service without a selector selects nothing (not everything).
    const sel = stringMap((svc.spec as { selector?: unknown } | undefined)?.selector);
    if (sel && setSelects(sel, labels)) for (const k in sel) merged[k] = String(sel[k]);
  }
  const exprs: Expression[] = Object.entries(merged).map(([key, v]) => ({ key, operator: 'In', values: [v] }));
  const owner = list<OwnerReference>(meta.ownerReferences).find((o) => o.controller === true);
  if (owner && owner.apiVersion === 'apps/v1') {
    if (owner.kind === 'ReplicaSet') exprs.push(...workloadRequirements(src.replicaSet(namespace, owner.name)));
    else if (owner.kind === 'StatefulSet') exprs.push(...workloadRequirements(src.statefulSet(namespace, owner.name)));
  }
  return exprs.length > 0 ? { matchExpressions: exprs } : undefined;
}
