import { describe, expect, it } from 'vitest';
import { RbacAuthorizer, RbacPolicy } from '../../../../src/control/api/authz/rbac.js';
import { policyRule, ruleAllows } from '../../../../src/control/api/authz/rules.js';
import { AuthorizerChain, privilegedGroups } from '../../../../src/control/api/authz/chain.js';
import { forbiddenError } from '../../../../src/control/api/authz/forbidden.js';
import { impersonate, wantsImpersonation } from '../../../../src/control/api/authz/impersonation.js';
import { requestInfo } from '../../../../src/control/api/authz/request-info.js';
import type { AuthorizationAttributes } from '../../../../src/control/api/authz/types.js';
import type { UserInfo } from '../../../../src/control/api/auth/user.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';

const alice: UserInfo = { name: 'alice', groups: ['devs', 'system:authenticated'] };
const attrs = (user: UserInfo, method: string, url: string): AuthorizationAttributes => ({ user, ...requestInfo(method, url) });

const clusterRole = (name: string, rules: unknown[]): KubeObject => ({ metadata: { name }, rules });
const role = (ns: string, name: string, rules: unknown[]): KubeObject => ({ metadata: { namespace: ns, name }, rules });
const subj = (kind: string, name: string, namespace?: string) => ({ kind, name, ...(namespace ? { namespace } : {}) });
const crb = (name: string, roleName: string, subjects: unknown[]): KubeObject => ({ metadata: { name }, roleRef: { kind: 'ClusterRole', name: roleName }, subjects });
const rb = (ns: string, name: string, kind: string, roleName: string, subjects: unknown[]): KubeObject => ({ metadata: { namespace: ns, name }, roleRef: { kind, name: roleName }, subjects });

