/**
 * persistentvolume-binder against a real API server: a new volume turns Available, a claim binds to the
 * smallest fitting one (claimRef, volumeName, annotations, both statuses Bound), a deleted claim releases a
 * Retain volume and fails a hand-made Delete one (no deleter), a WaitForFirstConsumer claim waits, a bound claim whose volume is gone is Lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersistentVolumeClaims, PersistentVolumes, StorageClasses } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { persistentVolumeBinderController } from '../../../src/control/controllers/persistentvolume/controller.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

const pv = (name: string, size: string, policy = 'Retain', cls = 'manual'): KubeObject => ({
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name },
  spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], storageClassName: cls, persistentVolumeReclaimPolicy: policy, hostPath: { path: `/data/${name}` } },
});
const pvc = (name: string, size: string, cls = 'manual', extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce'], storageClassName: cls, resources: { requests: { storage: size } }, ...extra },
});
const phase = (o: KubeObject) => (o['status'] as { phase?: string } | undefined)?.phase;

describe('persistentvolume-binder', () => {
  let cluster: TestCluster;
  let cm: RunningControllerManager;
  beforeAll(async () => {
    cluster = await startTestCluster();
    cm = await startControllerManager({ client: cluster.newClient(), available: [persistentVolumeBinderController], controllers: ['persistentvolume-binder'], leaderElect: false, onError: () => {} });
    await cm.ready;
  });
  afterAll(async () => {
    await cm?.stop();
    await cluster?.close();
  });
  const c = () => cluster.client;
  const volumeIn = (name: string, want: string) => eventually(`pv ${name} ${want}`, async () => {
    const v = await c().get(PersistentVolumes, name);
    return phase(v) === want ? v : null;
  });

  it('binds a claim to the smallest Available volume that fits', async () => {
    await c().create(PersistentVolumes, pv('pv-5g', '5Gi'));
    await c().create(PersistentVolumes, pv('pv-2g', '2Gi'));
    await volumeIn('pv-5g', 'Available');
    await volumeIn('pv-2g', 'Available');
    await c().create(PersistentVolumeClaims, pvc('data', '1Gi'));
    const claim = await eventually('claim bound', async () => {
      const x = await c().get(PersistentVolumeClaims, 'data', 'default');
      return phase(x) === 'Bound' ? x : null;
    });
    expect(claim['spec']).toMatchObject({ volumeName: 'pv-2g' });
    expect(claim['status']).toMatchObject({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '2Gi' } });
    expect(claim.metadata?.annotations).toMatchObject({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    const vol = await volumeIn('pv-2g', 'Bound');
    expect((vol['spec'] as { claimRef: Record<string, unknown> }).claimRef).toMatchObject({ kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid: claim.metadata?.uid });
    expect(phase(await c().get(PersistentVolumes, 'pv-5g'))).toBe('Available');
  });

  it('a deleted claim releases a Retain volume; a hand-made Delete volume fails with no deleter, as upstream', async () => {
    await c().delete(PersistentVolumeClaims, 'default', 'data');
    await volumeIn('pv-2g', 'Released');
    await c().create(PersistentVolumes, pv('pv-del', '1Gi', 'Delete', 'temp'));
    await c().create(PersistentVolumeClaims, pvc('scratch', '1Gi', 'temp'));
    await volumeIn('pv-del', 'Bound');
    await c().delete(PersistentVolumeClaims, 'default', 'scratch');
    const failed = await volumeIn('pv-del', 'Failed');
    expect((failed['status'] as { message?: string }).message).toBe('error getting deleter volume plugin for volume "pv-del": no deletable volume plugin matched');
  });

  it('WaitForFirstConsumer claims wait for a node; a claim whose volume is gone is Lost', async () => {
    await c().create(StorageClasses, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' });
    await c().create(PersistentVolumes, pv('pv-local', '1Gi', 'Retain', 'local'));
    await c().create(PersistentVolumeClaims, pvc('later', '1Gi', 'local'));
    await volumeIn('pv-local', 'Available');
    await new Promise((r) => setTimeout(r, 300));
    expect(phase(await c().get(PersistentVolumeClaims, 'later', 'default'))).toBe('Pending');
    // What the scheduler's VolumeBinding does once it places a consumer on the volume's node: pre-bind the volume.
    const later = await c().get(PersistentVolumeClaims, 'later', 'default');
    await c().patch(PersistentVolumes, undefined, 'pv-local', { spec: { claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'default', name: 'later', uid: later.metadata?.uid } } }, 'merge');
    await volumeIn('pv-local', 'Bound');

    // A claim naming a volume that does not exist waits for it (Pending); a bound claim whose volume goes is Lost.
    await c().create(PersistentVolumeClaims, pvc('orphan', '1Gi', 'manual', { volumeName: 'no-such-pv' }));
    await c().delete(PersistentVolumes, undefined, 'pv-local');
    const lost = await eventually('claim lost', async () => {
      const x = await c().get(PersistentVolumeClaims, 'later', 'default');
      return phase(x) === 'Lost' ? x : null;
    });
    expect(lost['status']).toEqual({ phase: 'Lost' });
    expect(phase(await c().get(PersistentVolumeClaims, 'orphan', 'default'))).toBe('Pending');
  });

  it('a claim created while no class was default gets the default class once one exists (retroactive assignment)', async () => {
    await c().delete(StorageClasses, undefined, 'local-path');
    await c().create(PersistentVolumeClaims, pvc('classless', '1Gi', 'manual', { storageClassName: undefined }));
    const created = await c().get(PersistentVolumeClaims, 'classless', 'default');
    expect((created['spec'] as { storageClassName?: string }).storageClassName).toBeUndefined();
    await c().create(StorageClasses, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'example.com/fast' });
    const claim = await eventually('class assigned', async () => {
      const x = await c().get(PersistentVolumeClaims, 'classless', 'default');
      return (x['spec'] as { storageClassName?: string }).storageClassName === 'fast' ? x : null;
    });
    // Then provisioning is asked of the class's (external) provisioner, as for any claim of that class.
    await eventually('marked for its provisioner', async () => (await c().get(PersistentVolumeClaims, 'classless', 'default')).metadata?.annotations?.['volume.kubernetes.io/storage-provisioner'] === 'example.com/fast');
    expect(claim.metadata?.name).toBe('classless');
  });
});
