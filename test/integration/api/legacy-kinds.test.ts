/**
 * The kinds a stock 1.32 `kubectl api-resources` lists beyond the usual ones: core/v1 bindings (create only,
 * pods/binding for the named pod), core/v1 componentstatuses (read only, probed, deprecated) and storage.k8s.io/v1
 * csistoragecapacities (stored, validated, printed as upstream's).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import type { KubeObject } from '../../../src/control/api/resource.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ metrics: false, aggregator: false });
});
afterAll(async () => h.close());

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
const binding = (name: string | undefined, node = 'node-1') => ({
  apiVersion: 'v1', kind: 'Binding', metadata: name === undefined ? {} : { name }, target: { apiVersion: 'v1', kind: 'Node', name: node },
});

describe('discovery', () => {
  test('core/v1 lists bindings (create) and componentstatuses (cs, get/list); storage.k8s.io/v1 lists csistoragecapacities', async () => {
    const core = await h.json<{ resources: { name: string; kind: string; namespaced: boolean; verbs: string[]; shortNames?: string[] }[] }>('GET', '/api/v1');
    const byName = new Map(core.body.resources.map((r) => [r.name, r]));
    expect(byName.get('bindings')).toMatchObject({ kind: 'Binding', namespaced: true, verbs: ['create'] });
    expect(byName.get('componentstatuses')).toMatchObject({ kind: 'ComponentStatus', namespaced: false, verbs: ['get', 'list'], shortNames: ['cs'] });
    const storage = await h.json<{ resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[] }>('GET', '/apis/storage.k8s.io/v1');
    expect(storage.body.resources.find((r) => r.name === 'csistoragecapacities')).toMatchObject({
      kind: 'CSIStorageCapacity', namespaced: true, verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    });
  });
});

describe('core/v1 bindings', () => {
  test('binds the pod the body names, as pods/binding does: 201 Success, nodeName and PodScheduled set', async () => {
    expect((await h.json('POST', '/api/v1/namespaces/default/pods', pod('b1'))).status).toBe(201);
    const res = await h.json('POST', '/api/v1/namespaces/default/bindings', binding('b1'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Success', code: 201 });
    const p = await h.json<KubeObject>('GET', '/api/v1/namespaces/default/pods/b1');
    expect((p.body['spec'] as { nodeName?: string }).nodeName).toBe('node-1');
    expect((p.body['status'] as { conditions: { type: string; status: string }[] }).conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
  });

  test('a bound pod is 409, a missing pod 404, no name 400, no target 422 (the subresource\'s answers)', async () => {
    const again = await h.json<{ reason: string; message: string }>('POST', '/api/v1/namespaces/default/bindings', binding('b1', 'node-2'));
    expect(again.status).toBe(409);
    expect(again.body.message).toBe('Operation cannot be fulfilled on pods "b1": pod b1 is already assigned to node "node-1"');
    const missing = await h.json<{ reason: string; message: string }>('POST', '/api/v1/namespaces/default/bindings', binding('nope'));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found' });
    const unnamed = await h.json<{ reason: string; message: string }>('POST', '/api/v1/namespaces/default/bindings', binding(undefined));
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.message).toBe('Name parameter required.');
    expect((await h.json('POST', '/api/v1/namespaces/default/pods', pod('b2'))).status).toBe(201);
    const untargeted = await h.json<{ reason: string; details: { causes: { field: string }[] } }>('POST', '/api/v1/namespaces/default/bindings', { kind: 'Binding', metadata: { name: 'b2' }, target: {} });
    expect(untargeted.status).toBe(422);
    expect(untargeted.body.details.causes[0]!.field).toBe('target.name');
    const wrongKind = await h.json('POST', '/api/v1/namespaces/default/bindings', { ...binding('b2'), kind: 'Pod' });
    expect(wrongKind.status).toBe(400);
  });

  test('OpenAPI v2 has the collection\'s POST only, as upstream\'s document', async () => {
    const doc = await h.json<{ paths: Record<string, Record<string, { 'x-kubernetes-group-version-kind'?: unknown }>> }>('GET', '/openapi/v2');
    const ops = doc.body.paths['/api/v1/namespaces/{namespace}/bindings']!;
    expect(Object.keys(ops).filter((k) => k !== 'parameters')).toEqual(['post']);
    expect(ops['post']!['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Binding' });
    expect(doc.body.paths['/api/v1/namespaces/{namespace}/bindings/{name}']).toBeUndefined();
    expect(Object.keys(doc.body.paths['/api/v1/componentstatuses/{name}']!).filter((k) => k !== 'parameters')).toEqual(['get']);
  });

  test('create only: get, list and the cluster-wide collection are refused', async () => {
    expect((await h.req('GET', '/api/v1/namespaces/default/bindings')).statusCode).toBe(405);
    expect((await h.req('GET', '/api/v1/namespaces/default/bindings/b1')).statusCode).toBe(405);
    expect((await h.req('POST', '/api/v1/bindings', binding('b2'))).statusCode).toBe(405);
  });

  test('dry run binds nothing', async () => {
    expect((await h.json('POST', '/api/v1/namespaces/default/pods', pod('b3'))).status).toBe(201);
    expect((await h.json('POST', '/api/v1/namespaces/default/bindings?dryRun=All', binding('b3'))).status).toBe(201);
    const p = await h.json<KubeObject>('GET', '/api/v1/namespaces/default/pods/b3');
    expect((p.body['spec'] as { nodeName?: string }).nodeName).toBeUndefined();
  });
});

describe('core/v1 componentstatuses', () => {
  type Cs = { metadata: { name: string }; conditions: { type: string; status: string; message: string; error?: string }[] };

  test('lists scheduler, controller-manager and etcd-0 with a Healthy condition each, and warns it is deprecated', async () => {
    const res = await h.req('GET', '/api/v1/componentstatuses');
    expect(res.statusCode).toBe(200);
    expect([res.headers['warning']].flat()).toEqual(['299 - "v1 ComponentStatus is deprecated in v1.19+"']);
    const list = JSON.parse(res.body) as { kind: string; items: Cs[] };
    expect(list.kind).toBe('ComponentStatusList');
    expect(list.items.map((i) => i.metadata.name)).toEqual(['scheduler', 'controller-manager', 'etcd-0']);
    const by = Object.fromEntries(list.items.map((i) => [i.metadata.name, i.conditions[0]!]));
    // The memory store answers; this harness runs no scheduler and no controller manager holds the lease.
    expect(by['etcd-0']).toEqual({ type: 'Healthy', status: 'True', message: 'ok' });
    expect(by['scheduler']).toMatchObject({ type: 'Healthy', status: 'False', error: 'no scheduler runs in this server process' });
    expect(by['controller-manager']).toMatchObject({ type: 'Healthy', status: 'False' });
    expect(by['controller-manager']!.error).toMatch(/kube-system\/kube-controller-manager/);
  });

  test('controller-manager is Healthy while its leader lease is renewed, Unhealthy once it lapses', async () => {
    const lease = (renew: Date) => ({
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'kube-controller-manager', namespace: 'kube-system' },
      spec: { holderIdentity: 'cm-1', leaseDurationSeconds: 15, renewTime: renew.toISOString().replace('Z', '000Z') },
    });
    expect((await h.json('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', lease(new Date()))).status).toBe(201);
    const live = await h.json<Cs>('GET', '/api/v1/componentstatuses/controller-manager');
    expect(live.status).toBe(200);
    expect(live.body.conditions).toEqual([{ type: 'Healthy', status: 'True', message: 'ok' }]);
    const cur = await h.json<KubeObject>('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager');
    const stale = { ...lease(new Date(Date.now() - 60_000)), metadata: { ...cur.body.metadata } };
    expect((await h.json('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager', stale)).status).toBe(200);
    const lapsed = await h.json<Cs>('GET', '/api/v1/componentstatuses/controller-manager');
    expect(lapsed.body.conditions[0]).toMatchObject({ status: 'False' });
    expect(lapsed.body.conditions[0]!.error).toMatch(/cm-1 was last renewed at/);
  });

  test('get of an unknown component is 404; field selectors select; writes are refused', async () => {
    const missing = await h.json<{ message: string }>('GET', '/api/v1/componentstatuses/kubelet');
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('componentstatuses "kubelet" not found');
    const one = await h.json<{ items: Cs[] }>('GET', '/api/v1/componentstatuses?fieldSelector=metadata.name%3Detcd-0');
    expect(one.body.items.map((i) => i.metadata.name)).toEqual(['etcd-0']);
    expect((await h.req('POST', '/api/v1/componentstatuses', { metadata: { name: 'x' } })).statusCode).toBe(405);
    expect((await h.req('DELETE', '/api/v1/componentstatuses/etcd-0')).statusCode).toBe(405);
  });

  test('Table columns as upstream\'s printer: Name, Status, Message, Error', async () => {
    const t = await h.json<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>('GET', '/api/v1/componentstatuses', undefined, { accept: TABLE });
    expect(t.status).toBe(200);
    expect(t.body.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Status', 'Message', 'Error']);
    expect(t.body.rows.find((r) => r.cells[0] === 'etcd-0')!.cells).toEqual(['etcd-0', 'Healthy', 'ok', '']);
    expect(t.body.rows.find((r) => r.cells[0] === 'scheduler')!.cells).toEqual(['scheduler', 'Unhealthy', '', 'no scheduler runs in this server process']);
  });
});

describe('storage.k8s.io/v1 csistoragecapacities', () => {
  const base = '/apis/storage.k8s.io/v1/namespaces/default/csistoragecapacities';
  const cap = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'storage.k8s.io/v1', kind: 'CSIStorageCapacity', metadata: { name }, storageClassName: 'fast',
    nodeTopology: { matchLabels: { 'topology.kubernetes.io/zone': 'a' } }, capacity: '10Gi', ...extra,
  });
  type Invalid = { reason: string; details: { causes: { field: string; message: string }[] } };

  test('create, get, list and Table (Name, StorageClassName, Capacity)', async () => {
    expect((await h.json('POST', base, cap('c1'))).status).toBe(201);
    expect((await h.json('POST', base, cap('c2', { capacity: undefined }))).status).toBe(201);
    const got = await h.json<KubeObject>('GET', `${base}/c1`);
    expect(got.body).toMatchObject({ kind: 'CSIStorageCapacity', storageClassName: 'fast', capacity: '10Gi' });
    const t = await h.json<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>('GET', base, undefined, { accept: TABLE });
    expect(t.body.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'StorageClassName', 'Capacity']);
    expect(t.body.rows.map((r) => r.cells)).toEqual([['c1', 'fast', '10Gi'], ['c2', 'fast', '<unset>']]);
  });

  test('validation: class name, negative capacity, selector, name', async () => {
    const noClass = await h.json<Invalid>('POST', base, cap('c3', { storageClassName: '' }));
    expect(noClass.status).toBe(422);
    expect(noClass.body.details.causes.map((c) => c.field)).toEqual(['storageClassName']);
    const negative = await h.json<Invalid>('POST', base, cap('c3', { capacity: '-1Gi' }));
    expect(negative.status).toBe(422);
    expect(negative.body.details.causes).toEqual([expect.objectContaining({ field: 'capacity', message: 'Invalid value: "-1Gi": must be greater than or equal to 0' })]);
    const badSelector = await h.json<Invalid>('POST', base, cap('c3', { nodeTopology: { matchExpressions: [{ key: 'zone', operator: 'Bogus' }] } }));
    expect(badSelector.status).toBe(422);
    expect(badSelector.body.details.causes[0]!.field).toMatch(/^nodeTopology\.matchExpressions\[0\]\.operator/);
    const badName = await h.json<Invalid>('POST', base, cap('Not_A_Name'));
    expect(badName.status).toBe(422);
    expect(badName.body.details.causes[0]!.field).toBe('metadata.name');
  });

  test('nodeTopology and storageClassName are immutable; capacity changes', async () => {
    const cur = await h.json<KubeObject>('GET', `${base}/c1`);
    const moved = await h.json<Invalid>('PUT', `${base}/c1`, { ...cur.body, storageClassName: 'slow', nodeTopology: {} });
    expect(moved.status).toBe(422);
    expect(moved.body.details.causes.map((c) => `${c.field}: ${c.message}`).sort()).toEqual([
      expect.stringMatching(/^nodeTopology: Invalid value: .*: field is immutable$/),
      'storageClassName: Invalid value: "slow": field is immutable',
    ]);
    const grown = await h.json<KubeObject>('PUT', `${base}/c1`, { ...cur.body, capacity: '20Gi', maximumVolumeSize: '5Gi' });
    expect(grown.status).toBe(200);
    expect(grown.body).toMatchObject({ capacity: '20Gi', maximumVolumeSize: '5Gi' });
  });
});
