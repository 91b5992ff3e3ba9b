/** componentstatuses' probes: each result as one Healthy condition, failures and silence as Unhealthy with the error. */
import { describe, expect, test } from 'vitest';
import {
  absentProbe, componentStatusSource, leaseProbe, storageProbe, type ComponentProbe,
} from '../../../../src/control/api/kinds/componentstatus-source.js';
import { componentStatusColumns } from '../../../../src/control/api/kinds/componentstatuses.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';

const NOW = new Date('2026-12-03T12:00:00Z');
const lease = (renewTime: string | undefined, holder = 'cm-1'): KubeObject => ({
  apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'kube-controller-manager', namespace: 'kube-system' },
  spec: { holderIdentity: holder, leaseDurationSeconds: 15, ...(renewTime ? { renewTime } : {}) },
});
const cells = (o: KubeObject) => componentStatusColumns.map((c) => c.value(o, NOW));

describe('componentstatus source', () => {
  test('a probe that throws is Unhealthy with its message; one that never answers times out', async () => {
    const probes: ComponentProbe[] = [
      { name: 'a', check: async () => ({ healthy: true, message: 'ok' }) },
      { name: 'b', check: async () => { throw new Error('connection refused'); } },
      { name: 'c', check: () => new Promise(() => {}) },
    ];
    const src = componentStatusSource(() => probes, 30);
    const list = await src.list(undefined, {});
    expect(list.map((o) => [o.metadata?.name, ...cells(o)])).toEqual([
      ['a', 'Healthy', 'ok', ''],
      ['b', 'Unhealthy', '', 'connection refused'],
      ['c', 'Unhealthy', '', 'no answer within 0.03s'],
    ]);
    expect(list[0]).toEqual({ kind: 'ComponentStatus', apiVersion: 'v1', metadata: { name: 'a' }, conditions: [{ type: 'Healthy', status: 'True', message: 'ok' }] });
    await expect(src.get(undefined, 'zz')).rejects.toMatchObject({ code: 404, message: 'componentstatuses "zz" not found' });
    expect((await src.list(undefined, { fieldSelector: 'metadata.name!=a' })).map((o) => o.metadata?.name)).toEqual(['b', 'c']);
  });

  test('the leader lease decides the controller manager: held and fresh, lapsed, unheld, missing', async () => {
    const check = (l: KubeObject | null) => leaseProbe('controller-manager', 'kube-controller-manager', async () => l, () => NOW).check();
    expect(await check(lease('2026-12-03T11:59:50.000000Z'))).toEqual({ healthy: true, message: 'ok' });
    expect(await check(lease('2026-12-03T11:59:40.000000Z'))).toMatchObject({ healthy: false, error: expect.stringContaining('cm-1 was last renewed at 2026-12-03T11:59:40.000000Z') });
    expect(await check(lease(undefined))).toMatchObject({ healthy: false });
    expect(await check(lease('2026-12-03T11:59:50.000000Z', ''))).toMatchObject({ healthy: false, error: 'no kube-controller-manager holds the leader lease kube-system/kube-controller-manager' });
    expect(await check(null)).toMatchObject({ healthy: false });
  });

  test('storage answers with a revision read; an absent component says why', async () => {
    expect(await storageProbe({ currentRevision: async () => 7 }).check()).toEqual({ healthy: true, message: 'ok' });
    const failing = componentStatusSource(() => [storageProbe({ currentRevision: async () => { throw new Error('database is locked'); } })]);
    expect(cells(await failing.get(undefined, 'etcd-0'))).toEqual(['Unhealthy', '', 'database is locked']);
    expect(await absentProbe('scheduler', 'not here').check()).toEqual({ healthy: false, message: '', error: 'not here' });
  });

  test('a ComponentStatus without a Healthy condition prints Unknown', () => {
    expect(cells({ kind: 'ComponentStatus', apiVersion: 'v1', metadata: { name: 'x' } })).toEqual(['Unknown', '', '']);
  });
});
