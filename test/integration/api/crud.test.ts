import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, pod, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const PODS = '/api/v1/namespaces/default/pods';

describe('create, get, update, delete', () => {
  test('create fills uid, creationTimestamp, resourceVersion and answers 201', async () => {
    const res = await h.json('POST', PODS, pod('a'));
    expect(res.status).toBe(201);
    const m = res.body.metadata!;
    expect(m.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(m.resourceVersion)).toBeGreaterThan(0);
    expect(m.namespace).toBe('default');
    expect((res.body['status'] as { phase: string }).phase).toBe('Pending');
    const got = await h.json('GET', `${PODS}/a`);
    expect(got.status).toBe(200);
    expect(got.body.metadata!.uid).toBe(m.uid);
    expect(got.body.metadata!.resourceVersion).toBe(m.resourceVersion);
  });

  test('a second create of the same name is 409 AlreadyExists', async () => {
    const res = await h.json('POST', PODS, pod('a'));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409, message: 'pods "a" already exists', details: { name: 'a', kind: 'pods' } });
  });

  test('generateName appends a 5-character suffix', async () => {
    const res = await h.json('POST', PODS, { ...pod(''), metadata: { generateName: 'web-' } });
    expect(res.status).toBe(201);
    expect(res.body.metadata!.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  test('update with a stale resourceVersion is 409 with upstream message', async () => {
    const cur = (await h.json('GET', `${PODS}/a`)).body;
    const fresh = await h.json('PUT', `${PODS}/a`, { ...cur, metadata: { ...cur.metadata, labels: { x: '1' } } });
    expect(fresh.status).toBe(200);
    expect(Number(fresh.body.metadata!.resourceVersion)).toBeGreaterThan(Number(cur.metadata!.resourceVersion));
    const stale = await h.json('PUT', `${PODS}/a`, { ...cur, metadata: { ...cur.metadata, labels: { x: '2' } } });
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    expect(stale.body.message).toBe(
      'Operation cannot be fulfilled on pods "a": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  test('an update that changes nothing keeps the resourceVersion', async () => {
    const cur = (await h.json('GET', `${PODS}/a`)).body;
    const res = await h.json('PUT', `${PODS}/a`, cur);
    expect(res.status).toBe(200);
    expect(res.body.metadata!.resourceVersion).toBe(cur.metadata!.resourceVersion);
  });

  test('get of a missing object is a NotFound Status', async () => {
    const res = await h.json('GET', `${PODS}/nope`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "nope" not found', reason: 'NotFound',
      details: { name: 'nope', kind: 'pods' }, code: 404,
    });
  });

  test('delete of an unbound pod is immediate and returns the pod', async () => {
    await h.json('POST', PODS, pod('gone'));
    const res = await h.json('DELETE', `${PODS}/gone`);
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('Pod');
    expect((await h.json('GET', `${PODS}/gone`)).status).toBe(404);
  });

  test('delete of a kind without ReturnDeletedObject answers a Success Status', async () => {
    await h.json('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' } });
    const res = await h.json('DELETE', '/api/v1/namespaces/default/configmaps/cm');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'cm', kind: 'configmaps' } });
  });

  test('cluster-scoped create/get/delete at /api/v1/nodes', async () => {
    const res = await h.json('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    expect(res.status).toBe(201);
    expect(res.body.metadata!.namespace).toBeUndefined();
    expect((await h.json('GET', '/api/v1/nodes/n1')).status).toBe(200);
    expect((await h.json('DELETE', '/api/v1/nodes/n1')).status).toBe(200);
  });

  test('delete preconditions: a wrong uid is 409', async () => {
    await h.json('POST', PODS, pod('pre'));
    const res = await h.json('DELETE', `${PODS}/pre`, { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'x' } });
    expect(res.status).toBe(409);
    expect(res.body.message).toContain('Precondition failed: UID in precondition: x');
  });
});

