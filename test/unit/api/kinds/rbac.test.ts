import { describe, expect, test } from 'vitest';
import type { KubeObject, ResourceType } from '../../../../src/control/api/resource.js';
import { clusterrolebindings, clusterroles, rolebindings, roles } from '../../../../src/control/api/kinds/rbac.js';
import { toTable } from '../../../../src/control/api/table.js';

const now = new Date('2026-01-10T12:00:00Z');
const messages = (r: ResourceType, o: KubeObject) => r.strategy.validate!(o).map((e) => `${e.field}: ${e.message}`);

const role = (rules: unknown[], name = 'reader'): KubeObject =>
  ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace: 'default' }, rules });

describe('roles and cluster roles', () => {
  test('a resource rule needs verbs, api groups and resources', () => {
    expect(messages(roles, role([{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]))).toEqual([]);
    expect(messages(roles, role([{}]))).toEqual([
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[0].resources: Required value: resource rules must supply at least one resource',
    ]);
    expect(messages(roles, role([{ verbs: ['get'], apiGroups: [''], resources: ['pods', 'services'], resourceNames: ['x'] }])))
      .toEqual(['rules[0].resourceNames: Required value: resource names cannot apply to multiple resources']);
  });

  test('non-resource URLs: only in cluster roles, never mixed with resources', () => {
    expect(messages(roles, role([{ verbs: ['get'], nonResourceURLs: ['/healthz'] }])))
      .toEqual(['rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs']);
    const cr = (rules: unknown[]): KubeObject => ({ metadata: { name: 'system:health' }, rules });
    expect(messages(clusterroles, cr([{ verbs: ['get'], nonResourceURLs: ['/healthz'] }]))).toEqual([]);
    expect(messages(clusterroles, cr([{ verbs: ['get'], nonResourceURLs: ['/healthz'], resources: ['pods'] }])))
      .toEqual(['rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: rules cannot apply to both regular resources and non-resource URLs']);
  });

  test('names only need to be path segments (colons allowed), and an aggregationRule needs selectors', () => {
    expect(messages(clusterroles, { metadata: { name: 'system:aggregate-to-view' }, rules: [] })).toEqual([]);
    expect(messages(clusterroles, { metadata: { name: 'a/b' } })).toEqual(["metadata.name: Invalid value: \"a/b\": may not contain '/'"]);
    expect(messages(clusterroles, { metadata: { name: 'agg' }, aggregationRule: {} }))
      .toEqual(['aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil']);
    expect(messages(clusterroles, { metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/agg': 'true' } }] } })).toEqual([]);
  });

  test('printed as the default table: name and creation time', () => {
    const t = toTable(roles, [{ ...role([]), metadata: { name: 'r', namespace: 'default', creationTimestamp: '2026-01-10T11:00:00Z' } }], { includeObject: 'None', now });
    expect((t.columnDefinitions as Array<{ name: string; type: string }>).map((c) => `${c.name}:${c.type}`)).toEqual(['Name:string', 'Created At:date']);
    expect((t.rows as Array<{ cells: unknown[] }>)[0]!.cells).toEqual(['r', '2026-01-10T11:00:00Z']);
  });
});

describe('role bindings and cluster role bindings', () => {
  const binding = (extra: Record<string, unknown> = {}): KubeObject => ({
    metadata: { name: 'b', namespace: 'default' },
    roleRef: { kind: 'Role', name: 'reader' },
    subjects: [{ kind: 'User', name: 'alice' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'builder', namespace: 'ci' }],
    ...extra,
  });

  test('defaults the roleRef and subject api groups', () => {
    const b = binding();
    rolebindings.strategy.default!(b);
    expect(b['roleRef']).toEqual({ kind: 'Role', name: 'reader', apiGroup: 'rbac.authorization.k8s.io' });
    expect((b['subjects'] as Array<{ apiGroup: string }>).map((s) => s.apiGroup)).toEqual(['rbac.authorization.k8s.io', 'rbac.authorization.k8s.io', undefined]);
    expect(messages(rolebindings, b)).toEqual([]);
  });

  test("roleRef kinds and subjects as upstream's", () => {
    const b = binding({ roleRef: { apiGroup: 'x.io', kind: 'Pod', name: '' }, subjects: [{ kind: 'Robot', name: 'r' }, { kind: 'User', name: '', apiGroup: 'rbac.authorization.k8s.io' }] });
    expect(messages(rolebindings, b)).toEqual([
      'roleRef.apiGroup: Unsupported value: "x.io": supported values: "rbac.authorization.k8s.io"',
      'roleRef.kind: Unsupported value: "Pod": supported values: "Role", "ClusterRole"',
      'roleRef.name: Required value',
      'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      'subjects[1].name: Required value',
      'subjects[1].name: Invalid value: "": user name cannot be empty',
    ]);
    const crb: KubeObject = { metadata: { name: 'crb' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] };
    expect(messages(clusterrolebindings, crb)).toEqual([
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
  });

  test('roleRef cannot change', () => {
    const old = binding();
    rolebindings.strategy.default!(old);
    const next = { ...old, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' } };
    expect(rolebindings.strategy.validateUpdate!(next, old).map((e) => `${e.field}: ${e.message}`))
      .toEqual(['roleRef: Invalid value: "{APIGroup:rbac.authorization.k8s.io Kind:ClusterRole Name:admin}": cannot change roleRef']);
    expect(rolebindings.strategy.validateUpdate!({ ...old, subjects: [] }, old)).toEqual([]);
  });

  test('columns: Role, Age, and with -o wide the users, groups and service accounts', () => {
    const b = { ...binding(), metadata: { name: 'b', namespace: 'default', creationTimestamp: '2026-01-10T11:59:00Z' } };
    const t = toTable(rolebindings, [b], { includeObject: 'None', now });
    expect((t.columnDefinitions as Array<{ name: string; priority: number }>).map((c) => `${c.name}/${c.priority}`))
      .toEqual(['Name/0', 'Role/0', 'Age/0', 'Users/1', 'Groups/1', 'ServiceAccounts/1']);
    expect((t.rows as Array<{ cells: unknown[] }>)[0]!.cells).toEqual(['b', 'Role/reader', '60s', 'alice', 'devs', 'ci/builder']);
  });
});
