/**
 * The ClusterRole aggregation controller (upstream's clusterrole-aggregation): a ClusterRole with an
 * aggregationRule gets, as its rules, the rules of every other ClusterRole its clusterRoleSelectors select,
 * selector by selector, roles in name order, each rule once. Any ClusterRole change requeues every aggregated
 * ClusterRole, as upstream's enqueueAll does. Keys are ClusterRole names.
 */
import { ClusterRoles } from '../../client/resources.js';
import type { Lister } from '../../client/store.js';
import type { KubeObject, LabelSelector } from '../../client/types.js';
import type { ControllerContext } from './context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from './controller.js';
import { compileSelector, selectorMatches } from './shared/selector.js';

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface ClusterRole extends KubeObject {
  rules?: PolicyRule[] | null;
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] } | null;
}

const FIELD_MANAGER = 'clusterrole-aggregation-controller';

const sameList = (a: string[] | undefined, b: string[] | undefined): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === (b ?? [])[i]);

/** Upstream's ruleExists: the same five lists, in the same order (empty and absent alike). */
const sameRule = (a: PolicyRule, b: PolicyRule): boolean =>
  sameList(a.verbs, b.verbs) && sameList(a.apiGroups, b.apiGroups) && sameList(a.resources, b.resources)
  && sameList(a.resourceNames, b.resourceNames) && sameList(a.nonResourceURLs, b.nonResourceURLs);

/**
 * The rules `role` should have given every ClusterRole `all`, or null when it has no aggregationRule or
 * already has exactly those rules.
 */
export function aggregatedRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] | null {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (!role.aggregationRule || !selectors) return null;
  const byName = [...all].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const rules: PolicyRule[] = [];
  for (const spec of selectors) {
    const sel = compileSelector(spec);
    for (const other of byName) {
      if (other.metadata?.name === role.metadata?.name || !selectorMatches(sel, other.metadata?.labels)) continue;
      for (const r of other.rules ?? []) if (!rules.some((x) => sameRule(x, r))) rules.push(r);
    }
  }
  const current = role.rules ?? [];
  if (current.length === rules.length && current.every((r, i) => sameRule(r, rules[i]!))) return null;
  return rules;
}

export function newClusterRoleAggregationController(ctx: ControllerContext): Controller {
  const name = 'clusterrole-aggregation';
  const queue = ctx.queue(name);
  const informer = ctx.informers.forResource<ClusterRole>(ClusterRoles);
  const lister: Lister<ClusterRole> = informer.lister;

  const enqueueAll = (): void => {
    for (const r of lister.list()) if (r.aggregationRule) queue.add(r.metadata?.name ?? '');
  };
  informer.addEventHandler({ onAdd: enqueueAll, onUpdate: enqueueAll, onDelete: enqueueAll });

  const sync = async (key: string): Promise<void> => {
    const role = lister.get(undefined, key);
    if (!role) return;
    const rules = aggregatedRules(role, lister.list());
    if (!rules) return;
    // A conflict retries from the lister's newer copy (runWorkers requeues the key).
    await ctx.client.update(ClusterRoles, { ...role, rules }, { fieldManager: FIELD_MANAGER });
  };

  return { name, run: (signal) => runWorkers(ctx, name, queue, [informer], sync, signal) };
}

export const clusterRoleAggregationController: ControllerDescriptor = {
  name: 'clusterrole-aggregation',
  enabledByDefault: true,
  create: (ctx) => newClusterRoleAggregationController(ctx),
};