describe('validation and bad input', () => {
  test('422 Invalid with upstream message and causes', async () => {
    const res = await h.json('POST', PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec: { containers: [{ name: 'c' }] } });
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    expect(res.body.message).toBe('Pod "bad" is invalid: spec.containers[0].image: Required value');
    expect(res.body.details).toMatchObject({ name: 'bad', kind: 'Pod', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' }] });
  });

  test('malformed JSON is 400 BadRequest', async () => {
    const res = await h.json('POST', PODS, '{"apiVersion": "v1", ');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
  });

  test('malformed YAML is 400 BadRequest', async () => {
    const res = await h.json('POST', PODS, 'metadata: [unclosed', { 'content-type': 'application/yaml' });
    expect(res.status).toBe(400);
    expect(res.body.reason).toBe('BadRequest');
  });

  test('YAML bodies are accepted', async () => {
    const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: from-yaml\nspec:\n  containers:\n  - name: c\n    image: busybox\n';
    const res = await h.json('POST', PODS, yaml, { 'content-type': 'application/yaml' });
    expect(res.status).toBe(201);
    expect(res.body.metadata!.name).toBe('from-yaml');
  });

  test('kind or apiVersion not matching the path is 400', async () => {
    const a = await h.json('POST', PODS, { ...pod('x'), kind: 'Service' });
    expect(a.status).toBe(400);
    expect(a.body.message).toContain('Service');
    const b = await h.json('POST', PODS, { ...pod('x'), apiVersion: 'apps/v1' });
    expect(b.status).toBe(400);
  });

  test('a body over 3 MiB is 413 RequestEntityTooLarge', async () => {
    const big = JSON.stringify({ ...pod('big'), metadata: { name: 'big', annotations: { a: 'x'.repeat(3 * 1024 * 1024) } } });
    const res = await h.json('POST', PODS, big);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ reason: 'RequestEntityTooLarge', code: 413 });
    expect((await h.json('GET', `${PODS}/big`)).status).toBe(404);
  });

  test('an unknown resource is a 404 NotFound Status', async () => {
    const res = await h.json('GET', '/api/v1/namespaces/default/widgets');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    expect((await h.json('GET', '/apis/nope.io/v1/things')).status).toBe(404);
  });

  test('an unsupported patch type is 415', async () => {
    const res = await h.json('PATCH', `${PODS}/a`, '{}', { 'content-type': 'application/xml' });
    expect(res.status).toBe(415);
    expect(res.body.reason).toBe('UnsupportedMediaType');
  });

  test('a namespace that does not exist is 404 namespaces "x" not found', async () => {
    const res = await h.json('POST', '/api/v1/namespaces/missing/pods', pod('p'));
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('namespaces "missing" not found');
  });

  test('the object namespace must match the path', async () => {
    const res = await h.json('POST', PODS, { ...pod('p'), metadata: { name: 'p', namespace: 'kube-system' } });
    expect(res.status).toBe(400);
  });
});

describe('dryRun', () => {
  test('dryRun=All validates but stores nothing', async () => {
    const ok = await h.json('POST', `${PODS}?dryRun=All`, pod('dry'));
    expect(ok.status).toBe(201);
    expect((await h.json('GET', `${PODS}/dry`)).status).toBe(404);
    const bad = await h.json('POST', `${PODS}?dryRun=All`, { ...pod('dry'), spec: { containers: [{ name: 'c' }] } });
    expect(bad.status).toBe(422);
    const before = (await h.json('GET', `${PODS}/a`)).body;
    const del = await h.json('DELETE', `${PODS}/a?dryRun=All`);
    expect(del.status).toBe(200);
    const after = await h.json('GET', `${PODS}/a`);
    expect(after.body.metadata!.resourceVersion).toBe(before.metadata!.resourceVersion);
  });

  test('a dry-run create over an existing name is 409 AlreadyExists, as the real create', async () => {
    const dup = await h.json('POST', `${PODS}?dryRun=All`, pod('a'));
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', message: 'pods "a" already exists' });
  });
});

