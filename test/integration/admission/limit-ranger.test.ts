import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';
import { ApiError } from '../../../src/client/rest.js';
import { LimitRanges, Namespaces, PersistentVolumeClaims, Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
  await cluster.client.create(Namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'limited' } });
  await cluster.client.create(LimitRanges, {
    apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr' },
    spec: { limits: [
      { type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' }, max: { cpu: '1' } },
      { type: 'PersistentVolumeClaim', max: { storage: '5Gi' } },
    ] },
  }, { namespace: 'limited' });
});

afterAll(async () => {
  await cluster?.close();
});

const message = async (p: Promise<unknown>): Promise<string | undefined> => p.then(() => 'created', (err: unknown) => (err instanceof ApiError ? `${err.code} ${err.status?.message}` : String(err)));

describe('LimitRanger', () => {
  test('a pod created without resources gets the defaults and the annotation', async () => {
    const p = await cluster.client.create<KubeObject>(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'x' }] } }, { namespace: 'limited' });
    const spec = p['spec'] as { containers: Array<{ resources: object }> };
    // memory's request comes from its limit (the LimitRange's own defaulting: defaultRequest defaults to default).
    expect(spec.containers[0]!.resources).toEqual({ limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '256Mi' } });
    expect(p.metadata?.annotations?.['kubernetes.io/limit-ranger']).toBe('LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app');
  });

  test('over the max is 403 in upstream\'s words, for pods and claims', async () => {
    expect(await message(cluster.client.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'big' }, spec: { containers: [{ name: 'app', image: 'x', resources: { limits: { cpu: '2' } } }] } }, { namespace: 'limited' })))
      .toBe('403 pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
    expect(await message(cluster.client.create(PersistentVolumeClaims, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } }, { namespace: 'limited' })))
      .toBe('403 persistentvolumeclaims "c" is forbidden: maximum storage usage per PersistentVolumeClaim is 5Gi, but request is 10Gi');
  });
});
