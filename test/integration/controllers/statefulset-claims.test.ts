/**
 * StatefulSet volumeClaimTemplates on simulated nodes with the binder, the local-path provisioner and the
 * garbage collector: each pod gets its Bound claim <template>-<set>-<ordinal> on its node; scaling down keeps the
 * claims (whenScaled Retain) or removes the scaled-down pods' claims (whenScaled Delete); deleting a set removes its
 * claims only with whenDeleted Delete.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersistentVolumeClaims, PersistentVolumes, Pods, StatefulSets } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { garbageCollectorController } from '../../../src/control/controllers/garbage-collector/controller.js';
import { persistentVolumeBinderController } from '../../../src/control/controllers/persistentvolume/controller.js';
import { localPathProvisionerController } from '../../../src/control/controllers/persistentvolume/local-path.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../../src/control/controllers/persistentvolume/types.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';
import { statefulSetController } from '../../../src/control/controllers/statefulset/controller.js';
import { eventually, startSimulatedCluster, type SimulatedCluster } from '../../support/cluster.js';

let sim: SimulatedCluster;
let dir: string;
const NS = 'default';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-sts-claims-'));
  sim = await startSimulatedCluster({
    nodes: { count: 2, namePrefix: 'stc-', cpu: '4', memory: '8Gi' },
    controllers: {
      available: [statefulSetController, persistentVolumeBinderController, localPathProvisionerController, garbageCollectorController],
      controllers: ['statefulset', 'persistentvolume-binder', 'local-path-provisioner', 'garbage-collector'],
      options: { localPathDir: dir },
    },
  });
});
afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const c = () => sim.cluster.client;
function sts(name: string, policy: { whenDeleted: string; whenScaled: string }): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: NS },
    spec: {
      replicas: 3, serviceName: name, podManagementPolicy: 'Parallel',
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }], terminationGracePeriodSeconds: 0 } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      persistentVolumeClaimRetentionPolicy: policy,
    },
  };
}
const claimsOf = async (app: string) => (await c().list<PersistentVolumeClaim>(PersistentVolumeClaims, { namespace: NS, labelSelector: `app=${app}` })).items;
const names = (xs: KubeObject[]) => xs.map((x) => x.metadata?.name).sort();

describe('StatefulSet volumeClaimTemplates', () => {
  it('three replicas get three Bound claims, each on its pod\'s node, mounted by the pod', async () => {
    await c().create(StatefulSets, sts('web', { whenDeleted: 'Retain', whenScaled: 'Retain' }), { namespace: NS });
    await c().create(StatefulSets, sts('db', { whenDeleted: 'Delete', whenScaled: 'Delete' }), { namespace: NS });
    for (const app of ['web', 'db']) {
      const claims = await eventually(`${app}: 3 Bound claims`, async () => {
        const cs = await claimsOf(app);
        return cs.length === 3 && cs.every((x) => x.status?.phase === 'Bound') ? cs : null;
      }, 20_000);
      expect(names(claims)).toEqual([`www-${app}-0`, `www-${app}-1`, `www-${app}-2`]);
      for (const claim of claims) {
        const ordinal = claim.metadata!.name!.split('-').pop();
        const pod = await c().get<Pod>(Pods, `${app}-${ordinal}`, NS);
        expect((pod.spec as { volumes?: unknown[] }).volumes).toContainEqual({ name: 'www', persistentVolumeClaim: { claimName: claim.metadata!.name } });
        expect(claim.spec?.storageClassName).toBe('local-path');
        expect(claim.metadata?.labels).toEqual({ app });
        // Retain on set deletion: no reference to the set; Delete: the set is the claim's controller.
        if (app === 'web') expect(claim.metadata?.ownerReferences).toBeUndefined();
        else expect(claim.metadata?.ownerReferences).toEqual([expect.objectContaining({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', controller: true })]);
        const pv = await c().get<PersistentVolume>(PersistentVolumes, claim.spec!.volumeName!);
        expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values).toEqual([pod.spec!.nodeName]);
      }
    }
  });

  it('scaling down keeps the claims with whenScaled Retain and removes them with whenScaled Delete', async () => {
    for (const app of ['web', 'db']) await c().patch(StatefulSets, NS, app, { spec: { replicas: 1 } }, 'merge');
    for (const app of ['web', 'db']) {
      await eventually(`${app}: one pod left`, async () => {
        const pods = (await c().list<Pod>(Pods, { namespace: NS, labelSelector: `app=${app}` })).items;
        return names(pods).join() === `${app}-0` || null;
      });
    }
    await eventually('db: the scaled-down claims deleted', async () => names(await claimsOf('db')).join() === 'www-db-0' || null);
    // By the time the Delete set's claims have gone, the Retain set still has all three.
    expect(names(await claimsOf('web'))).toEqual(['www-web-0', 'www-web-1', 'www-web-2']);
    // The released local-path volumes of the deleted claims go too (reclaim policy Delete).
    await eventually('db: two volumes deleted', async () => {
      const pvs = (await c().list<PersistentVolume>(PersistentVolumes)).items.filter((v) => v.spec?.claimRef?.name?.startsWith('www-db-'));
      return pvs.length === 1 || null;
    });
  });

  it('scaling back up makes new claims; deleting a whenDeleted Delete set deletes its claims, a Retain set\'s stay', async () => {
    await c().patch(StatefulSets, NS, 'db', { spec: { replicas: 3 } }, 'merge');
    const claims = await eventually('db: 3 Bound claims again', async () => {
      const cs = await claimsOf('db');
      return cs.length === 3 && cs.every((x) => x.status?.phase === 'Bound') ? cs : null;
    }, 20_000);
    expect(names(claims)).toEqual(['www-db-0', 'www-db-1', 'www-db-2']);
    await c().delete(StatefulSets, NS, 'db');
    await c().delete(StatefulSets, NS, 'web');
    await eventually('db: claims deleted with the set', async () => (await claimsOf('db')).length === 0 || null, 20_000);
    expect(names(await claimsOf('web'))).toEqual(['www-web-0', 'www-web-1', 'www-web-2']);
    expect(sim.errors.filter((e) => !/conflict|Conflict|409/.test(e))).toEqual([]);
  });
});
