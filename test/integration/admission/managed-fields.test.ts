/**
 * A create's managedFields record what the client sent (after defaulting), not what mutating admission added, as
 * upstream's create handler runs the field manager before admission and the store's PrepareForCreate: the
 * ServiceAccount plugin's token volume and its volumeMounts, and DefaultTolerationSeconds' tolerations, are in the
 * stored pod but owned by no manager.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';
import { newSigningKey } from '../../../src/control/api/serviceaccount/key.js';
import { Namespaces, Pods, ServiceAccounts } from '../../../src/client/resources.js';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster({ metrics: false, serviceAccounts: { key: newSigningKey('ec'), admission: true } });
  await c.client.create(Namespaces, { metadata: { name: 'mf' } });
  await c.client.create(ServiceAccounts, { metadata: { name: 'default', namespace: 'mf' } });
});
afterAll(async () => c?.close());

describe('managedFields of a create', () => {
  it('leave the fields mutating admission added unowned', async () => {
    const pod = await c.client.create(Pods, { metadata: { name: 'p', namespace: 'mf' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const spec = pod['spec'] as { volumes?: { name: string }[]; containers: { volumeMounts?: unknown[] }[] };
    expect(spec.volumes?.map((v) => v.name)[0]).toMatch(/^kube-api-access-/);
    expect(spec.containers[0]!.volumeMounts).toHaveLength(1);
    const entries = pod.metadata?.managedFields ?? [];
    expect(entries).toHaveLength(1);
    const fields = entries[0]!.fieldsV1 as { 'f:spec': Record<string, Record<string, Record<string, unknown>>> };
    // The client's container and the defaults applied to it are owned…
    const container = fields['f:spec']['f:containers']!['k:{"name":"c"}']!;
    expect(container).toHaveProperty('f:image');
    expect(container).toHaveProperty('f:imagePullPolicy');
    // …the admission plugin's volume and mount are not.
    expect(container).not.toHaveProperty('f:volumeMounts');
    expect(fields['f:spec']).not.toHaveProperty('f:volumes');
    expect(fields['f:spec']).not.toHaveProperty('f:serviceAccountName');
    // DefaultTolerationSeconds' two tolerations are stored, unowned.
    const tolerations = (pod['spec'] as { tolerations?: { key: string }[] }).tolerations ?? [];
    expect(tolerations.map((t) => t.key)).toEqual(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);
    expect(fields['f:spec']).not.toHaveProperty('f:tolerations');
  });

  it('own the tolerations the client sent', async () => {
    const pod = await c.client.create(Pods, {
      metadata: { name: 'tolerant', namespace: 'mf' },
      spec: { containers: [{ name: 'c', image: 'busybox' }], tolerations: [{ key: 'dedicated', operator: 'Exists' }] },
    });
    const fields = pod.metadata!.managedFields![0]!.fieldsV1 as { 'f:spec': Record<string, unknown> };
    expect(fields['f:spec']).toHaveProperty('f:tolerations');
    expect((pod['spec'] as { tolerations: unknown[] }).tolerations).toHaveLength(3);
  });
});
