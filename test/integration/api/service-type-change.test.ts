/**
 * Changing a Service's type as an older client does (conformance: "Services should be able to change the type
 * from ClusterIP|NodePort to ExternalName"): the client clears clusterIP only and leaves clusterIPs, nodePorts and
 * externalTrafficPolicy as they were; upstream's update drops what the new type cannot have.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Services } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/control/api/resource.js';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';

type Spec = Record<string, unknown> & { ports: Array<Record<string, unknown>> };

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => {
  await c.close();
});

async function createService(name: string, type: string): Promise<KubeObject> {
  return c.client.create<KubeObject>(Services, {
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' },
    spec: { type, selector: { app: name }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
  });
}

describe('Service type changes from an old client', () => {
  it('ClusterIP → ExternalName with clusterIP and clusterIPs left as they were (what e2e 1.20 sends)', async () => {
    const svc = await createService('cip', 'ClusterIP');
    const spec = svc['spec'] as Spec;
    expect(spec['clusterIPs']).toEqual([spec['clusterIP']]);
    const out = await c.client.update<KubeObject>(Services, { ...svc, spec: { ...spec, type: 'ExternalName', externalName: 'foo.example.com' } });
    const s = out['spec'] as Spec;
    expect(s['type']).toBe('ExternalName');
    expect(s['clusterIP']).toBeUndefined();
    expect(s['clusterIPs']).toBeUndefined();
    expect(s['ipFamilies']).toBeUndefined();
    expect(s['ipFamilyPolicy']).toBeUndefined();
  });

  it('ClusterIP → ExternalName with only clusterIP cleared clears clusterIPs too', async () => {
    const svc = await createService('cleared', 'ClusterIP');
    const out = await c.client.update<KubeObject>(Services, { ...svc, spec: { ...(svc['spec'] as Spec), type: 'ExternalName', externalName: 'foo.example.com', clusterIP: '' } });
    const s = out['spec'] as Spec;
    expect(s['clusterIP']).toBeUndefined();
    expect(s['clusterIPs']).toBeUndefined();
  });

  it('NodePort → ExternalName drops nodePorts and externalTrafficPolicy left unchanged', async () => {
    const svc = await createService('np', 'NodePort');
    const spec = svc['spec'] as Spec;
    expect(spec['externalTrafficPolicy']).toBe('Cluster');
    expect(spec.ports[0]!['nodePort']).toBeGreaterThan(0);
    const out = await c.client.update<KubeObject>(Services, { ...svc, spec: { ...spec, type: 'ExternalName', externalName: 'foo.example.com' } });
    const s = out['spec'] as Spec;
    expect(s['externalTrafficPolicy']).toBeUndefined();
    expect(s.ports[0]!['nodePort']).toBeUndefined();
    expect(s['clusterIPs']).toBeUndefined();
  });

  it('a changed clusterIPs is the client\'s own: still refused for ExternalName', async () => {
    const svc = await createService('keep', 'ClusterIP');
    const spec = svc['spec'] as Spec;
    const err = await c.client.update<KubeObject>(Services, { ...svc, spec: { ...spec, type: 'ExternalName', externalName: 'foo.example.com', clusterIPs: ['10.96.0.99'] } }).catch((e: unknown) => e);
    expect(err, JSON.stringify((err as KubeObject)['spec'])).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/clusterIPs/);
  });

  it('an update that omits clusterIPs but keeps clusterIP keeps the allocated clusterIPs', async () => {
    const svc = await createService('omit', 'ClusterIP');
    const spec = svc['spec'] as Spec;
    const { clusterIPs: _dropped, ...rest } = spec;
    const out = await c.client.update<KubeObject>(Services, { ...svc, metadata: { ...svc.metadata, labels: { x: 'y' } }, spec: rest });
    expect((out['spec'] as Spec)['clusterIPs']).toEqual([spec['clusterIP']]);
  });
});
