import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { Registry } from '../../../../src/control/api/registry.js';
import { builtinResources } from '../../../../src/control/api/kinds/index.js';
import { forbiddenNodeLabels, NodeRestriction } from '../../../../src/control/api/admission/node-restriction.js';
import type { AdmissionAttributes, AdmissionOperation } from '../../../../src/control/api/admission/types.js';
import { ApiError } from '../../../../src/control/api/status.js';

const registry = new Registry(builtinResources);
const rt = (group: string, plural: string) => {
  const r = registry.lookup(group, group === '' ? 'v1' : 'v1', plural);
  if (!r) throw new Error(`no ${group}/${plural}`);
  return r;
};
const n1 = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };

const node = (name: string, extra: { labels?: Record<string, string>; taints?: unknown[] } = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}`, labels: extra.labels ?? {} }, spec: extra.taints ? { taints: extra.taints } : {} });
const pod = (name: string, nodeName: string, extra: Partial<KubeObject> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', uid: `uid-${name}` }, spec: { nodeName, containers: [{ name: 'c', image: 'i' }] }, ...extra });

const pods = new Map<string, KubeObject>([['p1', pod('p1', 'n1')], ['p2', pod('p2', 'n2')]]);
const plugin = new NodeRestriction({
  pod: async (_ns, name) => pods.get(name),
  node: async (name) => (name === 'n1' ? node('n1') : undefined),
});

function at(op: AdmissionOperation, group: string, plural: string, sub: string, name: string, object: KubeObject | null, oldObject: KubeObject | null, ns?: string, user = n1): AdmissionAttributes {
  return { operation: op, resource: rt(group, plural), subresource: sub, namespace: ns, name, object, oldObject, dryRun: false, user };
}

async function refusal(a: AdmissionAttributes): Promise<ApiError> {
  try {
    await plugin.admit(a);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('admitted');
}

describe('NodeRestriction', () => {
  test('users that are not nodes pass untouched', async () => {
    const admin = { name: 'admin', groups: ['system:masters'] };
    const obj = node('n2', { labels: { 'node-restriction.kubernetes.io/x': 'y' } });
    expect(await plugin.admit(at('UPDATE', '', 'nodes', '', 'n2', obj, node('n2'), undefined, admin))).toBe(obj);
    expect(await plugin.admit(at('DELETE', '', 'pods', '', 'p2', null, pods.get('p2')!, 'ns', { name: 'system:node:n1', groups: [] }))).toBeNull();
  });

  test('a node modifies only its own Node, in upstream\'s words', async () => {
    const e = await refusal(at('UPDATE', '', 'nodes', '', 'n2', node('n2'), node('n2')));
    expect(e.code).toBe(403);
    expect(e.message).toBe('nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    expect((await refusal(at('UPDATE', '', 'nodes', 'status', 'n2', node('n2'), node('n2')))).message).toContain('node "n1" is not allowed to modify node "n2"');
    expect((await refusal(at('CREATE', '', 'nodes', '', 'n2', node('n2'), null))).message).toContain('is not allowed to modify node "n2"');
    await expect(plugin.admit(at('UPDATE', '', 'nodes', 'status', 'n1', node('n1'), node('n1')))).resolves.toBeTruthy();
  });

  test('labels: kubelet ones are fine, node-restriction and unknown kubernetes.io ones are not; taints never change', async () => {
    expect(forbiddenNodeLabels(['kubernetes.io/hostname', 'topology.kubernetes.io/zone', 'node.kubernetes.io/instance-type', 'x.kubelet.kubernetes.io/a', 'tier', 'example.com/a'])).toEqual([]);
    expect(forbiddenNodeLabels(['node-restriction.kubernetes.io/pool', 'node-role.kubernetes.io/master', 'foo.k8s.io/x'])).toEqual(['foo.k8s.io/x', 'node-restriction.kubernetes.io/pool', 'node-role.kubernetes.io/master']);
    const create = await refusal(at('CREATE', '', 'nodes', '', 'n1', node('n1', { labels: { 'node-restriction.kubernetes.io/pool': 'a', 'kubernetes.io/hostname': 'n1' } }), null));
    expect(create.message).toBe('nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: node-restriction.kubernetes.io/pool');
    await expect(plugin.admit(at('CREATE', '', 'nodes', '', 'n1', node('n1', { labels: { 'kubernetes.io/hostname': 'n1', tier: 'x' } }), null))).resolves.toBeTruthy();
    const upd = await refusal(at('UPDATE', '', 'nodes', '', 'n1', node('n1', { labels: { 'node-role.kubernetes.io/control-plane': '' } }), node('n1')));
    expect(upd.message).toBe('nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/control-plane');
    // Removing a forbidden label is a modification too.
    expect((await refusal(at('UPDATE', '', 'nodes', '', 'n1', node('n1'), node('n1', { labels: { 'node-restriction.kubernetes.io/a': 'b' } })))).message).toContain('node-restriction.kubernetes.io/a');
    const taint = { key: 'k', effect: 'NoSchedule' };
    expect((await refusal(at('UPDATE', '', 'nodes', '', 'n1', node('n1'), node('n1', { taints: [taint] })))).message).toBe('nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
    await expect(plugin.admit(at('UPDATE', '', 'nodes', '', 'n1', node('n1', { taints: [] }), node('n1')))).resolves.toBeTruthy();
  });

  test('pods: delete and status only for its own; no other updates', async () => {
    await expect(plugin.admit(at('DELETE', '', 'pods', '', 'p1', null, pods.get('p1')!, 'ns'))).resolves.toBeNull();
    expect((await refusal(at('DELETE', '', 'pods', '', 'p2', null, pods.get('p2')!, 'ns'))).message).toBe('pods "p2" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
    const withStatus = (p: KubeObject) => ({ ...p, status: { phase: 'Running' } });
    await expect(plugin.admit(at('UPDATE', '', 'pods', 'status', 'p1', withStatus(pods.get('p1')!), pods.get('p1')!, 'ns'))).resolves.toBeTruthy();
    expect((await refusal(at('UPDATE', '', 'pods', 'status', 'p2', withStatus(pods.get('p2')!), pods.get('p2')!, 'ns'))).message).toBe('pods "p2" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself');
    const relabelled = { ...pods.get('p1')!, metadata: { ...pods.get('p1')!.metadata, labels: { a: 'b' } } };
    expect((await refusal(at('UPDATE', '', 'pods', 'status', 'p1', relabelled, pods.get('p1')!, 'ns'))).message).toContain('node "n1" cannot update labels through pod status');
    expect((await refusal(at('UPDATE', '', 'pods', '', 'p1', pods.get('p1')!, pods.get('p1')!, 'ns'))).message).toContain('unexpected operation "UPDATE", node "n1" can only create and delete mirror pods');
    expect((await refusal(at('CREATE', '', 'pods', 'eviction', 'p2', { metadata: { name: 'p2' } }, null, 'ns'))).message).toContain('node n1 can only evict pods with spec.nodeName set to itself');
    await expect(plugin.admit(at('CREATE', '', 'pods', 'eviction', 'p1', { metadata: { name: 'p1' } }, null, 'ns'))).resolves.toBeTruthy();
  });

  test('pods: only mirror pods bound to and owned by itself, naming nothing', async () => {
    const owner = { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-n1', controller: true };
    const mirror = (extra: { nodeName?: string; owners?: unknown[]; spec?: Record<string, unknown>; annotations?: Record<string, string> } = {}): KubeObject => ({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'm', namespace: 'ns', annotations: extra.annotations ?? { 'kubernetes.io/config.mirror': 'hash' }, ownerReferences: (extra.owners ?? [owner]) as never },
      spec: { nodeName: extra.nodeName ?? 'n1', containers: [{ name: 'c', image: 'i' }], ...extra.spec },
    });
    await expect(plugin.admit(at('CREATE', '', 'pods', '', 'm', mirror(), null, 'ns'))).resolves.toBeTruthy();
    const cases: [KubeObject, string][] = [
      [mirror({ annotations: {} }), 'pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods'],
      [mirror({ nodeName: 'n2' }), 'node "n1" can only create pods with spec.nodeName set to itself'],
      [mirror({ owners: [] }), 'node "n1" can only create pods with an owner reference set to itself'],
      [mirror({ owners: [{ ...owner, controller: false }] }), 'node "n1" can only create pods with a controller owner reference set to itself'],
      [mirror({ owners: [{ ...owner, uid: 'other' }] }), 'node n1 UID mismatch: expected other got uid-n1'],
      [mirror({ spec: { serviceAccountName: 'default' } }), 'node "n1" can not create pods that reference a service account'],
      [mirror({ spec: { volumes: [{ name: 's', secret: { secretName: 's' } }] } }), 'node "n1" can not create pods that reference secrets'],
      [mirror({ spec: { volumes: [{ name: 'c', configMap: { name: 'c' } }] } }), 'node "n1" can not create pods that reference configmaps'],
      [mirror({ spec: { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'c' } }] } }), 'node "n1" can not create pods that reference persistentvolumeclaims'],
    ];
    for (const [p, why] of cases) expect((await refusal(at('CREATE', '', 'pods', '', 'm', p, null, 'ns'))).message).toBe(`pods "m" is forbidden: ${why}`);
  });

  test('leases: its own, in kube-node-lease', async () => {
    const lease = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' } });
    await expect(plugin.admit(at('CREATE', 'coordination.k8s.io', 'leases', '', 'n1', lease('n1'), null, 'kube-node-lease'))).resolves.toBeTruthy();
    expect((await refusal(at('CREATE', 'coordination.k8s.io', 'leases', '', 'n2', lease('n2'), null, 'kube-node-lease'))).message).toBe('leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node');
    expect((await refusal(at('UPDATE', 'coordination.k8s.io', 'leases', '', 'n1', lease('n1'), lease('n1'), 'default'))).message).toContain('can only access leases in the "kube-node-lease" system namespace');
  });

  test('service account tokens only bound to its own pods; claims only through status', async () => {
    const tr = (name: string, uid: string) => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name, uid } } });
    await expect(plugin.admit(at('CREATE', '', 'serviceaccounts', 'token', 'default', tr('p1', 'uid-p1'), null, 'ns'))).resolves.toBeTruthy();
    expect((await refusal(at('CREATE', '', 'serviceaccounts', 'token', 'default', tr('p2', 'uid-p2'), null, 'ns'))).message).toContain('node requested token bound to a pod scheduled on a different node');
    expect((await refusal(at('CREATE', '', 'serviceaccounts', 'token', 'default', { spec: {} }, null, 'ns'))).message).toContain('node requested token not bound to a pod');
    expect((await refusal(at('CREATE', '', 'serviceaccounts', 'token', 'default', tr('p1', 'stale'), null, 'ns'))).message).toContain('the UID in the bound object reference (stale) does not match');
    const pvc = (status: Record<string, unknown>, labels?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'ns', resourceVersion: '1', ...(labels ? { labels } : {}) }, spec: {}, status });
    await expect(plugin.admit(at('UPDATE', '', 'persistentvolumeclaims', 'status', 'c', pvc({ capacity: { storage: '2Gi' } }), pvc({ capacity: { storage: '1Gi' } }), 'ns'))).resolves.toBeTruthy();
    expect((await refusal(at('UPDATE', '', 'persistentvolumeclaims', 'status', 'c', pvc({ phase: 'Lost' }), pvc({}), 'ns'))).message).toContain('node "n1" is not allowed to update fields other than status.capacity and status.conditions');
    expect((await refusal(at('UPDATE', '', 'persistentvolumeclaims', '', 'c', pvc({}, { a: 'b' }), pvc({}), 'ns'))).message).toContain('may only update PVC status');
  });

  test('a node that cannot be told apart is refused', async () => {
    const e = await refusal(at('CREATE', '', 'events', '', 'e', { metadata: { name: 'e' } }, null, 'default', { name: 'system:node:', groups: ['system:nodes'] }));
    expect(e.message).toContain('could not determine node from user "system:node:"');
  });
});
