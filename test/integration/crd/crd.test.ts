/**
 * CustomResourceDefinitions against a real API server: a CRD becomes Established and its resource is served
 * (CRUD, selectors, watch, discovery, OpenAPI, tables), schemas validate (422 with field paths), prune and
 * default, CEL rules hold, status and scale subresources, two versions of one kind, name conflicts, and deleting
 * the CRD deletes its instances and its routes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestCluster, eventually, type TestCluster } from '../../support/cluster.js';
import { ApiError } from '../../../src/client/rest.js';
import { CustomResourceDefinitions, type ResourceRef } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { CRONTAB_CRD, WIDGET_CRD } from './fixtures.js';

let c: TestCluster;
const CronTabs: ResourceRef = { group: 'stable.example.com', version: 'v1', plural: 'crontabs', namespaced: true };

interface Cond { type: string; status: string; reason?: string; message?: string }
const conditions = (crd: KubeObject): Cond[] => ((crd['status'] as { conditions?: Cond[] } | undefined)?.conditions ?? []);
const established = async (name: string): Promise<KubeObject> =>
  eventually(`${name} Established`, async () => {
    const crd = await c.client.get(CustomResourceDefinitions, name);
    return conditions(crd).some((x) => x.type === 'Established' && x.status === 'True') && crd;
  }, 5000, 20);

const fail = async (p: Promise<unknown>): Promise<ApiError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
};

const crontab = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) }, spec,
});

beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => {
  await c?.close();
});

describe('a namespaced CRD', () => {
  test('is accepted and established within a second, with upstream conditions', async () => {
    const created = await c.client.create(CustomResourceDefinitions, CRONTAB_CRD);
    expect((created['spec'] as { conversion?: unknown }).conversion).toEqual({ strategy: 'None' });
    expect((created['status'] as { storedVersions?: string[] }).storedVersions).toEqual(['v1']);
    const t0 = Date.now();
    const crd = await established('crontabs.stable.example.com');
    expect(Date.now() - t0).toBeLessThan(1000);
    const byType = Object.fromEntries(conditions(crd).map((x) => [x.type, x]));
    expect(byType['NamesAccepted']).toMatchObject({ status: 'True', reason: 'NoConflicts', message: 'no conflicts found' });
    expect(byType['Established']).toMatchObject({ status: 'True', reason: 'InitialNamesAccepted' });
    expect((crd['status'] as { acceptedNames: unknown }).acceptedNames).toMatchObject({
      plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList', shortNames: ['ct'], categories: ['all'],
    });
  });

  test('CRUD, defaults, pruning with a warning, label and field selectors', async () => {
    const obj = crontab('a', { cronSpec: '* * * * */5', unknownField: 1, extra: { anything: { goes: true } } }, { app: 'x' });
    const created = await c.client.create(CronTabs, obj);
    const spec = created['spec'] as Record<string, unknown>;
    expect(spec['image']).toBe('busybox');
    expect(spec['replicas']).toBe(1);
    expect(spec['unknownField']).toBeUndefined();
    expect(spec['extra']).toEqual({ anything: { goes: true } });
    expect(created.metadata?.generation).toBe(1);
    await c.client.create(CronTabs, crontab('b', { cronSpec: '1 2 3 4 5' }, { app: 'y' }));

    const got = await c.client.get(CronTabs, 'a', 'default');
    expect(got.metadata?.uid).toBe(created.metadata?.uid);
    const byLabel = await c.client.list(CronTabs, { namespace: 'default', labelSelector: 'app=y' });
    expect(byLabel.items.map((i) => i.metadata?.name)).toEqual(['b']);
    const byField = await c.client.list(CronTabs, { fieldSelector: 'metadata.name=a' });
    expect(byField.items.map((i) => i.metadata?.name)).toEqual(['a']);
    expect(byField.kind).toBe('CronTabList');
    const byNs = await c.client.list(CronTabs, { fieldSelector: 'metadata.namespace=kube-system' });
    expect(byNs.items).toEqual([]);
    expect((await fail(c.client.list(CronTabs, { fieldSelector: 'spec.image=x' }))).code).toBe(400);

    const patched = await c.client.patch(CronTabs, 'default', 'a', { spec: { replicas: 3 } }, 'merge');
    expect((patched['spec'] as { replicas: number }).replicas).toBe(3);
    expect(patched.metadata?.generation).toBe(2);
    // A label is metadata: no new generation.
    expect((await c.client.patch(CronTabs, 'default', 'a', { metadata: { labels: { l: '1' } } }, 'merge')).metadata?.generation).toBe(2);
    // Custom resources take no strategic merge patch.
    expect((await fail(c.client.patch(CronTabs, 'default', 'a', { spec: { replicas: 2 } }, 'strategic'))).code).toBe(415);

    const res = await fetch(`${c.url}/apis/stable.example.com/v1/namespaces/default/crontabs?fieldValidation=Warn`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(crontab('c', { cronSpec: '* * * * *', bogus: true })),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('warning')).toContain('unknown field \\"spec.bogus\\"');
    const strict = await fetch(`${c.url}/apis/stable.example.com/v1/namespaces/default/crontabs?fieldValidation=Strict`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(crontab('d', { cronSpec: '* * * * *', bogus: true })),
    });
    expect(strict.status).toBe(400);
    expect(((await strict.json()) as { message: string }).message).toContain('unknown field "spec.bogus"');
    await c.client.delete(CronTabs, 'default', 'c');
  });

  test('invalid objects are 422 Invalid with upstream field paths and messages', async () => {
    const err = await fail(c.client.create(CronTabs, crontab('bad', { cronSpec: 'nope', replicas: 15, color: 'pink', ports: [{ name: 'p', port: 'x' }, { name: 'p' }] })));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    const causes = (err.status?.details?.causes ?? []) as { field: string; message: string; reason: string }[];
    const byField = Object.fromEntries(causes.map((x) => [x.field, x]));
    expect(byField['spec.cronSpec']?.message).toBe(`Invalid value: "nope": spec.cronSpec in body should match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'`);
    expect(byField['spec.replicas']?.message).toBe('Invalid value: 15: spec.replicas in body should be less than or equal to 10');
    expect(byField['spec.color']).toMatchObject({ reason: 'FieldValueNotSupported', message: 'Unsupported value: "pink": supported values: "red", "blue"' });
    expect(byField['spec.ports[0].port']?.message).toBe('Invalid value: "string": spec.ports[0].port in body must be of type integer: "string"');
    expect(byField['spec.ports[1]']).toMatchObject({ reason: 'FieldValueDuplicate', message: 'Duplicate value: map[string]interface {}{"name":"p"}' });
    expect(err.status?.message).toContain('CronTab.stable.example.com "bad" is invalid');

    const missing = await fail(c.client.create(CronTabs, crontab('bad2', {})));
    expect(missing.status?.details?.causes).toEqual([{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.cronSpec' }]);
  });

  test('CEL rules: a false rule is 422 with its message', async () => {
    const err = await fail(c.client.create(CronTabs, crontab('cel', { cronSpec: '* * * * *', replicas: 7 })));
    expect(err.code).toBe(422);
    expect(err.status?.details?.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: "object": busybox runs at most 5 replicas' }]);
    await c.client.create(CronTabs, crontab('cel', { cronSpec: '* * * * *', replicas: 7, image: 'nginx' }));
  });

  test('watch sees ADDED, MODIFIED and DELETED', async () => {
    const list = await c.client.list(CronTabs, { namespace: 'default' });
    const ac = new AbortController();
    const events: string[] = [];
    const done = (async () => {
      for await (const ev of c.client.watch(CronTabs, { namespace: 'default', resourceVersion: list.metadata?.resourceVersion, signal: ac.signal })) {
        events.push(`${ev.type} ${ev.object.metadata?.name}`);
        if (ev.type === 'DELETED') break;
      }
    })();
    await c.client.create(CronTabs, crontab('w', { cronSpec: '* * * * *' }));
    await c.client.patch(CronTabs, 'default', 'w', { metadata: { labels: { x: 'y' } } }, 'merge');
    await c.client.delete(CronTabs, 'default', 'w');
    await done;
    ac.abort();
    expect(events).toEqual(['ADDED w', 'MODIFIED w', 'DELETED w']);
  });

  test('status subresource: the main endpoint ignores status, /status takes only status', async () => {
    const cur = await c.client.get(CronTabs, 'b', 'default');
    const put = await c.client.update(CronTabs, { ...cur, status: { replicas: 9 } });
    expect(put['status']).toBeUndefined();
    const st = await c.client.update(CronTabs, { ...put, spec: { cronSpec: '0 0 0 0 0' }, status: { replicas: 1, labelSelector: 'app=y' } }, { subresource: 'status' });
    expect(st['status']).toEqual({ replicas: 1, labelSelector: 'app=y' });
    expect((st['spec'] as { cronSpec: string }).cronSpec).toBe('1 2 3 4 5');
  });

  test('scale subresource reads and writes the mapped paths', async () => {
    const scale = await c.client.get(CronTabs, 'b', 'default', 'scale');
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 1 }, status: { replicas: 1, selector: 'app=y' } });
    const updated = await c.client.patch(CronTabs, 'default', 'b', { spec: { replicas: 4 } }, 'merge', { subresource: 'scale' });
    expect((updated['spec'] as { replicas: number }).replicas).toBe(4);
    expect(((await c.client.get(CronTabs, 'b', 'default'))['spec'] as { replicas: number }).replicas).toBe(4);
  });

  test('discovery (legacy and aggregated), OpenAPI v2/v3 and Table output', async () => {
    const legacy = await c.client.request<{ resources: { name: string; shortNames?: string[]; categories?: string[]; kind: string; namespaced: boolean }[] }>('GET', '/apis/stable.example.com/v1');
    const main = legacy.resources.find((r) => r.name === 'crontabs');
    expect(main).toMatchObject({ kind: 'CronTab', namespaced: true, shortNames: ['ct'], categories: ['all'] });
    expect(legacy.resources.map((r) => r.name).sort()).toEqual(['crontabs', 'crontabs/scale', 'crontabs/status']);
    const groups = await c.client.request<{ groups: { name: string; preferredVersion: { version: string } }[] }>('GET', '/apis');
    expect(groups.groups.some((g) => g.name === 'stable.example.com')).toBe(true);
    const agg = await fetch(`${c.url}/apis`, { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' } });
    const aggBody = (await agg.json()) as { items: { metadata: { name: string }; versions: { resources: { resource: string }[] }[] }[] };
    expect(aggBody.items.find((i) => i.metadata.name === 'stable.example.com')?.versions[0]?.resources[0]?.resource).toBe('crontabs');

    const v2 = await c.client.request<{ definitions: Record<string, { properties?: Record<string, { description?: string }> }>; paths: Record<string, unknown> }>('GET', '/openapi/v2');
    expect(v2.definitions['com.example.stable.v1.CronTab']?.properties?.['spec']?.description).toBe('The desired schedule.');
    expect(v2.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}']).toBeDefined();
    const index = await c.client.request<{ paths: Record<string, { serverRelativeURL: string }> }>('GET', '/openapi/v3');
    const url = index.paths['apis/stable.example.com/v1']!.serverRelativeURL;
    const v3 = await c.client.request<{ components: { schemas: Record<string, { properties?: Record<string, unknown> }> } }>('GET', url);
    expect(Object.keys(v3.components.schemas['com.example.stable.v1.CronTab']?.properties ?? {})).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

    const table = await fetch(`${c.url}/apis/stable.example.com/v1/namespaces/default/crontabs`, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
    const t = (await table.json()) as { columnDefinitions: { name: string; type: string }[]; rows: { cells: unknown[] }[] };
    expect(t.columnDefinitions.map((d) => `${d.name}:${d.type}`)).toEqual(['Name:string', 'Spec:string', 'Replicas:integer', 'Age:date']);
    const rowB = t.rows.find((r) => r.cells[0] === 'b')!;
    expect(rowB.cells.slice(0, 3)).toEqual(['b', '1 2 3 4 5', 4]);
    expect(rowB.cells[3]).toMatch(/^\d+s$/);
  });

  test('selectableFields allow field selectors on custom fields', async () => {
    await c.client.create(CronTabs, crontab('red', { cronSpec: '* * * * *', color: 'red' }));
    const red = await c.client.list(CronTabs, { namespace: 'default', fieldSelector: 'spec.color=red' });
    expect(red.items.map((i) => i.metadata?.name)).toEqual(['red']);
    const notRed = await c.client.list(CronTabs, { namespace: 'default', fieldSelector: 'spec.color!=red' });
    expect(notRed.items.map((i) => i.metadata?.name)).not.toContain('red');
    const err = await fail(c.client.list(CronTabs, { fieldSelector: 'spec.image=x' }));
    expect(err.status?.message).toBe('field label not supported: spec.image');
  });

  test('server-side apply merges list-map items by key from the CRD schema', async () => {
    const apply = (manager: string, ports: unknown[]) => c.client.patch(CronTabs, 'default', 'ssa',
      { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'ssa', namespace: 'default' }, spec: { cronSpec: '* * * * *', ports } },
      'apply', { fieldManager: manager });
    await fetch(`${c.url}/apis/stable.example.com/v1/namespaces/default/crontabs/ssa?fieldManager=a`, {
      method: 'PATCH', headers: { 'content-type': 'application/apply-patch+yaml' },
      body: JSON.stringify({ apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'ssa' }, spec: { cronSpec: '* * * * *', ports: [{ name: 'http', port: 80 }] } }),
    });
    const out = await apply('b', [{ name: 'https', port: 443 }]);
    const ports = (out['spec'] as { ports: { name: string }[] }).ports.map((p) => p.name).sort();
    expect(ports).toEqual(['http', 'https']);
    expect(out.metadata?.managedFields?.map((m) => m.manager).sort()).toEqual(['a', 'b']);
  });

  test('defaults apply to objects read from storage once the schema has them', async () => {
    await c.client.create(CronTabs, crontab('old', { cronSpec: '* * * * *' }));
    const crd = await c.client.get(CustomResourceDefinitions, 'crontabs.stable.example.com');
    const v = (crd['spec'] as { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } } }[] }).versions[0]!;
    v.schema.openAPIV3Schema.properties.spec.properties['tier'] = { type: 'string', default: 'gold' };
    await c.client.update(CustomResourceDefinitions, crd);
    const got = await eventually('tier defaulted on read', async () => {
      const o = await c.client.get(CronTabs, 'old', 'default');
      return (o['spec'] as { tier?: string }).tier === 'gold' && o;
    }, 3000, 20);
    expect(got.metadata?.resourceVersion).toBeDefined();
    const listed = await c.client.list(CronTabs, { namespace: 'default', fieldSelector: 'metadata.name=old' });
    expect((listed.items[0]!['spec'] as { tier?: string }).tier).toBe('gold');
    // Storage still holds what was written: the default is applied on the way out, as upstream's decoder does.
    const stored = await c.server.engine.store.get('/registry/stable.example.com/crontabs/default/old');
    expect(JSON.parse(Buffer.from(stored.kv!.value).toString()).spec.tier).toBeUndefined();
  });

  test('a CRD update (a new column, a new field) is served at once', async () => {
    const crd = await c.client.get(CustomResourceDefinitions, 'crontabs.stable.example.com');
    const v = (crd['spec'] as { versions: { additionalPrinterColumns: unknown[]; schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } } }[] }).versions[0]!;
    v.additionalPrinterColumns.push({ name: 'Color', type: 'string', jsonPath: '.spec.color', priority: 1 });
    v.schema.openAPIV3Schema.properties.spec.properties['size'] = { type: 'string' };
    await c.client.update(CustomResourceDefinitions, crd);
    await eventually('the new column', async () => {
      const table = await fetch(`${c.url}/apis/stable.example.com/v1/namespaces/default/crontabs/red`, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
      const t = (await table.json()) as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
      return t.columnDefinitions.some((d) => d.name === 'Color') && t.rows[0]!.cells.includes('red');
    }, 3000, 20);
    const made = await c.client.create(CronTabs, crontab('sized', { cronSpec: '* * * * *', size: 'L' }));
    expect((made['spec'] as { size?: string }).size).toBe('L');
  });

  test('deleting a namespace deletes its custom objects', async () => {
    await c.client.create({ group: '', version: 'v1', plural: 'namespaces', namespaced: false }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } });
    await c.client.create(CronTabs, { ...crontab('in-ns', { cronSpec: '* * * * *' }), metadata: { name: 'in-ns', namespace: 'gone' } });
    await c.client.delete({ group: '', version: 'v1', plural: 'namespaces', namespaced: false }, undefined, 'gone');
    await eventually('namespace gone', async () => (await fail(c.client.get({ group: '', version: 'v1', plural: 'namespaces', namespaced: false }, 'gone'))).code === 404, 10_000, 50);
    expect((await c.client.list(CronTabs, { namespace: 'gone' })).items).toEqual([]);
  });

  test('a second CRD of the group that claims a taken short name is not accepted', async () => {
    const other = structuredClone(CRONTAB_CRD);
    other.metadata = { name: 'crontabbers.stable.example.com' };
    const spec = other['spec'] as { names: Record<string, unknown> };
    spec.names = { plural: 'crontabbers', kind: 'CronTabber', shortNames: ['ct'] };
    await c.client.create(CustomResourceDefinitions, other);
    const crd = await eventually('NamesAccepted False', async () => {
      const x = await c.client.get(CustomResourceDefinitions, 'crontabbers.stable.example.com');
      return conditions(x).some((k) => k.type === 'NamesAccepted' && k.status === 'False') && x;
    }, 5000, 20);
    expect(conditions(crd).find((k) => k.type === 'NamesAccepted')).toMatchObject({ reason: 'ShortNamesConflict', message: '"ct" is already in use' });
    expect(conditions(crd).find((k) => k.type === 'Established')).toMatchObject({ status: 'False', reason: 'NotAccepted' });
    await c.client.delete(CustomResourceDefinitions, undefined, 'crontabbers.stable.example.com');
  });

  test('deleting the CRD deletes its instances first, then the CRD and its routes', async () => {
    expect((await c.client.list(CronTabs, {})).items.length).toBeGreaterThan(0);
    const del = await c.client.delete(CustomResourceDefinitions, undefined, 'crontabs.stable.example.com');
    expect(del.metadata?.finalizers).toContain('customresourcecleanup.apiextensions.k8s.io');
    expect(conditions(del).find((k) => k.type === 'Terminating')).toMatchObject({ status: 'True', reason: 'InstanceDeletionPending' });
    await eventually('the CRD gone', async () => (await fail(c.client.get(CustomResourceDefinitions, 'crontabs.stable.example.com'))).code === 404, 5000, 20);
    expect((await fail(c.client.list(CronTabs, {}))).code).toBe(404);
    const groups = await c.client.request<{ groups: { name: string }[] }>('GET', '/apis');
    expect(groups.groups.some((g) => g.name === 'stable.example.com')).toBe(false);
    // Re-created, the kind starts empty: the instances were deleted from storage, not just hidden.
    await c.client.create(CustomResourceDefinitions, CRONTAB_CRD);
    await established('crontabs.stable.example.com');
    expect((await c.client.list(CronTabs, {})).items).toEqual([]);
  });
});

