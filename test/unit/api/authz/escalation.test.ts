import { describe, expect, it } from 'vitest';
import { compactRules, compactString, covers, escalationError, ruleCovers } from '../../../../src/control/api/authz/escalation.js';
import { policyRule } from '../../../../src/control/api/authz/rules.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from '../../../../src/control/api/authz/bootstrap-policy.js';
import { reconcileBinding, reconcileRole } from '../../../../src/control/api/authz/reconcile.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';

const R = (r: Record<string, string[]>) => policyRule(r);

describe('escalation: covers, compaction and the message', () => {
  it('ruleCovers: wildcards, */sub, URL prefixes, resource names', () => {
    expect(ruleCovers(R({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }), R({ verbs: ['delete'], apiGroups: ['apps'], resources: ['deployments/scale'] }))).toBe(true);
    expect(ruleCovers(R({ verbs: ['get'], apiGroups: [''], resources: ['*/status'] }), R({ verbs: ['get'], apiGroups: [''], resources: ['pods/status'] }))).toBe(true);
    expect(ruleCovers(R({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }), R({ verbs: ['get'], apiGroups: [''], resources: ['pods/status'] }))).toBe(false);
    expect(ruleCovers(R({ verbs: ['get'], nonResourceURLs: ['/healthz/*'] }), R({ verbs: ['get'], nonResourceURLs: ['/healthz/ping'] }))).toBe(true);
    expect(ruleCovers(R({ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }), R({ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }))).toBe(false);
    expect(ruleCovers(R({ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }), R({ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }))).toBe(true);
  });

  it('reports the missing rules broken down and compacted, sorted, in upstream format', () => {
    const owned = [R({ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] })];
    const wanted = [R({ verbs: ['get', 'list', 'watch', 'delete'], apiGroups: [''], resources: ['pods', 'configmaps'] })];
    const { covered, missing } = covers(owned, wanted);
    expect(covered).toBe(false);
    expect(compactRules(missing).map(compactString)).toEqual([
      '{APIGroups:[""], Resources:["pods"], Verbs:["watch" "delete"]}',
      '{APIGroups:[""], Resources:["configmaps"], Verbs:["get" "list" "watch" "delete"]}',
    ]);
    expect(escalationError({ name: 'bob', groups: ['devs', 'system:authenticated'] }, owned, wanted)).toBe(
      'user "bob" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n'
      + '{APIGroups:[""], Resources:["configmaps"], Verbs:["get" "list" "watch" "delete"]}\n'
      + '{APIGroups:[""], Resources:["pods"], Verbs:["watch" "delete"]}',
    );
    expect(escalationError({ name: 'bob', groups: [] }, owned, [R({ verbs: ['list'], apiGroups: [''], resources: ['pods'] })])).toBeUndefined();
    expect(compactString(R({ verbs: ['get'], nonResourceURLs: ['/x'] }))).toBe('{NonResourceURLs:["/x"], Verbs:["get"]}');
  });
});

describe('bootstrap policy and reconcile', () => {
  const roles = bootstrapClusterRoles();
  const byName = (n: string) => roles.find((r) => r.metadata?.name === n)!;

  it('has upstream roles with the autoupdate annotation; view/edit/admin aggregate', () => {
    for (const n of ['cluster-admin', 'admin', 'edit', 'view', 'system:discovery', 'system:basic-user', 'system:public-info-viewer', 'system:kube-scheduler',
      'system:kube-controller-manager', 'system:node', 'system:node-proxier', 'system:volume-scheduler', 'system:kube-dns', 'system:monitoring', 'system:auth-delegator',
      'system:certificates.k8s.io:certificatesigningrequests:nodeclient', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient']) {
      expect(byName(n), n).toBeDefined();
      expect(byName(n).metadata?.annotations?.['rbac.authorization.kubernetes.io/autoupdate']).toBe('true');
    }
    expect(byName('view')['aggregationRule']).toEqual({ clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }] });
    const rulesOf = (n: string) => (byName(n)['rules'] as unknown[]).map(policyRule);
    // edit holds everything view holds, admin everything edit holds.
    expect(covers(rulesOf('edit'), rulesOf('view')).covered).toBe(true);
    expect(covers(rulesOf('admin'), rulesOf('edit')).covered).toBe(true);
    expect(covers(rulesOf('view'), [R({ verbs: ['create'], apiGroups: [''], resources: ['pods'] })]).covered).toBe(false);
    const bindings = bootstrapClusterRoleBindings();
    expect(bindings.find((b) => b.metadata?.name === 'system:public-info-viewer')?.['subjects']).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:unauthenticated' },
    ]);
    expect(bindings.find((b) => b.metadata?.name === 'cluster-admin')?.['subjects']).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }]);
  });

  it('reconcile adds missing rules and subjects, keeps additions, respects autoupdate=false, recreates on a new roleRef', () => {
    const expected = byName('system:kube-dns');
    const trimmed: KubeObject = { ...structuredClone(expected), rules: [{ verbs: ['list'], apiGroups: [''], resources: ['services'] }, { verbs: ['get'], apiGroups: ['x'], resources: ['y'] }] };
    const next = reconcileRole(trimmed, expected)!;
    expect(next['rules']).toEqual([
      { verbs: ['list'], apiGroups: [''], resources: ['services'] },
      { verbs: ['get'], apiGroups: ['x'], resources: ['y'] },
      { verbs: ['list'], apiGroups: [''], resources: ['endpoints'] },
      { verbs: ['watch'], apiGroups: [''], resources: ['endpoints'] },
      { verbs: ['watch'], apiGroups: [''], resources: ['services'] },
    ]);
    expect(reconcileRole(next, expected)).toBeNull();
    const pinned = { ...trimmed, metadata: { ...trimmed.metadata, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'false' } } };
    expect(reconcileRole(pinned, expected)).toBeNull();
    const b = bootstrapClusterRoleBindings().find((x) => x.metadata?.name === 'system:basic-user')!;
    const extra = { ...structuredClone(b), subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'carol' }] };
    expect((reconcileBinding(extra, b) as KubeObject)['subjects']).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'carol' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' },
    ]);
    expect(reconcileBinding({ ...b, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'other' } }, b)).toBe('recreate');
  });
});
