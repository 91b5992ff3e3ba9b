/**
 * The create-only review kinds (access reviews, TokenReview, SelfSubjectReview) have no TableConvertor upstream:
 * asking for a Table is 406 NotAcceptable (conformance: "Servers with support for Table transformation should
 * return a 406 for a backend which does not implement metadata"), while JSON keeps working.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';

let c: TestCluster;
beforeAll(async () => { c = await startTestCluster(); });
afterAll(async () => c.close());

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const SSAR = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { nonResourceAttributes: { path: '/', verb: 'get' } } };

async function post(path: string, body: unknown, accept?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(c.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('create-only reviews and Table output', () => {
  test('a SelfSubjectAccessReview asked for as a Table is 406 in upstream words', async () => {
    const r = await post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', SSAR, TABLE);
    expect(r.status).toBe(406);
    expect(r.body).toMatchObject({
      kind: 'Status', reason: 'NotAcceptable', code: 406,
      message: 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    });
  });

  test('406 comes before the body is looked at (an invalid review is still 406)', async () => {
    const r = await post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { ...SSAR, spec: {} }, TABLE);
    expect(r.status).toBe(406);
  });

  test('the other review kinds answer a Table request with 406 too', async () => {
    const sar = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'u', nonResourceAttributes: { path: '/', verb: 'get' } } };
    expect((await post('/apis/authorization.k8s.io/v1/subjectaccessreviews', sar, TABLE)).status).toBe(406);
    expect((await post('/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { spec: { namespace: 'default' } }, TABLE)).status).toBe(406);
    expect((await post('/apis/authentication.k8s.io/v1/tokenreviews', { spec: { token: 'x' } }, TABLE)).status).toBe(406);
    expect((await post('/apis/authentication.k8s.io/v1/selfsubjectreviews', {}, TABLE)).status).toBe(406);
  });

  test('JSON (or a Table with a JSON fallback) is still answered with the review', async () => {
    for (const accept of [undefined, 'application/json', `${TABLE},application/json`]) {
      const r = await post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', SSAR, accept);
      expect(r.status).toBe(201);
      expect(r.body['kind']).toBe('SelfSubjectAccessReview');
      expect(r.body['status']).toHaveProperty('allowed');
    }
  });
});
