/**
 * RBAC's escalation prevention, as upstream's registry/rbac: a user may create or update a Role or ClusterRole
 * only with rules it already holds (in that namespace), unless it may `escalate` roles; a binding only to a role
 * whose rules it holds, unless it may `bind` that role. Members of system:masters and the server's own writes
 * are exempt. A refusal is 403 listing, compactly, the rules the user does not hold.
 */
import type { KubeObject } from '../resource.js';
import { forbidden, notFound } from '../status.js';
import { SYSTEM_MASTERS, type UserInfo } from '../auth/user.js';
import type { Admission, AdmissionAttributes, AdmissionTarget } from '../admission/types.js';
import type { Authorizer } from './types.js';
import { policyRules, type PolicyRule } from './rules.js';
import { RBAC_GROUP, type RbacPolicy } from './rbac.js';

const has = (list: readonly string[], v: string): boolean => list.includes(v);

/** One rule per verb × group × resource × name (or verb × URL), as upstream's BreakdownRule. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  const one = (p: Partial<PolicyRule>): PolicyRule => ({ verbs: [], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [], ...p });
  for (const group of rule.apiGroups) {
    for (const resource of rule.resources) {
      for (const verb of rule.verbs) {
        if (rule.resourceNames.length) for (const name of rule.resourceNames) out.push(one({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] }));
        else out.push(one({ apiGroups: [group], resources: [resource], verbs: [verb] }));
      }
    }
  }
  for (const url of rule.nonResourceURLs) for (const verb of rule.verbs) out.push(one({ nonResourceURLs: [url], verbs: [verb] }));
  return out;
}

function resourcesCover(owner: readonly string[], servant: readonly string[]): boolean {
  if (has(owner, '*')) return true;
  for (const s of servant) {
    if (has(owner, s)) continue;
    const slash = s.indexOf('/');
    if (slash < 0 || !has(owner, `*/${s.slice(slash + 1)}`)) return false;
  }
  return true;
}

const urlCovers = (owner: string, sub: string): boolean => owner === sub || (owner.endsWith('*') && sub.startsWith(owner.replace(/\*+$/, '')));

/** Whether `owner` grants everything `servant` does (upstream's ruleCovers). */
export function ruleCovers(owner: PolicyRule, servant: PolicyRule): boolean {
  const verbs = has(owner.verbs, '*') || servant.verbs.every((v) => has(owner.verbs, v));
  const groups = has(owner.apiGroups, '*') || servant.apiGroups.every((g) => has(owner.apiGroups, g));
  const resources = resourcesCover(owner.resources, servant.resources);
  const urls = servant.nonResourceURLs.every((u) => owner.nonResourceURLs.some((o) => urlCovers(o, u)));
  const names = owner.resourceNames.length === 0 || (servant.resourceNames.length > 0 && servant.resourceNames.every((n) => has(owner.resourceNames, n)));
  return verbs && groups && resources && urls && names;
}

/** Whether `owner` covers every rule of `servant`, and the broken-down rules it does not. */
export function covers(owner: readonly PolicyRule[], servant: readonly PolicyRule[]): { covered: boolean; missing: PolicyRule[] } {
  const missing: PolicyRule[] = [];
  for (const rule of servant) for (const sub of breakdownRule(rule)) if (!owner.some((o) => ruleCovers(o, sub))) missing.push(sub);
  return { covered: missing.length === 0, missing };
}

/** Upstream's CompactRules: single-group, single-resource rules that differ only in verb become one rule. */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const isSimple = r.nonResourceURLs.length === 0 && r.apiGroups.length === 1 && r.resources.length === 1 && r.resourceNames.length <= 1;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups[0], r.resources[0], r.resourceNames[0] ?? null]);
    const existing = simple.get(key);
    if (existing) {
      for (const v of r.verbs) if (!has(existing.verbs, v)) existing.verbs.push(v);
    } else {
      const copy = { ...r, verbs: [...r.verbs] };
      simple.set(key, copy);
      out.push(copy);
    }
  }
  return out;
}

/** Go's %q of a []string: `["a" "b"]`. */
const goQuoted = (xs: readonly string[]): string => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;

/** Upstream's CompactString, as escalation messages print a rule. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups.length) parts.push(`APIGroups:${goQuoted(r.apiGroups)}`);
  if (r.resources.length) parts.push(`Resources:${goQuoted(r.resources)}`);
  if (r.nonResourceURLs.length) parts.push(`NonResourceURLs:${goQuoted(r.nonResourceURLs)}`);
  if (r.resourceNames.length) parts.push(`ResourceNames:${goQuoted(r.resourceNames)}`);
  if (r.verbs.length) parts.push(`Verbs:${goQuoted(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/**
 * Why `user` may not grant `rules` in `namespace` holding `owned`, or undefined when it holds them all
 * (upstream's ConfirmNoEscalation).
 */
export function escalationError(user: UserInfo, owned: readonly PolicyRule[], rules: readonly PolicyRule[], resolutionErrors: readonly string[] = []): string | undefined {
  const { covered, missing } = covers(owned, rules);
  if (covered) return undefined;
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.name)} (groups=${goQuoted(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  if (resolutionErrors.length) msg += `; resolution errors: [${resolutionErrors.join(' ')}]`;
  return msg;
}

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'], resourceNames: [], nonResourceURLs: [] },
  { verbs: ['*'], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ['*'] },
];

const KIND_OF: Record<string, 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding'> = {
  roles: 'Role', clusterroles: 'ClusterRole', rolebindings: 'RoleBinding', clusterrolebindings: 'ClusterRoleBinding',
};

const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * The check as a validating admission step on the four RBAC kinds (upstream runs it in their REST storage):
 * `authorizer` answers whether the user may escalate or bind; `policy` says what the user holds.
 */
export class EscalationCheck implements Admission {
  constructor(private readonly policy: RbacPolicy, private readonly authorizer: Authorizer) {}

  async admit(a: AdmissionAttributes): Promise<KubeObject | null> {
    return a.object;
  }

  /** Creates and updates of the four RBAC kinds only, and only to validate. */
  handles(phase: 'admit' | 'validate', t: AdmissionTarget): boolean {
    return phase === 'validate' && t.resource.group === RBAC_GROUP && t.subresource === '' && KIND_OF[t.resource.plural] !== undefined
      && (t.operation === 'CREATE' || t.operation === 'UPDATE');
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.resource.group !== RBAC_GROUP || a.subresource !== '' || !a.object) return;
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    const kind = KIND_OF[a.resource.plural];
    const user = a.user as UserInfo | undefined;
    // The server's own writes (bootstrap policy) and the superuser group are never checked.
    if (!kind || !user || user.groups.includes(SYSTEM_MASTERS)) return;
    const ns = a.namespace ?? '';
    const gr = { group: RBAC_GROUP, resource: a.resource.plural };
    const allowed = (verb: string, resource: string, name: string): boolean => this.authorizer.authorize({
      user, verb, resourceRequest: true, path: '', apiGroup: RBAC_GROUP, apiVersion: 'v1', resource, subresource: '', namespace: ns, name,
    }).decision === 'Allow';

    if (kind === 'Role' || kind === 'ClusterRole') {
      // Upstream asks with the request's name: none on a create.
      if (allowed('escalate', a.resource.plural, a.operation === 'CREATE' ? '' : a.name)) return;
      const rules = policyRules(a.object['rules']);
      // An update that leaves the rules as they were grants nothing new.
      if (a.operation === 'UPDATE' && a.oldObject && JSON.stringify(policyRules(a.oldObject['rules'])) === JSON.stringify(rules)
        && JSON.stringify(a.oldObject['aggregationRule'] ?? null) === JSON.stringify(a.object['aggregationRule'] ?? null)) return;
      const { rules: owned, errors } = this.policy.rulesFor(user, ns);
      if (kind === 'ClusterRole' && a.object['aggregationRule'] && escalationError(user, owned, FULL_AUTHORITY)) {
        throw forbidden(gr, a.name, 'must have cluster-admin privileges to use the aggregationRule');
      }
      const why = escalationError(user, owned, rules, errors);
      if (why) throw forbidden(gr, a.name, why);
      return;
    }
    const ref = rec(a.object['roleRef']);
    const refKind = str(ref['kind']);
    const refName = str(ref['name']);
    if (allowed('bind', refKind === 'Role' ? 'roles' : 'clusterroles', refName)) return;
    const rules = this.policy.roleRefRules({ kind: refKind, name: refName }, kind === 'RoleBinding' ? ns : '');
    // Binding a role that does not exist is NotFound, as upstream's rule resolver answers.
    if ('error' in rules) throw notFound({ group: RBAC_GROUP, resource: refKind === 'Role' ? 'roles' : 'clusterroles' }, refName);
    const { rules: owned, errors } = this.policy.rulesFor(user, ns);
    const why = escalationError(user, owned, rules, errors);
    if (why) throw forbidden(gr, a.name, why);
  }
}
