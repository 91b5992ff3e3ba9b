/**
 * What real clients send, through HTTP: `watch=True` (Python) starts a watch, metadata-only lists, gets and
 * watches, Tables in v1 and v1beta1, DeleteOptions in a body, and upstream's 406/400/422 answers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, pod, type Harness } from './harness.js';
import type { KubeObject } from '../../../src/control/api/resource.js';
import { decodeProtobuf } from '../../../src/control/api/content.js';

let h: Harness;
let base = '';
const NS = '/api/v1/namespaces/default';
const PODS = `${NS}/pods`;
const META_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const META = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

beforeAll(async () => {
  h = await startHarness({ bookmarkIntervalMs: 100 });
  await h.server.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = h.server.app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  for (const n of ['a', 'b']) expect((await h.json('POST', PODS, pod(n, {}, { app: 'web' }))).status).toBe(201);
});
afterAll(async () => h.close());

/** Reads a watch until `want` events arrived (or 3 s), then aborts it. */
async function watchEvents(path: string, want: number, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; events: { type: string; object: KubeObject }[] }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 3000);
  const res = await fetch(base + path, { signal: ac.signal, headers });
  const events: { type: string; object: KubeObject }[] = [];
  if (res.status !== 200) {
    clearTimeout(timer);
    return { status: res.status, type: res.headers.get('content-type'), events: [await res.json()] };
  }
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  try {
    while (events.length < want) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
    }
  } catch {
    // aborted at the deadline
  }
  clearTimeout(timer);
  ac.abort();
  return { status: res.status, type: res.headers.get('content-type'), events };
}

describe('watch parameter spellings', () => {
  test.each(['True', 'true', '1', 'yes', ''])('watch=%s streams events', async (v) => {
    const w = await watchEvents(`${PODS}?watch=${v}`, 2);
    expect(w.status).toBe(200);
    expect(w.events.map((e) => `${e.type}:${e.object.metadata?.name}`)).toEqual(['ADDED:a', 'ADDED:b']);
  });

  test.each(['False', 'false', '0', 'FALSE'])('watch=%s lists', async (v) => {
    const res = await h.json<KubeObject>('GET', `${PODS}?watch=${v}`);
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('PodList');
  });

  test('a bad timeoutSeconds is 400 with Go\'s message; a YAML watch is 406', async () => {
    const bad = await h.json('GET', `${PODS}?watch=true&timeoutSeconds=5s`);
    expect(bad).toMatchObject({ status: 400, body: { reason: 'BadRequest', message: 'strconv.ParseInt: parsing "5s": invalid syntax' } });
    const yaml = await h.json('GET', `${PODS}?watch=true`, undefined, { accept: 'application/yaml' });
    expect(yaml).toMatchObject({ status: 406, body: { reason: 'NotAcceptable', message: 'only the following media types are accepted: application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch' } });
  });

  test('timeoutSeconds=1 ends the stream', async () => {
    const start = Date.now();
    const w = await watchEvents(`${PODS}?watch=True&timeoutSeconds=1`, 99);
    expect(w.events).toHaveLength(2);
    expect(Date.now() - start).toBeLessThan(2900);
  });

  test('sendInitialEvents without allowWatchBookmarks is accepted (upstream does not require it)', async () => {
    const w = await watchEvents(`${PODS}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`, 2);
    expect(w.status).toBe(200);
    expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'ADDED']);
  });
});

describe('metadata-only responses', () => {
  test('PartialObjectMetadataList for a list', async () => {
    const res = await h.json<KubeObject>('GET', PODS, undefined, { accept: META_LIST });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: expect.any(String) } });
    const items = res.body['items'] as KubeObject[];
    expect(items.map((i) => [i.kind, i.apiVersion, i.metadata?.name, i.metadata?.labels?.['app']])).toEqual([
      ['PartialObjectMetadata', 'meta.k8s.io/v1', 'a', 'web'], ['PartialObjectMetadata', 'meta.k8s.io/v1', 'b', 'web'],
    ]);
    expect(items[0]!['spec']).toBeUndefined();
  });

  test('PartialObjectMetadata for a get; the list form on a get and the single form on a list are 406', async () => {
    const one = await h.json<KubeObject>('GET', `${PODS}/a`, undefined, { accept: META });
    expect(one.body).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'a' } });
    expect(one.body['spec']).toBeUndefined();
    const wrong = await h.json('GET', `${PODS}/a`, undefined, { accept: META_LIST });
    expect(wrong).toMatchObject({ status: 406, body: { reason: 'NotAcceptable', message: 'you requested PartialObjectMetadataList, but the requested object is not a list (*core.Pod)' } });
    const wrongList = await h.json('GET', '/apis/apps/v1/namespaces/default/deployments', undefined, { accept: META });
    expect(wrongList).toMatchObject({ status: 406, body: { message: 'you requested PartialObjectMetadata, but the requested object is a list (*apps.DeploymentList)' } });
  });

  test('a metadata watch sends PartialObjectMetadata events and bookmarks', async () => {
    const w = await watchEvents(`${PODS}?watch=true&allowWatchBookmarks=true`, 3, { accept: META });
    expect(w.events.slice(0, 2).map((e) => [e.type, e.object.kind, e.object.metadata?.name])).toEqual([
      ['ADDED', 'PartialObjectMetadata', 'a'], ['ADDED', 'PartialObjectMetadata', 'b'],
    ]);
    expect(w.events[0]!.object['spec']).toBeUndefined();
    expect(w.events[2]).toMatchObject({ type: 'BOOKMARK', object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' } });
  });
});

