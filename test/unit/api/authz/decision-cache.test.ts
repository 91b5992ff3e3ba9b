import { describe, expect, it } from 'vitest';
import { RbacAuthorizer, RbacPolicy } from '../../../../src/control/api/authz/rbac.js';
import { requestInfo } from '../../../../src/control/api/authz/request-info.js';
import type { FastifyRequest } from 'fastify';
import { attributesOf, requestInfoOf } from '../../../../src/control/api/authz/request.js';
import type { AuthorizationAttributes } from '../../../../src/control/api/authz/types.js';
import type { UserInfo } from '../../../../src/control/api/auth/user.js';

const attrs = (user: UserInfo, method: string, url: string): AuthorizationAttributes => ({ user, ...requestInfo(method, url) });
const podReader = { metadata: { name: 'pod-reader' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] };
const binding = (name: string, subjects: unknown[]) => ({ metadata: { namespace: 'team', name }, roleRef: { kind: 'ClusterRole', name: 'pod-reader' }, subjects });

describe('RBAC decisions remembered per user object', () => {
  it('a binding made, changed or removed applies to the next decision for the same user object', () => {
    const policy = new RbacPolicy();
    const rbac = new RbacAuthorizer(policy);
    const bob: UserInfo = { name: 'bob', groups: ['system:authenticated'] };
    const list = attrs(bob, 'GET', '/api/v1/namespaces/team/pods');
    expect(rbac.authorize(list).decision).toBe('NoOpinion');
    policy.put('ClusterRole', podReader);
    policy.put('RoleBinding', binding('bob-read', [{ kind: 'User', name: 'bob' }]));
    expect(rbac.authorize(list)).toEqual({ decision: 'Allow', reason: 'RBAC: allowed by RoleBinding "bob-read/team" of ClusterRole "pod-reader" to User "bob"' });
    // The same request again: the same (frozen) answer.
    expect(rbac.authorize({ ...list })).toBe(rbac.authorize(list));
    expect(Object.isFrozen(rbac.authorize(list))).toBe(true);
    // A different request of the same user is decided on its own attributes.
    expect(rbac.authorize(attrs(bob, 'DELETE', '/api/v1/namespaces/team/pods/p')).decision).toBe('NoOpinion');
    expect(rbac.authorize(attrs(bob, 'GET', '/api/v1/namespaces/other/pods')).decision).toBe('NoOpinion');
    // The binding now names someone else: bob is refused at once.
    policy.put('RoleBinding', binding('bob-read', [{ kind: 'User', name: 'carol' }]));
    expect(rbac.authorize(list).decision).toBe('NoOpinion');
    policy.put('RoleBinding', binding('bob-read', [{ kind: 'User', name: 'bob' }]));
    expect(rbac.authorize(list).decision).toBe('Allow');
    // The role's rules lose list.
    policy.put('ClusterRole', { ...podReader, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] });
    expect(rbac.authorize(list).decision).toBe('NoOpinion');
    policy.put('ClusterRole', podReader);
    expect(rbac.authorize(list).decision).toBe('Allow');
    policy.remove('RoleBinding', binding('bob-read', []));
    expect(rbac.authorize(list).decision).toBe('NoOpinion');
    policy.put('RoleBinding', binding('bob-read', [{ kind: 'User', name: 'bob' }]));
    policy.clear('ClusterRole');
    expect(rbac.authorize(list)).toEqual({ decision: 'NoOpinion', reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "pod-reader" not found' });
  });

  it('users are told apart by object, and a user object whose groups change is decided again', () => {
    const policy = new RbacPolicy();
    policy.put('ClusterRole', podReader);
    policy.put('RoleBinding', binding('readers', [{ kind: 'Group', name: 'readers' }]));
    const rbac = new RbacAuthorizer(policy);
    const url = '/api/v1/namespaces/team/pods';
    const reader: UserInfo = { name: 'dave', groups: ['readers'] };
    const other: UserInfo = { name: 'dave', groups: ['writers'] };
    expect(rbac.authorize(attrs(reader, 'GET', url)).decision).toBe('Allow');
    expect(rbac.authorize(attrs(other, 'GET', url)).decision).toBe('NoOpinion');
    other.groups.push('readers');
    expect(rbac.authorize(attrs(other, 'GET', url)).decision).toBe('Allow');
    reader.groups = ['writers'];
    expect(rbac.authorize(attrs(reader, 'GET', url)).decision).toBe('NoOpinion');
  });

  it('resource names and non-resource paths are part of the remembered request', () => {
    const policy = new RbacPolicy();
    policy.put('ClusterRole', { metadata: { name: 'one-lease' }, rules: [
      { verbs: ['get'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['mine'] },
      { verbs: ['get'], nonResourceURLs: ['/healthz'] },
    ] });
    policy.put('ClusterRoleBinding', { metadata: { name: 'x' }, roleRef: { kind: 'ClusterRole', name: 'one-lease' }, subjects: [{ kind: 'User', name: 'erin' }] });
    const rbac = new RbacAuthorizer(policy);
    const erin: UserInfo = { name: 'erin', groups: [] };
    const lease = (n: string) => attrs(erin, 'GET', `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${n}`);
    expect(rbac.authorize(lease('mine')).decision).toBe('Allow');
    expect(rbac.authorize(lease('theirs')).decision).toBe('NoOpinion');
    expect(rbac.authorize(attrs(erin, 'GET', '/healthz')).decision).toBe('Allow');
    expect(rbac.authorize(attrs(erin, 'GET', '/livez')).decision).toBe('NoOpinion');
    // Many distinct requests: the map starts over rather than growing, and answers stay right.
    for (let i = 0; i < 1500; i++) expect(rbac.authorize(lease(`n${i}`)).decision).toBe('NoOpinion');
    expect(rbac.authorize(lease('mine')).decision).toBe('Allow');
  });
});

describe('requestInfoOf', () => {
  /** A request as the hooks see it: its raw message (the identity), method, URL and headers. */
  const request = (method: string, url: string, upgrade: boolean) =>
    ({ raw: {}, method, url, headers: upgrade ? { upgrade: 'websocket' } : {} }) as unknown as FastifyRequest;

  it('answers as requestInfo does, by method, URL and upgrade, once per request', () => {
    const cases: [string, string, boolean][] = [
      ['POST', '/api/v1/namespaces/a/pods', false],
      ['GET', '/api/v1/namespaces/a/pods', false],
      ['GET', '/api/v1/namespaces/a/pods?watch=true', false],
      ['GET', '/api/v1/namespaces/a/pods/p/exec?command=ls', true],
      ['GET', '/api/v1/namespaces/a/pods/p/exec?command=ls', false],
      ['PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', false],
      ['DELETE', '/api/v1/namespaces/a/pods', false],
      ['GET', '/healthz', false],
      ['GET', `/api/v1/pods?labelSelector=${'a'.repeat(300)}`, false],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [m, u, up] of cases) {
        const req = request(m, u, up);
        const first = requestInfoOf(req);
        expect(first).toEqual(requestInfo(m, u, up));
        // The hooks after the first get the very same answer.
        expect(requestInfoOf(req)).toBe(first);
      }
    }
    expect(requestInfoOf(request('GET', '/api/v1/namespaces/a/pods/p/exec?command=ls', true)).verb).toBe('create');
    expect(requestInfoOf(request('GET', '/api/v1/namespaces/a/pods/p/exec?command=ls', false)).verb).toBe('get');
    expect(requestInfoOf(request('GET', '/api/v1/namespaces/a/pods?watch=true', false)).verb).toBe('watch');
    expect(requestInfoOf(request('GET', '/api/v1/namespaces/a/pods', false)).verb).toBe('list');
  });

  it('shares a collection request\'s info between requests, not a named object\'s', () => {
    const list = requestInfoOf(request('GET', '/api/v1/namespaces/b/pods', false));
    expect(requestInfoOf(request('GET', '/api/v1/namespaces/b/pods', false))).toBe(list);
    expect(Object.isFrozen(list)).toBe(true);
    const named = requestInfoOf(request('PATCH', '/api/v1/nodes/n1/status', false));
    const again = requestInfoOf(request('PATCH', '/api/v1/nodes/n1/status', false));
    expect(again).not.toBe(named);
    expect(again).toEqual(named);
  });
  it('a user\'s repeated request has one frozen attributes object, whose remembered decision follows the policy and the user', () => {
    const policy = new RbacPolicy();
    const rbac = new RbacAuthorizer(policy);
    const bob: UserInfo = { name: 'bob', groups: ['system:authenticated'] };
    const carol: UserInfo = { name: 'carol', groups: ['system:authenticated'] };
    const info = Object.freeze(requestInfo('POST', '/api/v1/namespaces/team/pods'));
    const a = attributesOf(bob, info);
    expect(a).toEqual({ user: bob, ...info });
    expect(Object.isFrozen(a)).toBe(true);
    expect(attributesOf(bob, info)).toBe(a);
    expect(attributesOf(carol, info)).not.toBe(a);
    expect(attributesOf(carol, info).user).toBe(carol);
    // An info that is not remembered (a named object's URL) is copied each time.
    const named = requestInfo('GET', '/api/v1/namespaces/team/pods/p');
    expect(attributesOf(bob, named)).toEqual({ user: bob, ...named });
    expect(attributesOf(bob, named)).not.toBe(attributesOf(bob, named));

    const creator = { metadata: { name: 'pod-creator' }, rules: [{ verbs: ['create'], apiGroups: [''], resources: ['pods'] }] };
    expect(rbac.authorize(a).decision).toBe('NoOpinion');
    policy.put('ClusterRole', creator);
    policy.put('RoleBinding', { metadata: { namespace: 'team', name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'pod-creator' }, subjects: [{ kind: 'Group', name: 'creators' }] });
    expect(rbac.authorize(a).decision).toBe('NoOpinion');
    // The user object gains the group: the same attributes object is decided again.
    bob.groups.push('creators');
    expect(rbac.authorize(a)).toEqual({ decision: 'Allow', reason: 'RBAC: allowed by RoleBinding "b/team" of ClusterRole "pod-creator" to Group "creators"' });
    expect(rbac.authorize(a)).toBe(rbac.authorize(a));
    // The binding goes: refused at once for the same object.
    policy.remove('RoleBinding', { metadata: { namespace: 'team', name: 'b' } });
    expect(rbac.authorize(a).decision).toBe('NoOpinion');
  });

  it('a frozen attributes object keeps its answer while the user\'s other requests fill and empty their map, and loses it with the policy', () => {
    const policy = new RbacPolicy();
    policy.put('ClusterRole', { metadata: { name: 'pod-creator' }, rules: [{ verbs: ['create'], apiGroups: [''], resources: ['pods'] }] });
    policy.put('RoleBinding', { metadata: { namespace: 'team', name: 'c' }, roleRef: { kind: 'ClusterRole', name: 'pod-creator' }, subjects: [{ kind: 'User', name: 'frank' }] });
    const rbac = new RbacAuthorizer(policy);
    const frank: UserInfo = { name: 'frank', groups: [] };
    const a = attributesOf(frank, Object.freeze(requestInfo('POST', '/api/v1/namespaces/team/pods')));
    const allowed = rbac.authorize(a);
    expect(allowed.decision).toBe('Allow');
    for (let i = 0; i < 1200; i++) expect(rbac.authorize(attrs(frank, 'GET', `/api/v1/namespaces/team/pods/p${i}`)).decision).toBe('NoOpinion');
    expect(rbac.authorize(a)).toBe(allowed);
    policy.put('ClusterRole', { metadata: { name: 'pod-creator' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] });
    expect(rbac.authorize(a).decision).toBe('NoOpinion');
    expect(rbac.authorize(attrs(frank, 'GET', '/api/v1/namespaces/team/pods/p1')).decision).toBe('Allow');
    frank.name = 'grace';
    expect(rbac.authorize(a).decision).toBe('NoOpinion');
    expect(rbac.authorize(attrs(frank, 'GET', '/api/v1/namespaces/team/pods/p1')).decision).toBe('NoOpinion');
  });
});
