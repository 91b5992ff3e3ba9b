/**
 * Server-side apply through the PATCH route (application/apply-patch+yaml) and managedFields on ordinary
 * writes, against the memory store.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import type { KubeObject } from '../../../src/control/api/resource.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const DEPLOY = '/apis/apps/v1/namespaces/default/deployments';
const CM = '/api/v1/namespaces/default/configmaps';
const APPLY = { 'content-type': 'application/apply-patch+yaml' };
const MERGE = { 'content-type': 'application/merge-patch+json' };

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  time?: string;
  fieldsType: string;
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}
const entries = (o: KubeObject): Entry[] => (o.metadata?.managedFields ?? []) as Entry[];
const entry = (o: KubeObject, manager: string, operation = 'Apply'): Entry | undefined =>
  entries(o).find((e) => e.manager === manager && e.operation === operation);

const deployYaml = (name: string, replicas: number, labels = 'app: web') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {${labels}}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
`;

const apply = (url: string, body: string, query = 'fieldManager=alice') => h.json('PATCH', `${url}?${query}`, body, APPLY);

describe('server-side apply', () => {
  test('creates a missing object (201) owned by the applier; defaults and status stay unowned', async () => {
    const res = await apply(`${DEPLOY}/web`, deployYaml('web', 3));
    expect(res.status).toBe(201);
    const spec = res.body['spec'] as { replicas: number; strategy?: { type?: string } };
    expect(spec.replicas).toBe(3);
    expect(spec.strategy?.type).toBe('RollingUpdate');
    expect(res.body.metadata!.uid).toBeTruthy();
    const mine = entry(res.body, 'alice')!;
    expect(mine).toMatchObject({ manager: 'alice', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' });
    expect(mine.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(mine.subresource).toBeUndefined();
    const fields = mine.fieldsV1 as { 'f:metadata': Record<string, unknown>; 'f:spec': Record<string, unknown> };
    // Applied maps list their keys only ('.' marks a map an Update created, as upstream's entries).
    expect(fields['f:metadata']).toEqual({ 'f:labels': { 'f:app': {} } });
    expect(Object.keys(fields['f:spec']).sort()).toEqual(['f:replicas', 'f:selector', 'f:template']);
    expect(fields['f:spec']['f:template']).toMatchObject({
      'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
    });
    expect(entries(res.body)).toHaveLength(1);
    // It is stored, not only answered.
    const got = await h.json('GET', `${DEPLOY}/web`);
    expect(got.body.metadata!.managedFields).toEqual(res.body.metadata!.managedFields);
  });

  test('re-applying changes fields, bumps generation and removes what is no longer applied', async () => {
    const res = await apply(`${DEPLOY}/web`, deployYaml('web', 2, 'app: web, tier: front'));
    expect(res.status).toBe(200);
    expect((res.body['spec'] as { replicas: number }).replicas).toBe(2);
    expect(res.body.metadata!.generation).toBe(2);
    expect(res.body.metadata!.labels).toEqual({ app: 'web', tier: 'front' });
    const dropped = await apply(`${DEPLOY}/web`, deployYaml('web', 2));
    expect(dropped.status).toBe(200);
    expect(dropped.body.metadata!.labels).toEqual({ app: 'web' });
    expect((entry(dropped.body, 'alice')!.fieldsV1['f:metadata'] as Record<string, unknown>)['f:labels']).toEqual({ 'f:app': {} });
  });

  test('an unchanged re-apply writes nothing', async () => {
    const before = await h.json('GET', `${DEPLOY}/web`);
    const res = await apply(`${DEPLOY}/web`, deployYaml('web', 2));
    expect(res.status).toBe(200);
    expect(res.body.metadata!.resourceVersion).toBe(before.body.metadata!.resourceVersion);
  });

  test("another manager's change conflicts (409, upstream message and causes); force takes the field", async () => {
    const bob = await h.json('PATCH', `${DEPLOY}/web?fieldManager=bob`, { spec: { replicas: 5 } }, MERGE);
    expect(bob.status).toBe(200);
    expect(entry(bob.body, 'bob', 'Update')).toMatchObject({ apiVersion: 'apps/v1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
    // alice no longer owns what bob changed.
    expect((entry(bob.body, 'alice')!.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas']).toBeUndefined();

    const res = await apply(`${DEPLOY}/web`, deployYaml('web', 1));
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 409, reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "bob" using apps/v1: .spec.replicas',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "bob" using apps/v1', field: '.spec.replicas' }] },
    });
    expect(((await h.json('GET', `${DEPLOY}/web`)).body['spec'] as { replicas: number }).replicas).toBe(5);

    // Applying the value bob set is no conflict: both own it.
    const shared = await apply(`${DEPLOY}/web`, deployYaml('web', 5));
    expect(shared.status).toBe(200);
    expect(entry(shared.body, 'bob', 'Update')).toBeDefined();

    const forced = await apply(`${DEPLOY}/web`, deployYaml('web', 1), 'fieldManager=alice&force=true');
    expect(forced.status).toBe(200);
    expect((forced.body['spec'] as { replicas: number }).replicas).toBe(1);
    expect(entry(forced.body, 'bob', 'Update')).toBeUndefined();
    expect((entry(forced.body, 'alice')!.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas']).toEqual({});
  });

  test('PatchOptions: fieldManager is required for apply, force only for apply (422)', async () => {
    const res = await h.json('PATCH', `${DEPLOY}/web`, deployYaml('web', 1), APPLY);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      reason: 'Invalid', code: 422,
      message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      details: { kind: 'PatchOptions', group: 'meta.k8s.io', causes: [{ reason: 'FieldValueRequired', field: 'fieldManager' }] },
    });
    const forced = await h.json('PATCH', `${DEPLOY}/web?force=true`, { spec: { replicas: 1 } }, MERGE);
    expect(forced.status).toBe(422);
    expect(forced.body.message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const long = await h.json('POST', `${CM}?fieldManager=${'x'.repeat(129)}`, { metadata: { name: 'long' } });
    expect(long.status).toBe(422);
    expect(long.body.message).toBe('CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes');
  });

  test('dryRun apply answers with the object and stores nothing', async () => {
    const res = await apply(`${DEPLOY}/ghost`, deployYaml('ghost', 1), 'fieldManager=alice&dryRun=All');
    expect(res.status).toBe(201);
    expect(entry(res.body, 'alice')).toBeDefined();
    expect((await h.json('GET', `${DEPLOY}/ghost`)).status).toBe(404);
    const before = await h.json('GET', `${DEPLOY}/web`);
    const dry = await apply(`${DEPLOY}/web`, deployYaml('web', 4), 'fieldManager=alice&dryRun=All');
    expect((dry.body['spec'] as { replicas: number }).replicas).toBe(4);
    const after = await h.json('GET', `${DEPLOY}/web`);
    expect(after.body).toEqual(before.body);
  });

  test('bad configurations: missing or other name 400, wrong apiVersion 400, not YAML 400, /scale 415', async () => {
    const noName = await apply(`${CM}/anon`, 'apiVersion: v1\nkind: ConfigMap\ndata: {a: "1"}\n');
    expect(noName.status).toBe(400);
    expect(noName.body.message).toBe('the name of the object (anon based on URL) was undeterminable: name must be provided');
    const other = await apply(`${CM}/one`, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}\n');
    expect(other.status).toBe(400);
    expect(other.body.message).toBe('the name of the object (two) does not match the name on the URL (one)');
    const ns = await apply(`${CM}/one`, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, namespace: kube-system}\n');
    expect(ns.status).toBe(400);
    const version = await apply(`${DEPLOY}/web`, deployYaml('web', 1).replace('apps/v1', 'apps/v1beta1'));
    expect(version.status).toBe(400);
    expect(version.body.message).toBe('Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1');
    const broken = await apply(`${CM}/one`, 'a: [\n');
    expect(broken.status).toBe(400);
    expect((await h.json('GET', `${CM}/one`)).status).toBe(404);
    const scale = await h.json('PATCH', `${DEPLOY}/web/scale?fieldManager=alice`, 'spec: {replicas: 2}\n', APPLY);
    expect(scale.status).toBe(415);
    expect(scale.body.message).not.toContain('apply-patch');
  });

  test('apply to /status owns status only and keeps the main entries; a missing object is 404 there', async () => {
    const res = await h.json('PATCH', `${DEPLOY}/web/status?fieldManager=ctl`, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nstatus: {replicas: 1, readyReplicas: 1}\nspec: {replicas: 9}\n', APPLY);
    expect(res.status).toBe(200);
    expect(res.body['status']).toMatchObject({ replicas: 1, readyReplicas: 1 });
    expect((res.body['spec'] as { replicas: number }).replicas).toBe(1);
    const st = entries(res.body).find((e) => e.manager === 'ctl')!;
    expect(st).toMatchObject({ operation: 'Apply', subresource: 'status', fieldsV1: { 'f:status': { 'f:replicas': {}, 'f:readyReplicas': {} } } });
    expect(st.fieldsV1['f:spec']).toBeUndefined();
    expect(entry(res.body, 'alice')).toBeDefined();
    const stored = await h.json('GET', `${DEPLOY}/web`);
    expect(stored.body.metadata!.managedFields).toEqual(res.body.metadata!.managedFields);
    const missing = await h.json('PATCH', `${DEPLOY}/nope/status?fieldManager=ctl`, deployYaml('nope', 1), APPLY);
    expect(missing.status).toBe(404);
  });
});

describe('managedFields on ordinary writes', () => {
  test('create, update and merge patch record Update entries named by fieldManager or the User-Agent', async () => {
    const created = await h.json('POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } }, { 'user-agent': 'tool/1.2 (linux)' });
    expect(created.status).toBe(201);
    expect(entries(created.body)).toEqual([
      { manager: 'tool', operation: 'Update', apiVersion: 'v1', time: expect.any(String), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } } },
    ]);
    const put = await h.json('PUT', `${CM}/cfg?fieldManager=editor`, { ...created.body, data: { a: '1', b: '2' } });
    expect(put.status).toBe(200);
    expect(entry(put.body, 'tool', 'Update')!.fieldsV1).toEqual({ 'f:data': { '.': {}, 'f:a': {} } });
    expect(entry(put.body, 'editor', 'Update')!.fieldsV1).toEqual({ 'f:data': { 'f:b': {} } });
    const patched = await h.json('PATCH', `${CM}/cfg?fieldManager=editor`, { data: { a: '3' } }, MERGE);
    // tool keeps the map it created, no longer its key (a member without children encodes as {}).
    expect(entry(patched.body, 'tool', 'Update')!.fieldsV1).toEqual({ 'f:data': {} });
    expect(entry(patched.body, 'editor', 'Update')!.fieldsV1).toEqual({ 'f:data': { 'f:a': {}, 'f:b': {} } });
    // An apply of a field an updater owns conflicts with it.
    const conflict = await apply(`${CM}/cfg`, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: "4"}\n');
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toBe('Apply failed with 1 conflict: conflict with "editor" using v1: .data.a');
  });

  test('status and scale writes are recorded under their subresource; allocated fields stay unowned', async () => {
    const scaled = await h.json('PATCH', `${DEPLOY}/web/scale?fieldManager=scaler`, { spec: { replicas: 6 } }, MERGE);
    expect(scaled.status).toBe(200);
    const dep = (await h.json('GET', `${DEPLOY}/web`)).body;
    expect(entries(dep).find((e) => e.manager === 'scaler')).toMatchObject({
      operation: 'Update', apiVersion: 'apps/v1', subresource: 'scale', fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    });
    const st = await h.json('PUT', `${DEPLOY}/web/status?fieldManager=ctl2`, { ...dep, status: { ...(dep['status'] as object), availableReplicas: 1 } });
    expect(st.status).toBe(200);
    expect(entries(st.body).find((e) => e.manager === 'ctl2')).toMatchObject({ subresource: 'status', fieldsV1: { 'f:status': { 'f:availableReplicas': {} } } });

    const svc = await h.json('POST', '/api/v1/namespaces/default/services?fieldManager=me', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    expect(svc.status).toBe(201);
    expect((svc.body['spec'] as { clusterIP?: string }).clusterIP).toBeTruthy();
    const spec = entry(svc.body, 'me', 'Update')!.fieldsV1['f:spec'] as Record<string, unknown>;
    expect(spec['f:clusterIP']).toBeUndefined();
    expect(spec['f:selector']).toBeDefined();
  });

  test('a binding leaves managedFields alone (upstream binds in storage, past the field manager)', async () => {
    const pods = '/api/v1/namespaces/default/pods';
    const created = await h.json('POST', `${pods}?fieldManager=maker`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    expect(created.status).toBe(201);
    const bound = await h.json('POST', `${pods}/b/binding?fieldManager=sched`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b' }, target: { kind: 'Node', name: 'n1' } });
    expect(bound.status).toBe(201);
    const pod = (await h.json('GET', `${pods}/b`)).body;
    expect((pod['spec'] as { nodeName: string }).nodeName).toBe('n1');
    expect(pod.metadata!.managedFields).toEqual(created.body.metadata!.managedFields);
  });

  test('managedFields: [{}] clears them; the server\'s own writes (bootstrap) record none', async () => {
    const cleared = await h.json('PATCH', `${CM}/cfg`, { metadata: { managedFields: [{}] } }, MERGE);
    expect(cleared.status).toBe(200);
    expect(cleared.body.metadata!.managedFields).toBeUndefined();
    const ns = (await h.json('GET', '/api/v1/namespaces/default')).body;
    expect(ns.metadata!.managedFields).toBeUndefined();
  });
});
