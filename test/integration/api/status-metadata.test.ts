/**
 * Writes through /status keep the metadata changes upstream's status strategies keep: labels, annotations,
 * finalizers and ownerReferences for most built-in kinds; a Deployment's labels stay; the spec never changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceRef } from '../../../src/client/resources.js';
import { Deployments } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/control/api/resource.js';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';

const Ingresses: ResourceRef = { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', namespaced: true };

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => {
  await c.close();
});

describe('metadata through /status', () => {
  it('an Ingress status patch applies its annotation and status, not its spec (conformance: Ingress API)', async () => {
    await c.client.create(Ingresses, {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
      metadata: { name: 'ing', namespace: 'default', labels: { a: '1' } },
      spec: { defaultBackend: { service: { name: 'svc', port: { number: 80 } } } },
    });
    const out = await c.client.patch<KubeObject>(Ingresses, 'default', 'ing', {
      metadata: { annotations: { patchedstatus: 'true' }, labels: { b: '2' } },
      spec: { defaultBackend: { service: { name: 'other', port: { number: 81 } } } },
      status: { loadBalancer: { ingress: [{ ip: '169.1.1.1' }] } },
    }, 'merge', { subresource: 'status' });
    expect(out.metadata?.annotations).toEqual({ patchedstatus: 'true' });
    expect(out.metadata?.labels).toEqual({ a: '1', b: '2' });
    expect(out['status']).toEqual({ loadBalancer: { ingress: [{ ip: '169.1.1.1' }] } });
    expect((out['spec'] as { defaultBackend: { service: { name: string } } }).defaultBackend.service.name).toBe('svc');
    const stored = await c.client.get<KubeObject>(Ingresses, 'ing', 'default');
    expect(stored.metadata?.annotations).toEqual({ patchedstatus: 'true' });
  });

  it("a Deployment's status update keeps its labels but takes annotations and finalizers", async () => {
    const d = await c.client.create<KubeObject>(Deployments, {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'd', namespace: 'default', labels: { app: 'd' } },
      spec: { replicas: 1, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    const body: KubeObject = {
      ...d,
      metadata: { ...d.metadata, labels: { app: 'changed' }, annotations: { note: 'x' }, finalizers: ['example.com/keep'] },
      status: { replicas: 0, observedGeneration: 1 },
    };
    const out = await c.client.update<KubeObject>(Deployments, body, { subresource: 'status' });
    expect(out.metadata?.labels).toEqual({ app: 'd' });
    expect(out.metadata?.annotations).toEqual({ note: 'x' });
    expect(out.metadata?.finalizers).toEqual(['example.com/keep']);
    // Let the namespace's objects go: drop the finalizer again through /status.
    const cleared = await c.client.update<KubeObject>(Deployments, { ...out, metadata: { ...out.metadata, finalizers: [] } }, { subresource: 'status' });
    expect(cleared.metadata?.finalizers ?? []).toEqual([]);
  });
});