describe('namespaces', () => {
  test('creating in a terminating namespace is 403; the namespace goes once empty', async () => {
    expect((await h.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } })).status).toBe(201);
    expect((await h.json('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'c1' }, data: {} })).status).toBe(201);
    // A finalizer keeps the config map (and so the namespace) around until it is removed.
    const fin = await h.json('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    expect(fin.status).toBe(201);
    const del = await h.json('DELETE', '/api/v1/namespaces/doomed');
    expect(del.status).toBe(200);
    expect(del.body.metadata!.deletionTimestamp).toBeTruthy();
    expect((del.body['status'] as { phase: string }).phase).toBe('Terminating');
    const denied = await h.json('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'c2' } });
    expect(denied.status).toBe(403);
    expect(denied.body.reason).toBe('Forbidden');
    expect(denied.body.message).toContain('unable to create new content in namespace doomed because it is being terminated');
    await waitFor(async () => (await h.json('GET', '/api/v1/namespaces/doomed/configmaps/c1')).status === 404);
    const held = await h.json('GET', '/api/v1/namespaces/doomed/configmaps/held');
    expect(held.status).toBe(200);
    expect(held.body.metadata!.deletionTimestamp).toBeTruthy();
    expect((await h.json('GET', '/api/v1/namespaces/doomed')).status).toBe(200);
    const patched = await h.json('PATCH', '/api/v1/namespaces/doomed/configmaps/held', { metadata: { finalizers: null } }, { 'content-type': 'application/merge-patch+json' });
    expect(patched.status).toBe(200);
    await waitFor(async () => (await h.json('GET', '/api/v1/namespaces/doomed')).status === 404);
  });

  test('default may not be deleted', async () => {
    const res = await h.json('DELETE', '/api/v1/namespaces/default');
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('namespaces "default" is forbidden: this namespace may not be deleted');
  });
});

async function waitFor(cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

describe('unknown fields (fieldValidation)', () => {
  const body = () => ({ ...pod('uf'), spec: { containers: [{ name: 'c', image: 'x', bogus: 1 }], foo: 'bar' } });
  test('default Warn: dropped from storage, one Warning header per field', async () => {
    const res = await h.req('POST', PODS, body());
    expect(res.statusCode).toBe(201);
    const warning = res.headers['warning'];
    const list = Array.isArray(warning) ? warning : [warning];
    expect(list).toEqual(['299 - "unknown field \\"spec.containers[0].bogus\\""', '299 - "unknown field \\"spec.foo\\""']);
    const got = (await h.json('GET', `${PODS}/uf`)).body;
    expect((got['spec'] as Record<string, unknown>)['foo']).toBeUndefined();
    expect(got.metadata!.labels).toEqual({});
  });
  test('Strict: 400 strict decoding error', async () => {
    const res = await h.json('POST', `${PODS}?fieldValidation=Strict`, { ...body(), metadata: { name: 'uf2' } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('strict decoding error: unknown field "spec.containers[0].bogus", unknown field "spec.foo"');
  });
  test('Ignore: dropped silently; maps and labels are never pruned', async () => {
    const res = await h.req('POST', `/api/v1/namespaces/default/configmaps?fieldValidation=Ignore`, { metadata: { name: 'ufcm', labels: { any: 'thing' } }, data: { k: 'v' }, extra: 1 });
    expect(res.statusCode).toBe(201);
    expect(res.headers['warning']).toBeUndefined();
    const cm = JSON.parse(res.body);
    expect(cm.data).toEqual({ k: 'v' });
    expect(cm.metadata.labels).toEqual({ any: 'thing' });
    expect(cm.extra).toBeUndefined();
  });
});

describe('odd requests', () => {
  test('POST to a named object is 405; a malformed path escape is 400; PUT on a collection is 405', async () => {
    expect((await h.json('POST', `${PODS}/a`, pod('a'))).status).toBe(405);
    expect((await h.json('GET', `${PODS}/%E0%A4%A`)).status).toBe(400);
    expect((await h.json('PUT', PODS, pod('a'))).status).toBe(405);
    expect((await h.json('POST', '/api/v1/pods', pod('a'))).status).toBe(405);
    expect((await h.json('GET', '/api/v1/pods/a')).status).toBe(404);
  });
  test('a path with escapes decodes them; a Content-Type with parameters, repeated, reads the body each time', async () => {
    const got = await h.json('GET', `${PODS}/%61`);
    expect(got.status).toBe(200);
    expect(got.body.metadata!.name).toBe('a');
    // fastify remembers the parser of a header it has seen: the second request of each type takes that path.
    for (let i = 0; i < 2; i++) {
      const created = await h.json('POST', PODS, pod(`charset-${i}`), { 'content-type': 'application/json; charset=utf-8' });
      expect(created.status).toBe(201);
      expect(created.body.metadata!.name).toBe(`charset-${i}`);
      const patched = await h.json('PATCH', `${PODS}/charset-${i}`, { metadata: { labels: { n: String(i) } } }, { 'content-type': 'application/merge-patch+json' });
      expect(patched.status).toBe(200);
      expect(patched.body.metadata!.labels).toEqual({ n: String(i) });
      const big = JSON.stringify({ ...pod('big'), metadata: { name: 'big', annotations: { a: 'x'.repeat(3 * 1024 * 1024) } } });
      const tooBig = await h.json('POST', PODS, big, { 'content-type': 'application/json; charset=utf-8' });
      expect(tooBig.status).toBe(413);
      const xml = await h.json('PATCH', `${PODS}/a`, '{}', { 'content-type': 'application/xml' });
      expect(xml.status).toBe(415);
    }
  });
  // Bodies as kubectl v1.32 sends them for `create namespace protons` and `create secret generic psec --from-literal=a=b`.
  const NS_PB = '6b3873000a0f0a02763112094e616d657370616365121f0a170a0770726f746f6e7312001a0022002a0032003800420012001a020a001a002200';
  const SECRET_PB = '6b3873000a0c0a027631120653656372657412260a140a047073656312001a0022002a0032003800420012060a01611201621a064f70617175651a002200';
  test('kubectl protobuf bodies for namespaces and secrets decode as their JSON', async () => {
    const ns = await h.json('POST', '/api/v1/namespaces', Buffer.from(NS_PB, 'hex'), { 'content-type': 'application/vnd.kubernetes.protobuf' });
    expect(ns.status).toBe(201);
    expect(ns.body.metadata!.name).toBe('protons');
    expect(ns.body.metadata!.generateName).toBeUndefined();
    expect(ns.body['spec']).toEqual({ finalizers: ['kubernetes'] });
    const sec = await h.json('POST', PODS.replace('pods', 'secrets'), Buffer.from(SECRET_PB, 'hex'), { 'content-type': 'application/vnd.kubernetes.protobuf' });
    expect(sec.status).toBe(201);
    expect(sec.body).toMatchObject({ kind: 'Secret', metadata: { name: 'psec' }, data: { a: Buffer.from('b').toString('base64') }, type: 'Opaque' });
  });
  test('protobuf label maps and resource quantities decode as their JSON', async () => {
    // Length-delimited fields only, as gogo-protobuf writes these messages.
    const varint = (n: number): Buffer => {
      const out: number[] = [];
      for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n & 0x7f) | 0x80);
      out.push(n);
      return Buffer.from(out);
    };
    const f = (num: number, ...parts: (Buffer | string)[]): Buffer => {
      const payload = Buffer.concat(parts.map((x) => (typeof x === 'string' ? Buffer.from(x) : x)));
      return Buffer.concat([varint(num * 8 + 2), varint(payload.length), payload]);
    };
    const entry = (num: number, key: string, value: Buffer | string): Buffer => f(num, f(1, key), f(2, value));
    const quantity = (text: string): Buffer => f(1, text);
    const container = f(2, f(1, 'c'), f(2, 'nginx'), f(8, entry(1, 'cpu', quantity('500m')), entry(2, 'memory', quantity('64Mi'))));
    // metadata.name; spec.selector.matchLabels; spec.template.metadata.labels and spec.template.spec.containers
    const deployment = Buffer.concat([f(1, f(1, 'pb-web')), f(2, f(2, entry(1, 'app', 'web')), f(3, f(1, entry(11, 'app', 'web')), f(2, container)))]);
    const body = Buffer.concat([Buffer.from('k8s\u0000', 'latin1'), f(1, f(1, 'apps/v1'), f(2, 'Deployment')), f(2, deployment)]);
    const res = await h.json('POST', '/apis/apps/v1/namespaces/default/deployments', body, { 'content-type': 'application/vnd.kubernetes.protobuf' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      metadata: { name: 'pb-web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { limits: { cpu: '500m' }, requests: { memory: '64Mi' } } }] } },
      },
    });
  });
  test('protobuf bodies of kinds without a wire form are 415 with a hint', async () => {
    const res = await h.json('POST', '/api/v1/namespaces', Buffer.from('k8s\u0000'), { 'content-type': 'application/vnd.kubernetes.protobuf' });
    expect(res.status).toBe(415);
    expect(res.body.message).toContain('no protobuf wire form known here for an unnamed kind');
  });
  test('namespaces have no deletecollection', async () => {
    const res = await h.json('DELETE', '/api/v1/namespaces');
    expect(res.status).toBe(405);
    expect(res.body.reason).toBe('MethodNotAllowed');
  });
});

describe('write responses', () => {
  test('create, update, patch and status update answer with the object as stored (what a GET then returns)', async () => {
    // Body fields in an unusual order: the response comes from the stored layout, not from the request's shape.
    const created = await h.req('POST', PODS, { spec: { containers: [{ name: 'c', image: 'busybox' }] }, metadata: { name: 'wr', labels: { a: '1' } }, kind: 'Pod', apiVersion: 'v1' });
    expect(created.statusCode).toBe(201);
    expect(created.headers['content-type']).toMatch(/^application\/json/);
    expect(created.body.startsWith('{"apiVersion":"v1","kind":"Pod","metadata":{')).toBe(true);
    const afterCreate = (await h.json('GET', `${PODS}/wr`)).body;
    expect(JSON.parse(created.body)).toEqual(afterCreate);

    const updated = await h.req('PUT', `${PODS}/wr`, { ...afterCreate, metadata: { ...afterCreate.metadata, labels: { a: '2' } } });
    expect(updated.statusCode).toBe(200);
    const afterUpdate = (await h.json('GET', `${PODS}/wr`)).body;
    expect(JSON.parse(updated.body)).toEqual(afterUpdate);
    expect(afterUpdate.metadata!.resourceVersion).not.toBe(afterCreate.metadata!.resourceVersion);

    const patched = await h.req('PATCH', `${PODS}/wr`, { metadata: { labels: { b: '3' } } }, { 'content-type': 'application/merge-patch+json' });
    expect(patched.statusCode).toBe(200);
    const afterPatch = (await h.json('GET', `${PODS}/wr`)).body;
    expect(JSON.parse(patched.body)).toEqual(afterPatch);
    expect(afterPatch.metadata!.labels).toEqual({ a: '2', b: '3' });

    const status = await h.req('PUT', `${PODS}/wr/status`, { ...afterPatch, status: { phase: 'Running' } });
    expect(status.statusCode).toBe(200);
    const afterStatus = (await h.json('GET', `${PODS}/wr`)).body;
    expect(JSON.parse(status.body)).toEqual(afterStatus);
    expect((afterStatus['status'] as { phase: string }).phase).toBe('Running');
  });

  test('a write that changes nothing answers with the current object', async () => {
    const cur = (await h.json('GET', `${PODS}/wr`)).body;
    const res = await h.req('PUT', `${PODS}/wr`, cur);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual(cur);
  });
});