describe('rule matching (upstream RuleAllows)', () => {
  const allows = (rule: unknown, method: string, url: string) => ruleAllows(attrs(alice, method, url), policyRule(rule));
  it('verbs, groups and resources, with wildcards', () => {
    expect(allows({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, 'GET', '/api/v1/namespaces/a/pods/p')).toBe(true);
    expect(allows({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, 'GET', '/api/v1/namespaces/a/pods')).toBe(false);
    expect(allows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, 'DELETE', '/apis/apps/v1/namespaces/a/deployments')).toBe(true);
    expect(allows({ verbs: ['list'], apiGroups: ['apps'], resources: ['pods'] }, 'GET', '/api/v1/pods')).toBe(false);
  });
  it('subresources: exact, */sub, and the main resource does not cover them', () => {
    expect(allows({ verbs: ['update'], apiGroups: [''], resources: ['pods'] }, 'PUT', '/api/v1/namespaces/a/pods/p/status')).toBe(false);
    expect(allows({ verbs: ['update'], apiGroups: [''], resources: ['pods/status'] }, 'PUT', '/api/v1/namespaces/a/pods/p/status')).toBe(true);
    expect(allows({ verbs: ['update'], apiGroups: ['*'], resources: ['*/status'] }, 'PUT', '/apis/apps/v1/namespaces/a/deployments/d/status')).toBe(true);
    expect(allows({ verbs: ['update'], apiGroups: ['*'], resources: ['*/scale'] }, 'PUT', '/apis/apps/v1/namespaces/a/deployments/d/status')).toBe(false);
  });
  it('resourceNames limit to the named object', () => {
    const r = { verbs: ['get', 'update'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['kube-scheduler'] };
    expect(allows(r, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler')).toBe(true);
    expect(allows(r, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/other')).toBe(false);
    expect(allows({ ...r, verbs: ['list'] }, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases')).toBe(false);
  });
  it('non-resource URLs, a trailing * matching by prefix', () => {
    expect(allows({ verbs: ['get'], nonResourceURLs: ['/healthz'] }, 'GET', '/healthz')).toBe(true);
    expect(allows({ verbs: ['get'], nonResourceURLs: ['/healthz'] }, 'GET', '/healthz/etcd')).toBe(false);
    expect(allows({ verbs: ['get'], nonResourceURLs: ['/healthz/*'] }, 'GET', '/healthz/etcd')).toBe(true);
    expect(allows({ verbs: ['get'], nonResourceURLs: ['/apis/*'] }, 'GET', '/apis/apps/v1')).toBe(true);
    expect(allows({ verbs: ['get'], nonResourceURLs: ['*'] }, 'POST', '/anything')).toBe(false);
    expect(allows({ verbs: ['get'], apiGroups: ['*'], resources: ['*'] }, 'GET', '/healthz')).toBe(false);
  });
});

describe('RbacAuthorizer', () => {
  const policy = new RbacPolicy();
  policy.put('ClusterRole', clusterRole('reader', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]));
  policy.put('ClusterRole', clusterRole('node-reader', [{ verbs: ['list'], apiGroups: [''], resources: ['nodes'] }]));
  policy.put('Role', role('team', 'writer', [{ verbs: ['create'], apiGroups: [''], resources: ['configmaps'] }]));
  policy.put('ClusterRoleBinding', crb('devs-nodes', 'node-reader', [subj('Group', 'devs')]));
  policy.put('RoleBinding', rb('team', 'alice-read', 'ClusterRole', 'reader', [subj('User', 'alice')]));
  policy.put('RoleBinding', rb('team', 'alice-write', 'Role', 'writer', [subj('User', 'alice')]));
  policy.put('RoleBinding', rb('team', 'robot', 'Role', 'writer', [subj('ServiceAccount', 'bot')]));
  const rbac = new RbacAuthorizer(policy);

  it('allows through cluster bindings (by group) and role bindings (by user) in their namespace only, with upstream reasons', () => {
    expect(rbac.authorize(attrs(alice, 'GET', '/api/v1/nodes'))).toEqual({ decision: 'Allow', reason: 'RBAC: allowed by ClusterRoleBinding "devs-nodes" of ClusterRole "node-reader" to Group "devs"' });
    expect(rbac.authorize(attrs(alice, 'GET', '/api/v1/namespaces/team/pods'))).toEqual({ decision: 'Allow', reason: 'RBAC: allowed by RoleBinding "alice-read/team" of ClusterRole "reader" to User "alice"' });
    expect(rbac.authorize(attrs(alice, 'POST', '/api/v1/namespaces/team/configmaps')).decision).toBe('Allow');
    expect(rbac.authorize(attrs(alice, 'GET', '/api/v1/namespaces/other/pods'))).toEqual({ decision: 'NoOpinion', reason: '' });
    expect(rbac.authorize(attrs(alice, 'GET', '/api/v1/pods')).decision).toBe('NoOpinion');
  });

  it('ServiceAccount subjects are the user system:serviceaccount:<ns>:<name>, the binding namespace by default', () => {
    const bot: UserInfo = { name: 'system:serviceaccount:team:bot', groups: ['system:serviceaccounts'] };
    expect(rbac.authorize(attrs(bot, 'POST', '/api/v1/namespaces/team/configmaps'))).toEqual({ decision: 'Allow', reason: 'RBAC: allowed by RoleBinding "robot/team" of Role "writer" to ServiceAccount "bot/team"' });
  });

  it('updates and deletes take effect; a missing role is the reason', () => {
    const p = new RbacPolicy();
    const z = new RbacAuthorizer(p);
    const b = crb('b', 'missing', [subj('User', 'alice')]);
    p.put('ClusterRoleBinding', b);
    expect(z.authorize(attrs(alice, 'GET', '/api/v1/nodes'))).toEqual({ decision: 'NoOpinion', reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found' });
    p.put('ClusterRole', clusterRole('missing', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]));
    expect(z.authorize(attrs(alice, 'GET', '/api/v1/nodes')).decision).toBe('Allow');
    p.put('ClusterRoleBinding', { ...b, subjects: [subj('User', 'bob')] });
    expect(z.authorize(attrs(alice, 'GET', '/api/v1/nodes')).decision).toBe('NoOpinion');
    expect(z.authorize(attrs({ name: 'bob', groups: [] }, 'GET', '/api/v1/nodes')).decision).toBe('Allow');
    p.remove('ClusterRoleBinding', b);
    expect(z.authorize(attrs({ name: 'bob', groups: [] }, 'GET', '/api/v1/nodes')).decision).toBe('NoOpinion');
  });

  it('rulesFor lists the cluster and namespace rules, once each', () => {
    const r = rbac.rulesFor(alice, 'team');
    expect(r.resourceRules).toEqual([
      { verbs: ['list'], apiGroups: [''], resources: ['nodes'] },
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['create'], apiGroups: [''], resources: ['configmaps'] },
    ]);
    expect(r.incomplete).toBe(false);
  });

  it('a decision costs the user\'s bindings, not all of them', () => {
    const p = new RbacPolicy();
    p.put('ClusterRole', clusterRole('reader', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]));
    for (let i = 0; i < 20_000; i++) p.put('RoleBinding', rb('ns', `b${i}`, 'ClusterRole', 'reader', [subj('User', `user${i}`)]));
    const z = new RbacAuthorizer(p);
    const u: UserInfo = { name: 'user19999', groups: ['system:authenticated'] };
    const a = attrs(u, 'GET', '/api/v1/namespaces/ns/pods/x');
    let allowed = 0;
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++) if (z.authorize(a).decision === 'Allow') allowed++;
    const ms = performance.now() - t0;
    expect(allowed).toBe(20_000);
    // 20,000 decisions among 20,000 bindings: a scan of every binding per decision would take seconds.
    expect(ms).toBeLessThan(500);
  });
});

describe('chain, 403 message and impersonation', () => {
  const policy = new RbacPolicy();
  policy.put('ClusterRole', clusterRole('impersonator', [{ verbs: ['impersonate'], apiGroups: [''], resources: ['users', 'groups'] }]));
  policy.put('ClusterRoleBinding', crb('i', 'impersonator', [subj('User', 'root')]));
  const chain = new AuthorizerChain([privilegedGroups, new RbacAuthorizer(policy)]);

  it('system:masters is allowed everything', () => {
    expect(chain.authorize(attrs({ name: 'x', groups: ['system:masters'] }, 'DELETE', '/api/v1/nodes/n')).decision).toBe('Allow');
  });

  it('forbidden messages in upstream words for each scope', () => {
    const msg = (method: string, url: string) => forbiddenError(attrs(alice, method, url), '').message;
    expect(msg('POST', '/api/v1/namespaces/default/pods')).toBe('pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "default"');
    expect(msg('GET', '/apis/apps/v1/deployments')).toBe('deployments.apps is forbidden: User "alice" cannot list resource "deployments" in API group "apps" at the cluster scope');
    expect(msg('GET', '/api/v1/namespaces/ns/pods/p/log')).toBe('pods "p" is forbidden: User "alice" cannot get resource "pods/log" in API group "" in the namespace "ns"');
    expect(msg('GET', '/logs/<x>')).toBe('forbidden: User "alice" cannot get path "/logs/&lt;x&gt;"');
    expect(forbiddenError(attrs(alice, 'GET', '/api/v1/nodes'), 'RBAC: x not found').message).toBe('nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope: RBAC: x not found');
    expect(forbiddenError(attrs(alice, 'GET', '/apis/apps/v1/namespaces/a/deployments/d'), '').details).toEqual({ name: 'd', group: 'apps', kind: 'deployments' });
  });

  it('impersonation: allowed users and groups, refused otherwise, service accounts get their groups', () => {
    const root: UserInfo = { name: 'root', groups: ['system:authenticated'] };
    expect(impersonate(root, { 'impersonate-user': 'alice', 'impersonate-group': ['devs'] }, chain)).toEqual({ name: 'alice', groups: ['devs', 'system:authenticated'] });
    const refused = impersonate(alice, { 'impersonate-user': 'root' }, chain);
    expect(refused).toMatchObject({ code: 403, message: 'users "root" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope' });
    const sa = impersonate({ name: 'a', groups: ['system:masters'] }, { 'impersonate-user': 'system:serviceaccount:ns:bot' }, chain);
    expect(sa).toEqual({ name: 'system:serviceaccount:ns:bot', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'] });
    const saRefused = impersonate(root, { 'impersonate-user': 'system:serviceaccount:ns:bot' }, chain);
    expect(saRefused).toMatchObject({ code: 403, message: 'serviceaccounts "bot" is forbidden: User "root" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ns"' });
    expect(impersonate(root, { 'impersonate-group': 'devs' }, chain)).toMatchObject({ code: 400 });
    expect(impersonate(root, {}, chain)).toBe(root);
  });

  it('impersonation is asked for by any spelling of the three headers or an Impersonate-Extra- one, nothing else', () => {
    const raw = (...names: string[]) => names.flatMap((n) => [n, 'v']);
    const plain = ['Host', 'Accept', 'Content-Type', 'Content-Length', 'If-None-Match', 'Impersonate', 'Impersonate-Users', 'impersonate-extra', 'X-Impersonate-User'];
    expect(wantsImpersonation(raw(...plain))).toBe(false);
    expect(wantsImpersonation([])).toBe(false);
    for (const n of ['Impersonate-User', 'impersonate-group', 'IMPERSONATE-UID', 'Impersonate-Extra-scopes', 'impersonate-extra-']) {
      expect(wantsImpersonation(raw(...plain, n)), n).toBe(true);
      expect(wantsImpersonation(raw(n, ...plain)), n).toBe(true);
    }
    // Names only: a value that looks like a header name is no request to impersonate.
    expect(wantsImpersonation(['X-Note', 'impersonate-user'])).toBe(false);
  });
});
