/**
 * flowcontrol.apiserver.k8s.io/v1 over real HTTP: the bootstrap configuration a server makes at start (the
 * mandatory exempt and catch-all objects, the suggested ones), `kubectl get`'s columns, upstream's defaults and
 * validation messages, the status subresource, and the ensurer's rules on a later start (mandatory specs restored,
 * the exempt level's tuning kept, suggested objects left alone once annotated autoupdate-spec: "false").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/client/rest.js';
import type { ResourceRef } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { ensureFlowControlBootstrap } from '../../../src/control/flowcontrol-bootstrap.js';
import { danglingStatusUpdates, startFlowSchemaStatus } from '../../../src/control/flowcontrol-status.js';
import { eventually } from '../../support/cluster.js';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';

const G = 'flowcontrol.apiserver.k8s.io';
const FlowSchemas: ResourceRef = { group: G, version: 'v1', plural: 'flowschemas', namespaced: false };
const Levels: ResourceRef = { group: G, version: 'v1', plural: 'prioritylevelconfigurations', namespaced: false };
type Obj = KubeObject & { spec?: Record<string, any>; status?: Record<string, any> };

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster?.close();
});

const c = () => cluster.client;
const table = async (plural: string): Promise<{ columns: string[]; rows: Record<string, unknown[]> }> => {
  const res = await fetch(`${cluster.url}/apis/${G}/v1/${plural}`, { headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
  const t = (await res.json()) as { columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[] }> };
  return { columns: t.columnDefinitions.map((d) => d.name), rows: Object.fromEntries(t.rows.map((r) => [String(r.cells[0]), r.cells])) };
};
const rejection = (p: Promise<unknown>): Promise<{ code: number; message: string }> =>
  p.then(() => ({ code: 200, message: '' }), (e: unknown) => (e instanceof ApiError ? { code: e.code, message: e.status?.message ?? '' } : { code: -1, message: String(e) }));

describe('flowcontrol.apiserver.k8s.io/v1', () => {
  it('is discovered with both kinds and their status subresources', async () => {
    const list = await c().request<{ resources: Array<{ name: string; kind: string; namespaced: boolean }> }>('GET', `/apis/${G}/v1`);
    expect(list.resources.map((r) => [r.name, r.kind, r.namespaced]).sort()).toEqual([
      ['flowschemas', 'FlowSchema', false], ['flowschemas/status', 'FlowSchema', false],
      ['prioritylevelconfigurations', 'PriorityLevelConfiguration', false], ['prioritylevelconfigurations/status', 'PriorityLevelConfiguration', false],
    ]);
  });

  it('the server makes the mandatory and suggested configuration at start, printed as kubectl get prints it', async () => {
    const pls = await table('prioritylevelconfigurations');
    expect(pls.columns).toEqual(['Name', 'Type', 'NominalConcurrencyShares', 'Queues', 'HandSize', 'QueueLengthLimit', 'Age']);
    const row = (name: string) => pls.rows[name]!.slice(0, 6);
    expect(Object.keys(pls.rows).sort()).toEqual(['catch-all', 'exempt', 'global-default', 'leader-election', 'node-high', 'system', 'workload-high', 'workload-low']);
    expect(row('catch-all')).toEqual(['catch-all', 'Limited', 5, '<none>', '<none>', '<none>']);
    expect(row('exempt')).toEqual(['exempt', 'Exempt', '<none>', '<none>', '<none>', '<none>']);
    expect(row('global-default')).toEqual(['global-default', 'Limited', 20, 128, 6, 50]);
    expect(row('leader-election')).toEqual(['leader-election', 'Limited', 10, 16, 4, 50]);
    expect(row('workload-low')).toEqual(['workload-low', 'Limited', 100, 128, 6, 50]);

    const fss = await table('flowschemas');
    expect(fss.columns).toEqual(['Name', 'PriorityLevel', 'MatchingPrecedence', 'DistinguisherMethod', 'Age', 'MissingPL']);
    const fs = (name: string) => { const r = fss.rows[name]!; return [r[0], r[1], r[2], r[3], r[5]]; };
    expect(Object.keys(fss.rows)).toHaveLength(13);
    expect(fs('exempt')).toEqual(['exempt', 'exempt', 1, '<none>', 'False']);
    expect(fs('probes')).toEqual(['probes', 'exempt', 2, '<none>', 'False']);
    expect(fs('kube-scheduler')).toEqual(['kube-scheduler', 'workload-high', 800, 'ByNamespace', 'False']);
    expect(fs('catch-all')).toEqual(['catch-all', 'catch-all', 10000, 'ByUser', 'False']);

    const exempt = await c().get<Obj>(FlowSchemas, 'exempt');
    expect(exempt.metadata?.annotations).toEqual({ 'apf.kubernetes.io/autoupdate-spec': 'true' });
    expect(exempt.spec?.rules).toEqual([{
      subjects: [{ kind: 'Group', group: { name: 'system:masters' } }],
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
    }]);
    expect(exempt.status?.conditions?.[0]).toMatchObject({ type: 'Dangling', status: 'False', reason: 'Found' });
    expect((await c().get<Obj>(Levels, 'exempt')).spec).toEqual({ type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } });
  });

  it('fills upstream\'s defaults', async () => {
    const pl = await c().create<Obj>(Levels, { apiVersion: `${G}/v1`, kind: 'PriorityLevelConfiguration', metadata: { name: 'mine' }, spec: { type: 'Limited', limited: { limitResponse: { type: 'Queue', queuing: {} } } } });
    expect(pl.spec).toEqual({ type: 'Limited', limited: { nominalConcurrencyShares: 30, lendablePercent: 0, limitResponse: { type: 'Queue', queuing: { queues: 64, handSize: 8, queueLengthLimit: 50 } } } });
    const fs = await c().create<Obj>(FlowSchemas, {
      apiVersion: `${G}/v1`, kind: 'FlowSchema', metadata: { name: 'mine' },
      spec: { priorityLevelConfiguration: { name: 'mine' }, rules: [{ subjects: [{ kind: 'User', user: { name: 'alice' } }], resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'], namespaces: ['default'] }] }] },
    });
    expect(fs.spec?.matchingPrecedence).toBe(1000);
    expect(fs.metadata?.generation).toBe(1);
  });

  it('rejects what upstream rejects, naming the field', async () => {
    const fs = (name: string, spec: Record<string, unknown>) => c().create(FlowSchemas, { apiVersion: `${G}/v1`, kind: 'FlowSchema', metadata: { name }, spec });
    const pl = (name: string, spec: Record<string, unknown>) => c().create(Levels, { apiVersion: `${G}/v1`, kind: 'PriorityLevelConfiguration', metadata: { name }, spec });
    const bad = [
      [fs('first', { matchingPrecedence: 1, priorityLevelConfiguration: { name: 'x' } }), "spec.matchingPrecedence: Invalid value: 1: only the schema named 'exempt' may have matchingPrecedence 1"],
      [fs('big', { matchingPrecedence: 10001, priorityLevelConfiguration: { name: 'x' } }), 'spec.matchingPrecedence: Invalid value: 10001: must not be greater than 10000'],
      [fs('nopl', { matchingPrecedence: 5 }), 'spec.priorityLevelConfiguration.name: Required value: must reference a priority level'],
      [fs('dm', { priorityLevelConfiguration: { name: 'x' }, distinguisherMethod: { type: 'ByPod' } }), 'spec.distinguisherMethod.type: Unsupported value: "ByPod": supported values: "ByNamespace", "ByUser"'],
      [fs('norules', { priorityLevelConfiguration: { name: 'x' }, rules: [{ subjects: [{ kind: 'Group', group: { name: 'g' } }] }] }), 'spec.rules[0]: Required value: at least one of resourceRules and nonResourceRules has to be non-empty'],
      [fs('ns', { priorityLevelConfiguration: { name: 'x' }, rules: [{ subjects: [{ kind: 'User', user: { name: 'u' } }], resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] }] }),
        'spec.rules[0].resourceRules[0].namespaces: Required value: resource rules that are not cluster scoped must supply at least one namespace'],
      [fs('sa', { priorityLevelConfiguration: { name: 'x' }, rules: [{ subjects: [{ kind: 'ServiceAccount', serviceAccount: { name: 'a' } }], nonResourceRules: [{ verbs: ['*', 'get'], nonResourceURLs: ['/x'] }] }] }),
        'must specify namespace for service account'],
      [pl('notexempt', { type: 'Exempt' }), "spec.type: Invalid value: \"Exempt\": type must be 'Exempt' if and only if name is 'exempt'"],
      [pl('hand', { type: 'Limited', limited: { limitResponse: { type: 'Queue', queuing: { queues: 4, handSize: 5, queueLengthLimit: 1 } } } }), 'spec.limited.limitResponse.queuing.handSize: Invalid value: 5: should not be greater than queues (4)'],
      [pl('entropy', { type: 'Limited', limited: { limitResponse: { type: 'Queue', queuing: { queues: 1024, handSize: 7, queueLengthLimit: 1 } } } }), 'required entropy bits of deckSize 1024 and handSize 7 should not be greater than 60'],
      [pl('reject', { type: 'Limited', limited: { limitResponse: { type: 'Reject', queuing: { queues: 1 } } } }), 'spec.limited.limitResponse.queuing: Forbidden: must be nil if limited.limitResponse.type is not Limited'],
      [pl('lend', { type: 'Limited', limited: { lendablePercent: 101, limitResponse: { type: 'Reject' } } }), 'spec.limited.lendablePercent: Invalid value: 101: must be between 0 and 100, inclusive'],
      [pl('empty', { type: 'Limited' }), 'spec.limited: Required value: must not be empty when type is Limited'],
    ] as const;
    for (const [p, message] of bad) {
      const r = await rejection(p);
      expect(r.code, message).toBe(422);
      expect(r.message, message).toContain(message);
    }
  });

  it('status is written through /status only', async () => {
    const cur = await c().get<Obj>(FlowSchemas, 'mine');
    const viaMain = await c().update<Obj>(FlowSchemas, { ...cur, status: { conditions: [{ type: 'Dangling', status: 'True' }] } });
    expect(viaMain.status ?? {}).toEqual({});
    const viaStatus = await c().update<Obj>(FlowSchemas, { ...viaMain, spec: { ...viaMain.spec, matchingPrecedence: 7 }, status: { conditions: [{ type: 'Dangling', status: 'False', reason: 'Found' }] } }, { subresource: 'status' });
    expect(viaStatus.status?.conditions).toEqual([{ type: 'Dangling', status: 'False', reason: 'Found' }]);
    expect(viaStatus.spec?.matchingPrecedence).toBe(1000);
    expect((await table('flowschemas')).rows['mine']![5]).toBe('False');
  });

  it('on a later start: mandatory specs restored and recreated, the exempt level\'s tuning kept, opted-out suggestions left alone', async () => {
    const catchAll = await c().get<Obj>(Levels, 'catch-all');
    await c().update(Levels, { ...catchAll, spec: { ...catchAll.spec, limited: { ...catchAll.spec!.limited, nominalConcurrencyShares: 500 } } });
    const exempt = await c().get<Obj>(Levels, 'exempt');
    await c().update(Levels, { ...exempt, spec: { type: 'Exempt', exempt: { nominalConcurrencyShares: 7, lendablePercent: 10 } } });
    await c().delete(FlowSchemas, undefined, 'catch-all');
    const low = await c().get<Obj>(Levels, 'workload-low');
    await c().update(Levels, { ...low, metadata: { ...low.metadata, annotations: { 'apf.kubernetes.io/autoupdate-spec': 'false' } }, spec: { ...low.spec, limited: { ...low.spec!.limited, nominalConcurrencyShares: 1 } } });
    const high = await c().get<Obj>(Levels, 'workload-high');
    await c().update(Levels, { ...high, spec: { ...high.spec, limited: { ...high.spec!.limited, nominalConcurrencyShares: 2 } } });

    await ensureFlowControlBootstrap(cluster.server.engine);

    expect((await c().get<Obj>(Levels, 'catch-all')).spec?.limited?.nominalConcurrencyShares).toBe(5);
    expect((await c().get<Obj>(Levels, 'exempt')).spec?.exempt).toEqual({ nominalConcurrencyShares: 7, lendablePercent: 10 });
    expect((await c().get<Obj>(FlowSchemas, 'catch-all')).spec?.matchingPrecedence).toBe(10000);
    expect((await c().get<Obj>(Levels, 'workload-low')).spec?.limited?.nominalConcurrencyShares).toBe(1);
    // Still annotated "true": brought back to the suggestion.
    expect((await c().get<Obj>(Levels, 'workload-high')).spec?.limited?.nominalConcurrencyShares).toBe(40);
    // An unchanged configuration is not written again.
    const rv = (await c().get<Obj>(Levels, 'system')).metadata?.resourceVersion;
    await ensureFlowControlBootstrap(cluster.server.engine);
    expect((await c().get<Obj>(Levels, 'system')).metadata?.resourceVersion).toBe(rv);
  });

  it('every FlowSchema\'s Dangling condition follows whether its priority level exists (MissingPL)', async () => {
    const keeper = startFlowSchemaStatus({ client: cluster.newClient('skiff-t-apf-status'), debounceMs: 10 });
    try {
      expect(await keeper.synced).toBe(true);
      await c().create(FlowSchemas, {
        apiVersion: `${G}/v1`, kind: 'FlowSchema', metadata: { name: 'orphan' },
        spec: { priorityLevelConfiguration: { name: 'later' }, rules: [{ subjects: [{ kind: 'Group', group: { name: 'g' } }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/x'] }] }] },
      });
      const dangling = async (name: string) => ((await c().get<Obj>(FlowSchemas, name)).status?.conditions ?? []).find((x: { type: string }) => x.type === 'Dangling');
      expect(await eventually('orphan dangling', async () => (await dangling('orphan'))?.status === 'True' && dangling('orphan'))).toMatchObject({
        reason: 'NotFound', message: 'This FlowSchema references the PriorityLevelConfiguration object named "later" but there is no such object',
      });
      expect((await table('flowschemas')).rows['orphan']![5]).toBe('True');
      await c().create(Levels, { apiVersion: `${G}/v1`, kind: 'PriorityLevelConfiguration', metadata: { name: 'later' }, spec: { type: 'Limited', limited: { limitResponse: { type: 'Reject' } } } });
      await eventually('orphan found', async () => (await dangling('orphan'))?.status === 'False');
      await c().delete(Levels, undefined, 'later');
      await eventually('orphan dangling again', async () => (await dangling('orphan'))?.status === 'True');
      // The bootstrap ones stay found.
      expect((await dangling('global-default'))?.status).toBe('False');
    } finally {
      keeper.stop();
    }
    // The decision alone: nothing to write when every condition is right.
    const fs = await c().get<Obj>(FlowSchemas, 'global-default');
    expect(danglingStatusUpdates([fs], new Set(['global-default']), '2026-01-01T00:00:00Z')).toEqual([]);
    expect(danglingStatusUpdates([fs], new Set(), '2026-01-01T00:00:00Z')[0]!.status).toMatchObject({ conditions: [{ type: 'Dangling', status: 'True', reason: 'NotFound' }] });
  });
});
