import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, deployment, type Harness } from './harness.js';
import type { KubeObject } from '../../../src/control/api/resource.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const withReplicas = (name: string, replicas: unknown): KubeObject => {
  const d = deployment(name);
  return { ...d, spec: { ...(d['spec'] as object), replicas } };
};
const badRequest = (message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400, message });

describe('bodies that do not decode into the kind are 400 BadRequest', () => {
  test('create with replicas "three"', async () => {
    const res = await h.json('POST', DEPLOYMENTS, withReplicas('three', 'three'));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject(
      badRequest('Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32'),
    );
    expect((await h.json('GET', `${DEPLOYMENTS}/three`)).status).toBe(404);
  });

  test('create with replicas beyond int32', async () => {
    const res = await h.json('POST', DEPLOYMENTS, withReplicas('big', 99999999999));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject(
      badRequest('Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 99999999999 into Go struct field DeploymentSpec.spec.replicas of type int32'),
    );
    expect((await h.json('GET', `${DEPLOYMENTS}/big`)).status).toBe(404);
  });

  test('a YAML body is checked the same way', async () => {
    const yaml = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: y\nspec:\n  replicas: 2.5\n';
    const res = await h.json('POST', DEPLOYMENTS, yaml, { 'content-type': 'application/yaml' });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 2.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
  });

  test('a valid body still creates, and a PUT with a bad type leaves it unchanged', async () => {
    const created = await h.json('POST', DEPLOYMENTS, withReplicas('ok', 3));
    expect(created.status).toBe(201);
    expect((created.body['spec'] as { replicas: number }).replicas).toBe(3);

    const cur = created.body;
    const put = await h.json('PUT', `${DEPLOYMENTS}/ok`, { ...cur, spec: { ...(cur['spec'] as object), replicas: 'three' } });
    expect(put.status).toBe(400);
    expect(put.body).toMatchObject(
      badRequest('Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32'),
    );
    const after = await h.json('GET', `${DEPLOYMENTS}/ok`);
    expect((after.body['spec'] as { replicas: number }).replicas).toBe(3);
    expect(after.body.metadata!.resourceVersion).toBe(cur.metadata!.resourceVersion);

    const good = await h.json('PUT', `${DEPLOYMENTS}/ok`, { ...cur, spec: { ...(cur['spec'] as object), replicas: 4 } });
    expect(good.status).toBe(200);
    expect((good.body['spec'] as { replicas: number }).replicas).toBe(4);
  });

  test('PUT on /scale decodes an autoscaling/v1 Scale', async () => {
    const scale = await h.json('GET', `${DEPLOYMENTS}/ok/scale`);
    expect(scale.status).toBe(200);
    const res = await h.json('PUT', `${DEPLOYMENTS}/ok/scale`, { ...scale.body, spec: { replicas: '5' } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(
      'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into Go struct field ScaleSpec.spec.replicas of type int32',
    );
  });

  test('a kind mismatch is still reported as such, not as a type error', async () => {
    const res = await h.json('POST', DEPLOYMENTS, { ...withReplicas('k', 'three'), kind: 'ReplicaSet' });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('the kind in the data (ReplicaSet) does not match the expected kind (Deployment)');
  });
});
