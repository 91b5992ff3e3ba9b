/**
 * A local-path claim on two real runc nodes with the scheduler (as root): the scheduler's VolumeBinding puts
 * the first pod somewhere, writes the claim's selected-node, the provisioner pins the volume to that node; the
 * pod goes, the node gets busier than the other, and the next pod using the claim is still placed there and
 * reads what the first one wrote. Both nodes run in namespaces this test makes (`skiff-t-<run>…`), removed in
 * afterAll, also on failure.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersistentVolumeClaims, PersistentVolumes, Pods } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { persistentVolumeBinderController } from '../../src/control/controllers/persistentvolume/controller.js';
import { localPathProvisionerController } from '../../src/control/controllers/persistentvolume/local-path.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../src/control/controllers/persistentvolume/types.js';
import { startControllerManager, type RunningControllerManager } from '../../src/control/controllers/start.js';
import { startScheduler, type RunningScheduler } from '../../src/control/scheduler/start.js';
import { ImageStore } from '../../src/dataplane/kubelet/images/store.js';
import { startRuncNode, type RunningRuncNode } from '../../src/dataplane/kubelet/runtime/runc/start.js';
import { realNodeSkipReason } from '../../src/dataplane/kubelet/runtime/runc/tools.js';
import { eventually, startTestCluster, type TestCluster } from '../support/cluster.js';
import { addImage, type FixtureEntry } from '../unit/kubelet/images/oci-fixture.js';
import { busyboxImageLayer, cleanUpRuncNode, runcSkipReason, runPrefix } from './runc-fixture.js';

const skip = realNodeSkipReason() ?? runcSkipReason();
const IMAGE = 'skiff.test/busybox:1';
const NODES = [{ name: 'n1', cidr: '10.244.83.0/24' }, { name: 'n2', cidr: '10.244.84.0/24' }] as const;

describe.skipIf(skip !== null)(`local-path with the scheduler on two runc nodes${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const prefix = `${runPrefix()}-`;
  let dir = '';
  let cluster: TestCluster | undefined;
  let cm: RunningControllerManager | undefined;
  let scheduler: RunningScheduler | undefined;
  const nodes: RunningRuncNode[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-t-lp-sched-'));
    cluster = await startTestCluster();
    cm = await startControllerManager({
      client: cluster.newClient('skiff-t-controllers'),
      available: [persistentVolumeBinderController, localPathProvisionerController],
      controllers: ['*'],
      leaderElect: false,
      options: { localPathDir: join(dir, 'local-path') },
      onError: (err, context) => errors.push(`${context}: ${String(err)}`),
    });
    await cm.ready;
    for (const n of NODES) {
      const nodeDir = join(dir, n.name);
      mkdirSync(nodeDir);
      const layout = join(nodeDir, 'layout');
      const layer: FixtureEntry[] = [...busyboxImageLayer(), { name: 'data/', type: 'directory' }];
      await addImage(layout, { refName: IMAGE, layers: [layer], cmd: ['sh'], env: ['PATH=/bin'] });
      expect(await new ImageStore({ root: join(nodeDir, 'images') }).load(layout)).toEqual([IMAGE]);
      const node = await startRuncNode({
        client: cluster.newClient(`skiff-t-agent-${n.name}`), nodeName: n.name, dataDir: nodeDir, prefix, podCIDR: n.cidr,
        cpu: '2', memory: '2Gi', pollMs: 200,
        log: (level, msg, fields) => {
          if (level === 'error') console.error(`agent ${n.name} ${level}: ${msg} ${fields ? JSON.stringify(fields) : ''}`);
        },
      });
      nodes.push(node);
      await node.registered;
    }
    scheduler = await startScheduler({ client: cluster.newClient('skiff-t-scheduler'), core: 'reference', volumeBindPollMs: 200, onError: () => {} });
    expect(await scheduler.ready).toBe(true);
  }, 90_000);

  afterAll(async () => {
    await scheduler?.stop().catch(() => undefined);
    for (const n of nodes) await n.stop().catch(() => undefined);
    await cm?.stop().catch(() => undefined);
    await cluster?.close().catch(() => undefined);
    if (dir) {
      for (const n of NODES) await cleanUpRuncNode(join(dir, n.name), prefix, n.name);
      await cleanUpRuncNode(dir, prefix);
    }
  }, 60_000);

  const podObj = (name: string, script: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: {
      restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      ...extra,
    },
  });
  const get = (name: string) => cluster!.client.get<KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string } }>(Pods, name, 'default');
  const finished = (name: string) => eventually(`${name} finished`, async () => {
    const p = (await get(name)).status?.phase;
    return p === 'Succeeded' || p === 'Failed' ? p : null;
  }, 40_000, 200);

  it('the claim\'s volume is pinned to the first pod\'s node, and the next pod follows it there although that node is busier', async () => {
    const c = cluster!.client;
    await c.create(PersistentVolumeClaims, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } } }, { namespace: 'default' });
    await c.create(Pods, podObj('writer', 'echo kept > /data/file'), { namespace: 'default' });
    expect(await finished('writer')).toBe('Succeeded');
    const first = (await get('writer')).spec!.nodeName!;
    const claim = await c.get<PersistentVolumeClaim>(PersistentVolumeClaims, 'data', 'default');
    expect(claim.metadata?.annotations?.['volume.kubernetes.io/selected-node']).toBe(first);
    const pv = await c.get<PersistentVolume>(PersistentVolumes, claim.spec!.volumeName!);
    expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values).toEqual([first]);
    expect(readFileSync(join(pv.spec!.hostPath!.path, 'file'), 'utf8')).toBe('kept\n');
    await c.delete(Pods, 'default', 'writer');
    await eventually('writer gone', async () => !(await c.list(Pods, { namespace: 'default' })).items.some((p) => p.metadata?.name === 'writer'), 30_000, 200);

    // The volume's node is now the busier one: only the volume can bring the reader back to it.
    await c.create(Pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'filler', namespace: 'default' },
      spec: { nodeName: first, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '600'], resources: { requests: { cpu: '1500m' } } }] },
    }, { namespace: 'default' });
    await c.create(Pods, podObj('reader', 'test "$(cat /data/file)" = kept'), { namespace: 'default' });
    expect(await finished('reader')).toBe('Succeeded');
    expect((await get('reader')).spec?.nodeName).toBe(first);
    expect(errors.filter((e) => !/conflict|Conflict|409/.test(e))).toEqual([]);
  }, 120_000);
});