describe('a cluster-scoped CRD with two versions', () => {
  test('objects are stored in the storage version and served in each', async () => {
    await c.client.create(CustomResourceDefinitions, WIDGET_CRD);
    await established('widgets.things.example.org');
    const V1: ResourceRef = { group: 'things.example.org', version: 'v1', plural: 'widgets', namespaced: false };
    const V1B1: ResourceRef = { ...V1, version: 'v1beta1' };
    const made = await c.client.create(V1, { apiVersion: 'things.example.org/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } });
    // Without a status subresource any change outside metadata is a new generation (the schema keeps status).
    expect((await c.client.patch(V1, undefined, 'w1', { status: { seen: true } }, 'merge')).metadata?.generation).toBe(made.metadata!.generation! + 1);
    expect((await c.client.patch(V1, undefined, 'w1', { metadata: { annotations: { a: 'b' } } }, 'merge')).metadata?.generation).toBe(made.metadata!.generation! + 1);
    expect(made.apiVersion).toBe('things.example.org/v1');
    expect((await c.client.get(V1B1, 'w1')).apiVersion).toBe('things.example.org/v1beta1');
    const stored = await c.server.engine.store.get('/registry/things.example.org/widgets/w1');
    expect(JSON.parse(Buffer.from(stored.kv!.value).toString()).apiVersion).toBe('things.example.org/v1beta1');
    const group = await c.client.request<{ preferredVersion: { version: string }; versions: { version: string }[] }>('GET', '/apis/things.example.org');
    expect(group.preferredVersion.version).toBe('v1');
    expect(group.versions.map((v) => v.version)).toEqual(['v1', 'v1beta1']);
    expect((await fail(c.client.create(V1, { apiVersion: 'things.example.org/v1', kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 'big' } }))).code).toBe(422);
    // The deprecated version warns on every request, the other does not.
    const old = await fetch(`${c.url}/apis/things.example.org/v1beta1/widgets`);
    expect(old.headers.get('warning')).toBe('299 - "things.example.org/v1beta1 Widget is deprecated"');
    expect((await fetch(`${c.url}/apis/things.example.org/v1/widgets/w1`)).headers.get('warning')).toBeNull();
    // Watches of either version see the object in their own version.
    const ac = new AbortController();
    for await (const ev of c.client.watch(V1B1, { resourceVersion: '0', signal: ac.signal })) {
      expect(ev.object.apiVersion).toBe('things.example.org/v1beta1');
      break;
    }
    ac.abort();
  });

  test('each version validates and defaults by its own schema', async () => {
    const schema = (size: unknown) => ({ openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: size, mode: { type: 'string', default: 'auto' } } } } } });
    await c.client.create(CustomResourceDefinitions, {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.things.example.org' },
      spec: {
        group: 'things.example.org', scope: 'Cluster', names: { plural: 'gadgets', kind: 'Gadget' },
        versions: [
          { name: 'v1alpha1', served: true, storage: true, schema: schema({ type: 'integer' }) },
          { name: 'v2', served: true, storage: false, schema: schema({ type: 'integer', maximum: 5 }) },
        ],
      },
    });
    await established('gadgets.things.example.org');
    const V2: ResourceRef = { group: 'things.example.org', version: 'v2', plural: 'gadgets', namespaced: false };
    const V1A1: ResourceRef = { ...V2, version: 'v1alpha1' };
    const err = await fail(c.client.create(V2, { apiVersion: 'things.example.org/v2', kind: 'Gadget', metadata: { name: 'g' }, spec: { size: 6 } }));
    expect(err.code).toBe(422);
    expect(err.status?.details?.causes?.[0]?.message).toBe('Invalid value: 6: spec.size in body should be less than or equal to 5');
    expect((await c.client.create(V1A1, { apiVersion: 'things.example.org/v1alpha1', kind: 'Gadget', metadata: { name: 'g' }, spec: { size: 6 } })).apiVersion).toBe('things.example.org/v1alpha1');
    const made = await c.client.create(V2, { apiVersion: 'things.example.org/v2', kind: 'Gadget', metadata: { name: 'h' }, spec: { size: 2 } });
    expect(made['spec']).toEqual({ size: 2, mode: 'auto' });
  });

  test('moving the storage version: old objects read in any version, new ones stored in the new one; storedVersions', async () => {
    const crd = await c.client.get(CustomResourceDefinitions, 'widgets.things.example.org');
    for (const v of (crd['spec'] as { versions: { name: string; storage: boolean }[] }).versions) v.storage = v.name === 'v1';
    await c.client.update(CustomResourceDefinitions, crd);
    const V1: ResourceRef = { group: 'things.example.org', version: 'v1', plural: 'widgets', namespaced: false };
    const made = await eventually('a widget stored as v1', async () => {
      await c.client.create(V1, { apiVersion: 'things.example.org/v1', kind: 'Widget', metadata: { name: 'w3' }, spec: { size: 1 } }).catch(() => undefined);
      const stored = await c.server.engine.store.get('/registry/things.example.org/widgets/w3');
      return stored.kv && JSON.parse(Buffer.from(stored.kv.value).toString()).apiVersion === 'things.example.org/v1';
    }, 3000, 20);
    expect(made).toBe(true);
    // w1 was written as v1beta1 and stays so in storage; every version reads it as its own.
    const stored = await c.server.engine.store.get('/registry/things.example.org/widgets/w1');
    expect(JSON.parse(Buffer.from(stored.kv!.value).toString()).apiVersion).toBe('things.example.org/v1beta1');
    expect((await c.client.get(V1, 'w1')).apiVersion).toBe('things.example.org/v1');
    const after = await eventually('storedVersions', async () => {
      const x = await c.client.get(CustomResourceDefinitions, 'widgets.things.example.org');
      const sv = (x['status'] as { storedVersions: string[] }).storedVersions;
      return sv.length === 2 && sv;
    }, 3000, 20);
    expect(after).toEqual(['v1beta1', 'v1']);
  });
});