describe('Tables and other formats', () => {
  test('Table v1beta1 and YAML Tables', async () => {
    const t = await h.json<KubeObject>('GET', PODS, undefined, { accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' });
    expect(t.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1beta1' });
    expect((t.body['rows'] as unknown[]).length).toBe(2);
    const y = await h.req('GET', `${PODS}/a`, undefined, { accept: 'application/yaml;as=Table;v=v1;g=meta.k8s.io' });
    expect(y.headers['content-type']).toBe('application/yaml');
    expect(y.body).toContain('kind: Table');
    const badInclude = await h.json('GET', `${PODS}?includeObject=Everything`, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(badInclude).toMatchObject({ status: 400, body: { reason: 'BadRequest', message: expect.stringContaining('Unable to convert to Table as requested: includeObject: Invalid value: "Everything"') } });
  });

  test('protobuf for objects, lists and watches (framed); an unserved type alone is 406', async () => {
    const pb = await h.req('GET', PODS, undefined, { accept: 'application/vnd.kubernetes.protobuf, application/json' });
    expect(pb.statusCode).toBe(200);
    expect(pb.headers['content-type']).toBe('application/vnd.kubernetes.protobuf');
    expect((decodeProtobuf(pb.rawPayload) as KubeObject).kind).toBe('PodList');
    const watch = await h.req('GET', `${PODS}?watch=true&timeoutSeconds=1`, undefined, { accept: 'application/vnd.kubernetes.protobuf, application/json' });
    expect(watch.headers['content-type']).toBe('application/vnd.kubernetes.protobuf;stream=watch');
    const html = await h.json('GET', PODS, undefined, { accept: 'text/html' });
    expect(html).toMatchObject({ status: 406, body: { reason: 'NotAcceptable', message: 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf' } });
  });

  test('pretty=true indents JSON', async () => {
    const res = await h.req('GET', `${PODS}/a?pretty=true`);
    expect(res.body.startsWith('{\n  "')).toBe(true);
    expect(res.body).toContain('\n  "kind": "Pod",\n');
    expect(res.body.endsWith('}\n')).toBe(true);
    expect((await h.req('GET', `${PODS}/a`)).body.startsWith('{"')).toBe(true);
  });

  test('a create answers in the negotiated form (PartialObjectMetadata)', async () => {
    const res = await h.json<KubeObject>('POST', PODS, pod('meta-only'), { accept: META });
    expect(res).toMatchObject({ status: 201, body: { kind: 'PartialObjectMetadata', metadata: { name: 'meta-only' } } });
  });
});

describe('write options', () => {
  test('bad dryRun and fieldValidation are 422 on the options kind', async () => {
    const dry = await h.json('POST', `${PODS}?dryRun=true`, pod('dry'));
    expect(dry).toMatchObject({ status: 422, body: { reason: 'Invalid', message: 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"true"}: supported values: "All"' } });
    const fv = await h.json('PUT', `${PODS}/a?fieldValidation=strict`, pod('a'));
    expect(fv).toMatchObject({ status: 422, body: { message: 'UpdateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"' } });
  });

  test('DeleteOptions: the body wins over the query; both policies set is 422', async () => {
    expect((await h.json('POST', PODS, pod('del'))).status).toBe(201);
    const both = await h.json('DELETE', `${PODS}/del`, { kind: 'DeleteOptions', apiVersion: 'v1', orphanDependents: true, propagationPolicy: 'Background' });
    expect(both).toMatchObject({ status: 422, body: { message: 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Background": orphanDependents and deletionPropagation cannot be both set' } });
    // With a body the query is not read: its bad policy does not matter.
    const ok = await h.json<KubeObject>('DELETE', `${PODS}/del?propagationPolicy=Sometimes`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 });
    expect(ok.status).toBe(200);
    const q = await h.json('DELETE', `${PODS}/b?propagationPolicy=Sometimes`);
    expect(q).toMatchObject({ status: 422, body: { message: 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sometimes": supported values: "Foreground", "Background", "Orphan", "nil"' } });
  });
});
