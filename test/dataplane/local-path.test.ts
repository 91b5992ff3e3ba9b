/**
 * A PVC on local-path keeps its data across pods, on one real node as root: a real API server, the binder, the
 * local-path provisioner and pvc/pv-protection (a controller manager), and the node agent with the runc driver.
 * A pod writes into its claim (default class, WaitForFirstConsumer: provisioned on the pod's node), goes; a
 * second pod reads the same file. Deleting the claim then removes the directory. A generic ephemeral volume is
 * mounted from the claim the ephemeral-volume controller makes. Everything is named
 * `skiff-t-<run>…` and removed in afterAll, also on failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersistentVolumeClaims, PersistentVolumes, Pods } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { persistentVolumeBinderController } from '../../src/control/controllers/persistentvolume/controller.js';
import { localPathProvisionerController } from '../../src/control/controllers/persistentvolume/local-path.js';
import { pvcProtectionController, pvProtectionController } from '../../src/control/controllers/persistentvolume/protection.js';
import { ephemeralVolumeController } from '../../src/control/controllers/persistentvolume/ephemeral.js';
import type { PersistentVolumeClaim } from '../../src/control/controllers/persistentvolume/types.js';
import { startControllerManager, type RunningControllerManager } from '../../src/control/controllers/start.js';
import { ImageStore } from '../../src/dataplane/kubelet/images/store.js';
import { startRuncNode, type RunningRuncNode } from '../../src/dataplane/kubelet/runtime/runc/start.js';
import { realNodeSkipReason } from '../../src/dataplane/kubelet/runtime/runc/tools.js';
import { eventually, startTestCluster, type TestCluster } from '../support/cluster.js';
import { addImage, type FixtureEntry } from '../unit/kubelet/images/oci-fixture.js';
import { runcSkipReason, runPrefix, cleanUpRuncNode } from './runc-fixture.js';

const skip = realNodeSkipReason() ?? runcSkipReason();
const IMAGE = 'skiff.test/busybox:1';
const APPLETS = ['sh', 'echo', 'cat', 'test', '['];

function sh(argv: string[]): { code: number; out: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

describe.skipIf(skip !== null)(`local-path on a runc node${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const run = runPrefix();
  const prefix = `${run}-`;
  let dir = '';
  let cluster: TestCluster | undefined;
  let node: RunningRuncNode | undefined;
  let cm: RunningControllerManager | undefined;
  const errors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-t-local-path-'));
    cluster = await startTestCluster();
    const layout = join(dir, 'layout');
    const layer: FixtureEntry[] = [
      { name: 'bin/', type: 'directory' },
      { name: 'bin/busybox', body: readFileSync('/bin/busybox'), mode: 0o755 },
      ...APPLETS.map((a): FixtureEntry => ({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox' })),
      ...['proc/', 'sys/', 'dev/', 'etc/', 'data/'].map((d): FixtureEntry => ({ name: d, type: 'directory' })),
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
      { name: 'etc/passwd', body: 'root:x:0:0:root:/root:/bin/sh\n' },
      { name: 'etc/group', body: 'root:x:0:\n' },
    ];
    await addImage(layout, { refName: IMAGE, layers: [layer], cmd: ['sh'], env: ['PATH=/bin'] });
    expect(await new ImageStore({ root: join(dir, 'images') }).load(layout)).toEqual([IMAGE]);
    cm = await startControllerManager({
      client: cluster.newClient('skiff-t-controllers'),
      available: [persistentVolumeBinderController, localPathProvisionerController, pvcProtectionController, pvProtectionController, ephemeralVolumeController],
      controllers: ['*'],
      leaderElect: false,
      options: { localPathDir: join(dir, 'local-path') },
      onError: (err, context) => errors.push(`${context}: ${String(err)}`),
    });
    await cm.ready;
    node = await startRuncNode({
      client: cluster.newClient('skiff-t-agent'), nodeName: 'n1', dataDir: dir, prefix, podCIDR: '10.244.78.0/24',
      cpu: '2', memory: '2Gi', pollMs: 200,
      log: (level, msg, fields) => {
        if (level === 'error') console.error(`agent ${level}: ${msg} ${fields ? JSON.stringify(fields) : ''}`);
      },
    });
    await node.registered;
  }, 60_000);

  afterAll(async () => {
    await node?.stop().catch(() => undefined);
    await cm?.stop().catch(() => undefined);
    await cluster?.close().catch(() => undefined);
    if (dir) await cleanUpRuncNode(dir, prefix);
  }, 60_000);

  const podObj = (name: string, script: string): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: {
      nodeName: 'n1', restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
    },
  });
  const phaseOf = async (name: string) => ((await cluster!.client.get(Pods, name, 'default')).status as { phase?: string }).phase;
  const finished = (name: string) => eventually(`${name} finished`, async () => {
    const p = await phaseOf(name);
    return p === 'Succeeded' || p === 'Failed' ? p : null;
  }, 30_000, 200);
  const gone = (ref: typeof Pods, name: string, ns?: string) => eventually(`${name} gone`, async () => {
    try {
      await cluster!.client.get(ref, name, ns);
      return false;
    } catch {
      return true;
    }
  }, 30_000, 200);

  it('a file written by one pod is read by the next; deleting the claim removes the directory', async () => {
    const c = cluster!.client;
    await c.create(PersistentVolumeClaims, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } } }, { namespace: 'default' });
    await c.create(Pods, podObj('writer', 'echo kept > /data/file'), { namespace: 'default' });
    expect(await finished('writer')).toBe('Succeeded');
    const claim = await c.get<PersistentVolumeClaim>(PersistentVolumeClaims, 'data', 'default');
    expect(claim.status?.phase).toBe('Bound');
    const path = join(dir, 'local-path', claim.spec!.volumeName!);
    expect(readFileSync(join(path, 'file'), 'utf8')).toBe('kept\n');
    await c.delete(Pods, 'default', 'writer');
    await gone(Pods, 'writer', 'default');

    await c.create(Pods, podObj('reader', 'test "$(cat /data/file)" = kept'), { namespace: 'default' });
    expect(await finished('reader')).toBe('Succeeded');
    await c.delete(Pods, 'default', 'reader');
    await gone(Pods, 'reader', 'default');

    await c.delete(PersistentVolumeClaims, 'default', 'data');
    await gone(PersistentVolumes, claim.spec!.volumeName!);
    expect(existsSync(path)).toBe(false);
    expect(errors.filter((e) => !/conflict|Conflict|409/.test(e))).toEqual([]);
  }, 90_000);

  it('a generic ephemeral volume is mounted from its claim <pod>-<volume>', async () => {
    const c = cluster!.client;
    await c.create(Pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'eph', namespace: 'default' },
      spec: {
        nodeName: 'n1', restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
        containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo scratch > /data/f'], volumeMounts: [{ name: 'scratch', mountPath: '/data' }] }],
        volumes: [{ name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } } } } }],
      },
    }, { namespace: 'default' });
    expect(await finished('eph')).toBe('Succeeded');
    const claim = await c.get<PersistentVolumeClaim>(PersistentVolumeClaims, 'eph-scratch', 'default');
    expect(readFileSync(join(dir, 'local-path', claim.spec!.volumeName!, 'f'), 'utf8')).toBe('scratch\n');
  }, 60_000);
});
