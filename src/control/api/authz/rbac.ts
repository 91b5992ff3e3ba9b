/**
 * The RBAC authoriser, as upstream's plugin/pkg/auth/authorizer/rbac over the default rule resolver: a request is
 * allowed when a rule of a role bound to the user (by name, by one of its groups, or as a ServiceAccount) matches
 * it; ClusterRoleBindings apply everywhere, RoleBindings in their namespace. Otherwise RBAC has no opinion (the
 * chain answers 403), with the resolution errors (a binding to a missing role) as the reason.
 *
 * Roles and bindings live in memory (an RbacPolicy), fed by the API server's watch caches; bindings are indexed
 * by subject (a user name or group), so a decision costs the rules bound to that user, not every binding.
 */
import type { KubeObject } from '../resource.js';
import type { UserInfo } from '../auth/user.js';
import type { AuthorizationAttributes, AuthorizationResult, Authorizer, NonResourceRule, ResourceRule, RuleResolver } from './types.js';
import { policyRules, ruleAllows, type PolicyRule } from './rules.js';
import { aggregateErrors } from '../../aggregate-errors.js';
import { flatString } from '../../../client/flat-string.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export type RbacKind = 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';

interface Subject { kind: string; name: string; namespace?: string }
interface RoleRef { kind: string; name: string }

/** One binding as found through one of its subjects (the subject names who it was found for, for the reason). */
interface BindingEntry {
  name: string;
  /** '' for a ClusterRoleBinding. */
  namespace: string;
  roleRef: RoleRef;
  subject: Subject;
}

