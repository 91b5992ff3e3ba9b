/**
 * Whether a webhook applies to a request, as upstream's webhook matcher decides it (pure): one of its rules
 * matches the operation, group, version, resource (with subresource: `pods/status`, `pods/*`, `*\/status`, `*`
 * for every resource without subresource, `*\/*` for everything) and scope; its namespaceSelector matches the
 * namespace's labels (cluster-scoped objects always pass, and a Namespace is matched by its own labels); its
 * objectSelector matches the new or the old object's labels. matchPolicy Equivalent's conversion to other
 * versions of the same kind is not done (each kind is served in one version here, autoscaling aside).
 */
import type { KubeObject } from '../resource.js';
import type { LabelSelector } from '../../../client/types.js';
import { selectorMatches } from '../validation/selectors.js';
import type { AdmissionAttributes } from './types.js';

export interface WebhookRule {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: string;
}

export interface WebhookSpec {
  name: string;
  rules?: WebhookRule[];
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
}

const has = (list: string[] | undefined, v: string): boolean => (list ?? []).some((x) => x === '*' || x === v);

function resourceMatches(patterns: string[] | undefined, resource: string, sub: string): boolean {
  for (const p of patterns ?? []) {
    if (p === '*/*') return true;
    const [res, s] = p.includes('/') ? (p.split('/', 2) as [string, string]) : [p, ''];
    if (res !== '*' && res !== resource) continue;
    if (s === '*' || s === sub) return true;
  }
  return false;
}

export function ruleMatches(rule: WebhookRule, a: Pick<AdmissionAttributes, 'operation' | 'resource' | 'subresource' | 'namespace'>): boolean {
  if (!has(rule.operations, a.operation)) return false;
  if (!has(rule.apiGroups, a.resource.group)) return false;
  if (!has(rule.apiVersions, a.resource.version)) return false;
  if (!resourceMatches(rule.resources, a.resource.plural, a.subresource)) return false;
  const scope = rule.scope ?? '*';
  if (scope === 'Cluster') return !a.resource.namespaced;
  if (scope === 'Namespaced') return a.resource.namespaced;
  return true;
}

const labelsOf = (o: KubeObject | null): Record<string, string> => o?.metadata?.labels ?? {};

/**
 * Whether `hook` is called for `a`. `namespaceLabels` are the labels of the request's namespace (undefined when
 * it has none or the namespace is unknown: then only an empty selector matches).
 */
export function webhookMatches(hook: WebhookSpec, a: AdmissionAttributes, namespaceLabels: Record<string, string> | undefined): boolean {
  if (!(hook.rules ?? []).some((r) => ruleMatches(r, a))) return false;
  const nsSel = hook.namespaceSelector ?? {};
  const isNamespace = a.resource.group === '' && a.resource.plural === 'namespaces';
  if (isNamespace) {
    if (!selectorMatches(nsSel, labelsOf(a.object ?? a.oldObject))) return false;
  } else if (a.resource.namespaced && !selectorMatches(nsSel, namespaceLabels ?? {})) return false;
  const objSel = hook.objectSelector ?? {};
  return selectorMatches(objSel, labelsOf(a.object)) || (a.oldObject !== null && selectorMatches(objSel, labelsOf(a.oldObject)));
}