describe('a CRD that clashes with a built-in kind', () => {
  test('is never established and the built-in stays served', async () => {
    await c.client.create(CustomResourceDefinitions, {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
      metadata: { name: 'leases.coordination.k8s.io', annotations: { 'api-approved.kubernetes.io': 'unapproved, clash test' } },
      spec: {
        group: 'coordination.k8s.io', scope: 'Namespaced', names: { plural: 'leases', kind: 'Lease' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    });
    const crd = await eventually('names judged', async () => {
      const x = await c.client.get(CustomResourceDefinitions, 'leases.coordination.k8s.io');
      return conditions(x).some((k) => k.type === 'NamesAccepted') && x;
    }, 3000, 20);
    await new Promise((r) => setTimeout(r, 200));
    expect(conditions(await c.client.get(CustomResourceDefinitions, 'leases.coordination.k8s.io')).find((k) => k.type === 'Established')?.status).not.toBe('True');
    expect(crd.metadata?.name).toBe('leases.coordination.k8s.io');
    const leases = await c.client.list({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true }, { namespace: 'kube-system' });
    expect(leases.kind).toBe('LeaseList');
    await c.client.delete(CustomResourceDefinitions, undefined, 'leases.coordination.k8s.io');
    await eventually('clashing CRD gone', async () => (await fail(c.client.get(CustomResourceDefinitions, 'leases.coordination.k8s.io'))).code === 404, 3000, 20);
  });
});

describe('CRD validation', () => {
  test('upstream messages for names, group, versions and schemas', async () => {
    const bad = structuredClone(CRONTAB_CRD);
    bad.metadata = { name: 'wrong' };
    const spec = bad['spec'] as { group: string; versions: { storage: boolean; schema?: unknown }[] };
    spec.group = 'nodot';
    spec.versions[0]!.storage = false;
    delete spec.versions[0]!.schema;
    const err = await fail(c.client.create(CustomResourceDefinitions, bad));
    expect(err.code).toBe(422);
    const msgs = (err.status?.details?.causes ?? []).map((x) => `${x.field}: ${x.message}`);
    expect(msgs).toContain('metadata.name: Invalid value: "wrong": must be spec.names.plural+"."+spec.group');
    expect(msgs).toContain('spec.group: Invalid value: "nodot": should be a domain with at least one dot');
    expect(msgs).toContain('spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required');
    expect(msgs.some((m) => m.startsWith('spec.versions: Invalid value:') && m.endsWith('must have exactly one version marked as storage version'))).toBe(true);

    // A group of the Kubernetes community needs the API approval annotation.
    const k8s = structuredClone(CRONTAB_CRD);
    k8s.metadata = { name: 'crontabs.x.k8s.io' };
    (k8s['spec'] as { group: string }).group = 'x.k8s.io';
    const err3 = await fail(c.client.create(CustomResourceDefinitions, k8s));
    expect(err3.status?.details?.causes).toEqual([{ reason: 'FieldValueRequired', field: 'metadata.annotations[api-approved.kubernetes.io]', message: 'Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111' }]);
    k8s.metadata = { name: 'crontabs.x.k8s.io', annotations: { 'api-approved.kubernetes.io': 'unapproved, testing only' } };
    await c.client.create(CustomResourceDefinitions, k8s);
    await established('crontabs.x.k8s.io');
    await c.client.delete(CustomResourceDefinitions, undefined, 'crontabs.x.k8s.io');

    const nonStructural = structuredClone(CRONTAB_CRD);
    const v = (nonStructural['spec'] as { versions: { schema: { openAPIV3Schema: { properties: Record<string, unknown> } } }[] }).versions[0]!;
    v.schema.openAPIV3Schema.properties['spec'] = { properties: { x: { type: 'string' } } };
    v.schema.openAPIV3Schema.properties['list'] = { type: 'array', items: { type: 'string' }, uniqueItems: true };
    const err2 = await fail(c.client.create(CustomResourceDefinitions, nonStructural));
    expect(err2.code).toBe(422);
    const msgs2 = (err2.status?.details?.causes ?? []).map((x) => `${x.field}: ${x.message}`);
    expect(msgs2).toContain('spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields');
    expect(msgs2).toContain('spec.versions[0].schema.openAPIV3Schema.properties[list].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic');
    expect(msgs2.some((m) => m.includes('x-kubernetes-validations[0].rule'))).toBe(false);
  });
});

describe('a terminating CRD', () => {
  test('refuses new instances while one held by a finalizer waits', async () => {
    const crd = structuredClone(WIDGET_CRD);
    crd.metadata = { name: 'holds.things.example.org' };
    const spec = crd['spec'] as { names: Record<string, unknown> };
    spec.names = { plural: 'holds', kind: 'Hold' };
    await c.client.create(CustomResourceDefinitions, crd);
    await established('holds.things.example.org');
    const Holds: ResourceRef = { group: 'things.example.org', version: 'v1', plural: 'holds', namespaced: false };
    const hold = (name: string, finalizers?: string[]): KubeObject => ({ apiVersion: 'things.example.org/v1', kind: 'Hold', metadata: { name, ...(finalizers ? { finalizers } : {}) } });
    await c.client.create(Holds, hold('kept', ['test.example.org/hold']));
    await c.client.delete(CustomResourceDefinitions, undefined, 'holds.things.example.org');
    const err = await eventually('creates refused', async () => {
      const e = await fail(c.client.create(Holds, hold(`new-${Date.now()}`))).catch(() => undefined);
      return e?.code === 405 && e;
    }, 5000, 20);
    expect(err.status?.message).toBe('create not allowed while custom resource definition is terminating');
    await c.client.patch(Holds, undefined, 'kept', { metadata: { finalizers: null } }, 'merge');
    await eventually('the CRD gone', async () => (await fail(c.client.get(CustomResourceDefinitions, 'holds.things.example.org'))).code === 404, 5000, 20);
  });
});
