/**
 * The scheduler's VolumeBinding against a real API server, the in-process scheduler, simulated nodes and the
 * volume controllers: a pod follows its claim's local volume to its node even when the other node is emptier; a
 * WaitForFirstConsumer claim is pre-bound to the only local volume that fits, on its node; a local-path claim
 * gets the pod's node as selected-node, its volume is pinned there, and the pod, deleted and made again, comes
 * back to that node; refusals carry upstream's FailedScheduling texts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersistentVolumeClaims, PersistentVolumes, Pods, StorageClasses } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { persistentVolumeBinderController } from '../../../src/control/controllers/persistentvolume/controller.js';
import { localPathProvisionerController } from '../../../src/control/controllers/persistentvolume/local-path.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../../src/control/controllers/persistentvolume/types.js';
import { eventually, startSimulatedCluster, type SimulatedCluster } from '../../support/cluster.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { conditions?: { type: string; status: string; message?: string }[] } };

let sim: SimulatedCluster;
let dir: string;
const A = 'vb-0';
const B = 'vb-1';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-vb-'));
  sim = await startSimulatedCluster({
    nodes: { count: 2, namePrefix: 'vb-', cpu: '4', memory: '8Gi' },
    controllers: { available: [persistentVolumeBinderController, localPathProvisionerController], controllers: ['*'], options: { localPathDir: dir } },
  });
  await c().create(StorageClasses, {
    apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-storage' },
    provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer',
  });
  // Node B is busier: LeastAllocated alone would send every pod to A.
  await c().create(Pods, pod('filler-b', [], { nodeName: B, containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '2' } } }] }), { namespace: 'default' });
});
afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const c = () => sim.cluster.client;

function pod(name: string, claims: string[], spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: {
      containers: [{ name: 'c', image: 'busybox' }], terminationGracePeriodSeconds: 0,
      volumes: claims.map((cl, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: cl } })),
      ...spec,
    },
  };
}
const claim = (name: string, cls: string, volumeName?: string): KubeObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' },
  spec: { storageClassName: cls, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(volumeName ? { volumeName } : {}) },
});
const localPV = (name: string, node: string, claimRef?: { namespace: string; name: string }): KubeObject => ({
  apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name },
  spec: {
    capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'local-storage', persistentVolumeReclaimPolicy: 'Retain',
    local: { path: `/mnt/disks/${name}` }, ...(claimRef ? { claimRef } : {}),
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
  },
});

const nodeOf = async (name: string): Promise<string | undefined> => (await c().get<Pod>(Pods, name, 'default')).spec?.nodeName || undefined;
const unschedulableMessage = async (name: string): Promise<string | undefined> =>
  (await c().get<Pod>(Pods, name, 'default')).status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False')?.message;

describe('VolumeBinding', () => {
  it('a pod whose claim is bound to a local volume on B lands on B although A is emptier', async () => {
    await c().create(PersistentVolumes, localPV('pv-bound-b', B, { namespace: 'default', name: 'bound' }));
    await c().create(PersistentVolumeClaims, claim('bound', 'local-storage', 'pv-bound-b'), { namespace: 'default' });
    await eventually('claim bound', async () => (await c().get<PersistentVolumeClaim>(PersistentVolumeClaims, 'bound', 'default')).status?.phase === 'Bound');
    // A control pod without volumes goes to the emptier node A.
    await c().create(Pods, pod('control', []), { namespace: 'default' });
    expect(await eventually('control scheduled', () => nodeOf('control'))).toBe(A);
    await c().create(Pods, pod('follows-volume', ['bound']), { namespace: 'default' });
    expect(await eventually('pod scheduled', () => nodeOf('follows-volume'))).toBe(B);
  });

  it('a WaitForFirstConsumer claim is pre-bound to the local volume that fits, and its pod goes to that volume\'s node', async () => {
    await c().create(PersistentVolumes, localPV('pv-free-b', B));
    await c().create(PersistentVolumeClaims, claim('static', 'local-storage'), { namespace: 'default' });
    await c().create(Pods, pod('static-user', ['static']), { namespace: 'default' });
    expect(await eventually('pod scheduled', () => nodeOf('static-user'))).toBe(B);
    // The pod was bound only after its claim.
    const cl = await c().get<PersistentVolumeClaim>(PersistentVolumeClaims, 'static', 'default');
    expect(cl.spec?.volumeName).toBe('pv-free-b');
    expect(cl.metadata?.annotations?.['pv.kubernetes.io/bind-completed']).toBe('yes');
    const pv = await c().get<PersistentVolume>(PersistentVolumes, 'pv-free-b');
    expect(pv.spec?.claimRef).toMatchObject({ namespace: 'default', name: 'static', uid: cl.metadata?.uid });
  });

  it('a local-path claim gets the pod\'s node as selected-node, its volume is pinned there, and a re-made pod returns to it', async () => {
    await c().create(PersistentVolumeClaims, claim('lp', 'local-path'), { namespace: 'default' });
    await c().create(Pods, pod('lp-user', ['lp']), { namespace: 'default' });
    const first = await eventually('pod scheduled', () => nodeOf('lp-user'));
    const cl = await c().get<PersistentVolumeClaim>(PersistentVolumeClaims, 'lp', 'default');
    expect(cl.metadata?.annotations?.['volume.kubernetes.io/selected-node']).toBe(first);
    expect(cl.status?.phase).toBe('Bound');
    const pv = await c().get<PersistentVolume>(PersistentVolumes, cl.spec!.volumeName!);
    expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]).toEqual({ key: 'kubernetes.io/hostname', operator: 'In', values: [first] });

    await c().delete(Pods, 'default', 'lp-user', { gracePeriodSeconds: 0 });
    await eventually('pod gone', async () => !(await c().list(Pods, { namespace: 'default' })).items.some((p) => p.metadata?.name === 'lp-user'));
    // Make the volume's node the busier one, so only the volume can bring the pod back there.
    await c().create(Pods, pod('filler-lp', [], { nodeName: first, containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '3' } } }] }), { namespace: 'default' });
    await c().create(Pods, pod('lp-user', ['lp']), { namespace: 'default' });
    expect(await eventually('re-made pod scheduled', () => nodeOf('lp-user'))).toBe(first);
  });

  it('refuses with upstream\'s texts: a missing claim, an unbound immediate claim, a volume node affinity conflict', async () => {
    await c().create(Pods, pod('no-claim', ['nope']), { namespace: 'default' });
    expect(await eventually('FailedScheduling', () => unschedulableMessage('no-claim'))).toBe(
      '0/2 nodes are available: persistentvolumeclaim "nope" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
    // The claim appearing requeues the pod (VolumeBinding registers for PVC events) and it schedules.
    await c().create(PersistentVolumeClaims, claim('nope', 'local-path'), { namespace: 'default' });
    await eventually('pod scheduled once its claim exists', () => nodeOf('no-claim'));
    await c().create(StorageClasses, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'never' }, provisioner: 'example.com/none', volumeBindingMode: 'Immediate' });
    await c().create(PersistentVolumeClaims, claim('imm', 'never'), { namespace: 'default' });
    await c().create(Pods, pod('imm-user', ['imm']), { namespace: 'default' });
    expect(await eventually('FailedScheduling', () => unschedulableMessage('imm-user'))).toBe(
      '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
    // The claim is on B; the pod asks for A: A fails NodeAffinity first, B fails VolumeBinding.
    await c().create(Pods, pod('conflict', ['bound'], { nodeSelector: { 'kubernetes.io/hostname': A } }), { namespace: 'default' });
    expect(await eventually('FailedScheduling', () => unschedulableMessage('conflict'))).toBe(
      "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had volume node affinity conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    );
  });
});
