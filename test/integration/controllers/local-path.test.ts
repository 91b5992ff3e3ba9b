/**
 * Dynamic provisioning end to end on simulated nodes: a claim of the default class (filled in by the
 * DefaultStorageClass admission step) waits for its first consumer, the pod's node becomes the claim's
 * selected-node, the local-path provisioner makes a hostPath volume pinned to that node, the binder binds both;
 * a claim in use is held (pvc-protection) until its pod goes, then the volume and its directory are deleted. `kubectl get pvc,pv` prints upstream's columns.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNotFound } from '../../../src/client/rest.js';
import { Events, PersistentVolumeClaims, PersistentVolumes, Pods, StorageClasses } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { persistentVolumeBinderController } from '../../../src/control/controllers/persistentvolume/controller.js';
import { localPathProvisionerController } from '../../../src/control/controllers/persistentvolume/local-path.js';
import { pvcProtectionController, pvProtectionController } from '../../../src/control/controllers/persistentvolume/protection.js';
import { ephemeralVolumeController } from '../../../src/control/controllers/persistentvolume/ephemeral.js';
import { garbageCollectorController } from '../../../src/control/controllers/garbage-collector/controller.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../../src/control/controllers/persistentvolume/types.js';
import { commandPath } from '../../setup/commands.js';
import { eventually, startSimulatedCluster, type SimulatedCluster } from '../../support/cluster.js';

const run = promisify(execFile);
const KUBECTL = commandPath('kubectl');
let sim: SimulatedCluster;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-local-path-'));
  sim = await startSimulatedCluster({
    nodes: { count: 2, namePrefix: 'lp-', cpu: '4', memory: '8Gi' },
    controllers: {
      available: [persistentVolumeBinderController, localPathProvisionerController, pvcProtectionController, pvProtectionController, ephemeralVolumeController, garbageCollectorController],
      controllers: ['*'],
      options: { localPathDir: dir },
    },
  });
});
afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const c = () => sim.cluster.client;
const claimObj = (name: string): KubeObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
});
const podObj = (name: string, claim: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }], terminationGracePeriodSeconds: 0 },
});
async function gone(ref: typeof PersistentVolumes, name: string, ns?: string): Promise<boolean> {
  try {
    await c().get(ref, name, ns);
    return false;
  } catch (err) {
    return isNotFound(err);
  }
}
async function reasons(name: string): Promise<string[]> {
  const evs = await c().list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>(Events, { namespace: 'default' });
  return evs.items.filter((e) => e.involvedObject?.name === name).map((e) => e.reason ?? '');
}

describe('local-path provisioning', () => {
  it('the bootstrapped default class fills in a claim without one', async () => {
    const sc = await c().get(StorageClasses, 'local-path');
    expect(sc).toMatchObject({ provisioner: 'skiff.dev/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer', metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } });
    const created = await c().create<PersistentVolumeClaim>(PersistentVolumeClaims, claimObj('data'), { namespace: 'default' });
    expect(created.spec?.storageClassName).toBe('local-path');
  });

  it('a claim waits for its first consumer, then binds to a volume on the consumer\'s node', async () => {
    await eventually('WaitForFirstConsumer event', async () => (await reasons('data')).includes('WaitForFirstConsumer'));
    expect((await c().list(PersistentVolumes)).items).toHaveLength(0);
    await c().create(Pods, podObj('user', 'data'), { namespace: 'default' });
    const claim = await eventually('claim Bound', async () => {
      const x = await c().get<PersistentVolumeClaim>(PersistentVolumeClaims, 'data', 'default');
      return x.status?.phase === 'Bound' ? x : null;
    });
    const pod = await c().get<KubeObject & { spec?: { nodeName?: string } }>(Pods, 'user', 'default');
    const node = pod.spec!.nodeName!;
    expect(node).toMatch(/^lp-/);
    const pvName = `pvc-${claim.metadata!.uid}`;
    expect(claim.spec?.volumeName).toBe(pvName);
    expect(claim.status).toMatchObject({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
    expect(claim.metadata?.annotations).toMatchObject({
      'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.kubernetes.io/selected-node': node,
      'volume.kubernetes.io/storage-provisioner': 'skiff.dev/local-path', 'volume.beta.kubernetes.io/storage-provisioner': 'skiff.dev/local-path',
    });
    const pv = await eventually('volume Bound', async () => {
      const v = await c().get<PersistentVolume>(PersistentVolumes, pvName);
      return v.status?.phase === 'Bound' ? v : null;
    });
    expect(pv.metadata?.annotations).toEqual({ 'pv.kubernetes.io/provisioned-by': 'skiff.dev/local-path' });
    expect(pv.spec).toMatchObject({
      capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'local-path',
      hostPath: { path: join(dir, pvName), type: 'DirectoryOrCreate' },
      claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid: claim.metadata!.uid },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
    });
    await eventually('provisioning events', async () => {
      const r = await reasons('data');
      return ['ExternalProvisioning', 'Provisioning', 'ProvisioningSucceeded'].every((x) => r.includes(x));
    });
  });

  it.skipIf(!KUBECTL)('kubectl get pvc,pv prints upstream\'s columns', async () => {
    const { stdout } = await run(KUBECTL!, ['--kubeconfig', sim.cluster.kubeconfig, 'get', 'pvc,pv', '-n', 'default']);
    const lines = stdout.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
    const claim = await c().get<PersistentVolumeClaim>(PersistentVolumeClaims, 'data', 'default');
    const pvName = claim.spec!.volumeName!;
    expect(lines[0]).toEqual(['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
    expect(lines[1]!.slice(0, 7)).toEqual(['persistentvolumeclaim/data', 'Bound', pvName, '1Gi', 'RWO', 'local-path', '<unset>']);
    const pvHead = lines.findIndex((l) => l[0] === 'NAME' && l[1] === 'CAPACITY');
    expect(lines[pvHead]).toEqual(['NAME', 'CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE']);
    expect(lines[pvHead + 1]!.slice(0, 8)).toEqual([`persistentvolume/${pvName}`, '1Gi', 'RWO', 'Delete', 'Bound', 'default/data', 'local-path', '<unset>']);
  });

  it('a claim in use outlives its deletion until its pod goes; then the volume and its directory go too', async () => {
    const claim = await c().get<PersistentVolumeClaim>(PersistentVolumeClaims, 'data', 'default');
    const pvName = claim.spec!.volumeName!;
    expect(claim.metadata?.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    await eventually('pv-protection finalizer', async () => (await c().get<PersistentVolume>(PersistentVolumes, pvName)).metadata?.finalizers?.includes('kubernetes.io/pv-protection'));
    // What the node made when it mounted the volume.
    mkdirSync(join(dir, pvName), { recursive: true });
    writeFileSync(join(dir, pvName, 'file'), 'data');
    await c().delete(PersistentVolumeClaims, 'default', 'data');
    const terminating = await c().get<PersistentVolumeClaim>(PersistentVolumeClaims, 'data', 'default');
    expect(terminating.metadata?.deletionTimestamp).toBeTruthy();
    // The pod still runs: the claim, the volume and the data stay.
    await new Promise((r) => setTimeout(r, 300));
    expect((await c().get<PersistentVolume>(PersistentVolumes, pvName)).status?.phase).toBe('Bound');
    expect(existsSync(join(dir, pvName, 'file'))).toBe(true);
    await c().delete(Pods, 'default', 'user', { gracePeriodSeconds: 0 });
    await eventually('claim deleted', () => gone(PersistentVolumeClaims, 'data', 'default'));
    await eventually('volume deleted', () => gone(PersistentVolumes, pvName));
    expect(existsSync(join(dir, pvName))).toBe(false);
    expect(sim.errors.filter((e) => !/conflict|Conflict|409/.test(e))).toEqual([]);
  });

  it('a generic ephemeral volume gets a claim <pod>-<volume> that lives and goes with its pod', async () => {
    await c().create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'eph', namespace: 'default' }, spec: {
      containers: [{ name: 'c', image: 'busybox' }], terminationGracePeriodSeconds: 0,
      volumes: [{ name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } }],
    } }, { namespace: 'default' });
    const claim = await eventually('eph-scratch Bound', async () => {
      const x = await c().get<PersistentVolumeClaim>(PersistentVolumeClaims, 'eph-scratch', 'default');
      return x.status?.phase === 'Bound' ? x : null;
    });
    const pod = await c().get<KubeObject & { spec?: { nodeName?: string } }>(Pods, 'eph', 'default');
    expect(claim.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'eph', uid: pod.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    expect(claim.spec?.storageClassName).toBe('local-path');
    await c().delete(Pods, 'default', 'eph', { gracePeriodSeconds: 0 });
    await eventually('claim collected with its pod', () => gone(PersistentVolumeClaims, 'eph-scratch', 'default'));
    await eventually('its volume deleted', () => gone(PersistentVolumes, claim.spec!.volumeName!));
  });
});