/** Upstream's describeSubject: a ServiceAccount as "name/namespace". */
function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} "${s.name}/${s.namespace || bindingNamespace}"`;
  return `${s.kind} "${s.name}"`;
}

function describeBinding(b: BindingEntry): string {
  return b.namespace
    ? `RoleBinding "${b.name}/${b.namespace}" of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubject(b.subject, b.namespace)}`
    : `ClusterRoleBinding "${b.name}" of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubject(b.subject, '')}`;
}

const SA_PREFIX = 'system:serviceaccount:';

/** Bindings by the user names and by the groups they name. */
interface SubjectIndex { users: Map<string, BindingEntry[]>; groups: Map<string, BindingEntry[]> }
const subjectIndex = (): SubjectIndex => ({ users: new Map(), groups: new Map() });

/** Where a subject is found: a ServiceAccount is the user system:serviceaccount:<ns>:<name>. */
function subjectKey(s: Subject, bindingNamespace: string): { users: boolean; name: string } | undefined {
  switch (s.kind) {
    case 'User': return { users: true, name: s.name };
    case 'Group': return { users: false, name: s.name };
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return ns ? { users: true, name: `${SA_PREFIX}${ns}:${s.name}` } : undefined;
    }
    default: return undefined;
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** A resolution error's text, as upstream's listers word a missing role. */
const roleNotFound = (ref: RoleRef): string => `${ref.kind === 'Role' ? 'role' : 'clusterrole'}.${RBAC_GROUP} "${ref.name}" not found`;

/** Where a rule comes from (a binding, through one of its subjects); `describeSource` words it, only when asked. */
export type RuleSource = Readonly<BindingEntry>;
export const describeSource = (s: RuleSource): string => describeBinding(s);

/** Visits each rule that applies to a user in a namespace; return false to stop. `err` set: the role is missing. */
export type RuleVisitor = (source: RuleSource, rule: PolicyRule | null, err?: string) => boolean;

/**
 * Roles by namespace and name, ClusterRoles by name, bindings indexed by namespace and subject (user or group
 * name). Updated one object at a time (`put`/`remove`), as an informer's handlers are, so a change costs that
 * object's subjects.
 */
export class RbacPolicy {
  /** Roles by namespace, then name. */
  private readonly roles = new Map<string, Map<string, PolicyRule[]>>();
  private readonly clusterRoles = new Map<string, PolicyRule[]>();
  /** ClusterRoleBindings by subject. */
  private readonly clusterBindings = subjectIndex();
  /** RoleBindings by namespace, then subject. */
  private readonly roleBindings = new Map<string, SubjectIndex>();
  /** Each stored binding's index entries, to take them out again on update or delete. */
  private readonly bindingIndex = new Map<string, { map: Map<string, BindingEntry[]>; key: string; entry: BindingEntry }[]>();
  /** Bumped by every change: decisions remembered under an older generation are stale. */
  generation = 0;

  put(kind: RbacKind, obj: KubeObject): void {
    this.generation++;
    const name = obj.metadata?.name ?? '';
    const ns = obj.metadata?.namespace ?? '';
    switch (kind) {
      case 'Role': {
        let inNs = this.roles.get(ns);
        if (!inNs) this.roles.set(ns, (inNs = new Map()));
        inNs.set(name, policyRules(obj['rules']));
        return;
      }
      case 'ClusterRole': this.clusterRoles.set(name, policyRules(obj['rules'])); return;
      case 'RoleBinding':
      case 'ClusterRoleBinding': {
        const id = `${kind}:${ns}/${name}`;
        this.unindex(id);
        const ref = rec(obj['roleRef']);
        const roleRef = { kind: str(ref['kind']), name: str(ref['name']) };
        const bindingNs = kind === 'RoleBinding' ? ns : '';
        const entries: { map: Map<string, BindingEntry[]>; key: string; entry: BindingEntry }[] = [];
        const seen = new Set<string>();
        for (const raw of Array.isArray(obj['subjects']) ? obj['subjects'] : []) {
          const s = rec(raw);
          const subject: Subject = { kind: str(s['kind']), name: str(s['name']), ...(str(s['namespace']) ? { namespace: str(s['namespace']) } : {}) };
          const sk = subjectKey(subject, bindingNs);
          if (!sk || seen.has(`${sk.users}/${sk.name}`)) continue;
          seen.add(`${sk.users}/${sk.name}`);
          let index = this.clusterBindings;
          if (kind === 'RoleBinding') {
            index = this.roleBindings.get(ns) ?? subjectIndex();
            this.roleBindings.set(ns, index);
          }
          const map = sk.users ? index.users : index.groups;
          const key = sk.name;
          const entry: BindingEntry = { name, namespace: bindingNs, roleRef, subject };
          let list = map.get(key);
          if (!list) map.set(key, (list = []));
          list.push(entry);
          entries.push({ map, key, entry });
        }
        if (entries.length) this.bindingIndex.set(id, entries);
      }
    }
  }

  remove(kind: RbacKind, obj: KubeObject): void {
    this.generation++;
    const name = obj.metadata?.name ?? '';
    const ns = obj.metadata?.namespace ?? '';
    if (kind === 'Role') {
      const inNs = this.roles.get(ns);
      inNs?.delete(name);
      if (inNs?.size === 0) this.roles.delete(ns);
    }
    else if (kind === 'ClusterRole') this.clusterRoles.delete(name);
    else this.unindex(`${kind}:${ns}/${name}`);
  }

  /** Forgets every object of a kind (its watch restarts from a fresh list). */
  clear(kind: RbacKind): void {
    this.generation++;
    if (kind === 'Role') this.roles.clear();
    else if (kind === 'ClusterRole') this.clusterRoles.clear();
    else for (const id of [...this.bindingIndex.keys()]) if (id.startsWith(`${kind}:`)) this.unindex(id);
  }

  private unindex(id: string): void {
    const entries = this.bindingIndex.get(id);
    if (!entries) return;
    this.bindingIndex.delete(id);
    for (const { map, key, entry } of entries) {
      const list = map.get(key);
      if (!list) continue;
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) map.delete(key);
    }
  }

  /** The rules a role reference grants (a RoleBinding's Role is in the binding's namespace), or why none. */
  roleRefRules(ref: RoleRef, namespace: string): PolicyRule[] | { error: string } {
    const rules = ref.kind === 'ClusterRole' ? this.clusterRoles.get(ref.name) : ref.kind === 'Role' ? this.roles.get(namespace)?.get(ref.name) : undefined;
    return rules ?? { error: ref.kind === 'Role' || ref.kind === 'ClusterRole' ? roleNotFound(ref) : `unsupported role reference kind: "${ref.kind}"` };
  }

  /** Upstream's VisitRulesFor: cluster-wide bindings first, then the namespace's. Hot: no allocation per call. */
  visitRulesFor(user: UserInfo, namespace: string, visit: RuleVisitor): void {
    if (!this.visitIndex(this.clusterBindings, user, visit)) return;
    if (namespace === '') return;
    const index = this.roleBindings.get(namespace);
    if (index) this.visitIndex(index, user, visit);
  }

  private visitIndex(index: SubjectIndex, user: UserInfo, visit: RuleVisitor): boolean {
    if (!this.walk(index.users.get(user.name), visit)) return false;
    for (const g of user.groups) if (!this.walk(index.groups.get(g), visit)) return false;
    return true;
  }

  private walk(list: BindingEntry[] | undefined, visit: RuleVisitor): boolean {
    if (!list) return true;
    for (const b of list) {
      const rules = this.roleRefRules(b.roleRef, b.namespace);
      if ('error' in rules) {
        if (!visit(b, null, rules.error)) return false;
        continue;
      }
      for (const r of rules) if (!visit(b, r)) return false;
    }
    return true;
  }

  /** Every rule that applies to a user in a namespace (a role reached twice counted once), and the resolution errors. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visitRulesFor(user, namespace, (_source, rule, err) => {
      if (rule) rules.push(rule);
      else if (err) errors.push(err);
      return true;
    });
    return { rules: dedupeRules(rules), errors };
  }
}

/** Rules with exact duplicates taken out (a role reached through two bindings). */
function dedupeRules(rules: PolicyRule[]): PolicyRule[] {
  const seen = new Set<string>();
  const out: PolicyRule[] = [];
  for (const r of rules) {
    const k = JSON.stringify(r);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(r);
  }
  return out;
}

/** Decisions remembered for one user object (see RbacAuthorizer.authorize). */
interface UserDecisions {
  generation: number;
  /** The user's fields when the entry was made: a user object changed in place starts afresh. */
  name: string;
  groups: readonly string[];
  groupCount: number;
  byRequest: Map<string, AuthorizationResult>;
}

/** Distinct requests remembered per user object; more empties the map (a user reading many named objects). */
const DECISIONS_PER_USER = 512;
/** Distinct decision results kept (one per binding that allows, and per denial reason). */
const SHARED_RESULTS = 1024;

/** Everything a decision reads from the attributes besides the user, as one key. */
const requestKey = (a: AuthorizationAttributes): string =>
  a.resourceRequest
    ? `${a.verb} ${a.apiGroup} ${a.resource} ${a.subresource} ${a.namespace} ${a.name}`
    : `${a.verb} ${a.path}`;

export class RbacAuthorizer implements Authorizer, RuleResolver {
  /**
   * Decisions by user object, then request, for the policy generation they were made under. An authenticated
   * user is one object for all requests on a connection (the authenticators cache it), and a client repeats a few
   * requests (a controller creating pods in its namespace): walking the user's rules (the aggregated edit role has 23, each with its lists) is done
   * once per connection and policy change instead of per request. Results are frozen: callers share them.
   */
  private readonly decisions = new WeakMap<UserInfo, UserDecisions>();
  /**
   * The same decisions by frozen attributes object (the authorisation hook hands one per user and request URL),
   * with the user's entry they were made under: a request seen before is answered with this one lookup, while
   * that entry is current (same policy generation, same user fields).
   */
  private readonly byAttributes = new WeakMap<AuthorizationAttributes, { d: UserDecisions; r: AuthorizationResult }>();

  private readonly results = new Map<string, AuthorizationResult>();

  constructor(readonly policy: RbacPolicy) {}

  /** Whether decisions remembered in `d` still hold for `user`: the policy and the user object's fields are as then. */
  private current(d: UserDecisions, user: UserInfo): boolean {
    return d.generation === this.policy.generation && d.name === user.name && d.groups === user.groups && d.groupCount === user.groups.length;
  }

  authorize(a: AuthorizationAttributes): AuthorizationResult {
    const user = a.user;
    // A frozen attributes object cannot change after it was remembered: its decision is found without building the key.
    const frozen = Object.isFrozen(a);
    if (frozen) {
      const seen = this.byAttributes.get(a);
      if (seen && this.current(seen.d, user)) return seen.r;
    }
    let d = this.decisions.get(user);
    if (!d || !this.current(d, user) || d.byRequest.size >= DECISIONS_PER_USER) {
      d = { generation: this.policy.generation, name: user.name, groups: user.groups, groupCount: user.groups.length, byRequest: new Map() };
      this.decisions.set(user, d);
    }
    const key = requestKey(a);
    let r = d.byRequest.get(key);
    if (!r) d.byRequest.set(flatString(key), (r = this.shared(this.decide(a))));
    if (frozen) this.byAttributes.set(a, { d, r });
    return r;
  }

  /**
   * One frozen result for equal decisions. A node's kubelet writes each of its pods' status under its own URL, so
   * its user's decisions grow with its pods (up to DECISIONS_PER_USER), each allowed by the same binding: one
   * reason string for all of them, not one (~120 B) a pod. Bounded; starting over only costs a copy.
   */
  private shared(r: AuthorizationResult): AuthorizationResult {
    const key = `${r.decision} ${r.reason}`;
    const hit = this.results.get(key);
    if (hit) return hit;
    if (this.results.size >= SHARED_RESULTS) this.results.clear();
    const frozen = Object.freeze(r);
    this.results.set(flatString(key), frozen);
    return frozen;
  }

  /** Upstream's RBAC decision: the first rule bound to the user that allows the request, else no opinion. */
  decide(a: AuthorizationAttributes): AuthorizationResult {
    let reason = '';
    let errors: string[] | undefined;
    this.policy.visitRulesFor(a.user, a.namespace, (source, rule, err) => {
      if (rule && ruleAllows(a, rule)) {
        reason = `RBAC: allowed by ${describeSource(source)}`;
        return false;
      }
      if (err) (errors ??= []).push(err);
      return true;
    });
    if (reason) return { decision: 'Allow', reason };
    return { decision: 'NoOpinion', reason: errors ? `RBAC: ${aggregateErrors(errors)}` : '' };
  }

  rulesFor(user: UserInfo, namespace: string): ReturnType<RuleResolver['rulesFor']> {
    const { rules, errors } = this.policy.rulesFor(user, namespace);
    const resourceRules: ResourceRule[] = [];
    const nonResourceRules: NonResourceRule[] = [];
    for (const r of rules) {
      if (r.resources.length) {
        resourceRules.push({ verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources, ...(r.resourceNames.length ? { resourceNames: r.resourceNames } : {}) });
      }
      if (r.nonResourceURLs.length) nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
    }
    return { resourceRules, nonResourceRules, incomplete: false, ...(errors.length ? { evaluationError: aggregateErrors(errors) } : {}) };
  }
}
