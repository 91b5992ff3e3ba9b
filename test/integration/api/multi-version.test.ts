/**
 * One stored kind served in two versions: HorizontalPodAutoscalers stored as autoscaling/v2 and served as v1
 * too, converted on every verb as kube-apiserver 1.32 does (v1 ⇄ v2 through the round-trip annotations).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type RestClient } from '../../../src/client/rest.js';
import type { ResourceRef } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { storageVersionHash } from '../../../src/control/api/discovery.js';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';

const NS = 'default';
const V1: ResourceRef = { group: 'autoscaling', version: 'v1', plural: 'horizontalpodautoscalers', namespaced: true };
const V2: ResourceRef = { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', namespaced: true };
const METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
const BEHAVIOR = 'autoscaling.alpha.kubernetes.io/behavior';
const CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';
const CURRENT = 'autoscaling.alpha.kubernetes.io/current-metrics';

let cluster: TestCluster;
let c: RestClient;

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
const v1Hpa = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name, namespace: NS, ...extra },
  spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 },
});
const spec = (o: KubeObject) => o['spec'] as Record<string, unknown>;
const annotations = (o: KubeObject) => o.metadata?.annotations ?? {};

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

beforeAll(async () => {
  cluster = await startTestCluster({ metrics: false, bookmarkIntervalMs: 100 });
  c = cluster.client;
});

afterAll(async () => {
  await cluster?.close();
});

describe('autoscaling/v1 HorizontalPodAutoscaler beside v2', () => {
  it('creates in v1 and reads the same object in v2 and back', async () => {
    const created = await c.create(V1, v1Hpa('web'), { fieldManager: 'kubectl-autoscale' });
    expect(created.apiVersion).toBe('autoscaling/v1');
    expect(spec(created)).toEqual({ scaleTargetRef: ref, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 });
    // The write is recorded in the version it was made in.
    expect(created.metadata?.managedFields).toEqual([
      expect.objectContaining({ manager: 'kubectl-autoscale', operation: 'Update', apiVersion: 'autoscaling/v1' }),
    ]);
    const fields = JSON.stringify(created.metadata?.managedFields?.[0]?.fieldsV1);
    expect(fields).toContain('f:targetCPUUtilizationPercentage');

    const v2 = await c.get(V2, 'web', NS);
    expect(v2.apiVersion).toBe('autoscaling/v2');
    expect(v2.metadata?.uid).toBe(created.metadata?.uid);
    expect(v2.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    expect(spec(v2)['metrics']).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
    expect(v2.metadata?.annotations).toBeUndefined();

    const back = await c.get(V1, 'web', NS);
    expect(back).toEqual(created);
  });

  it('keeps v2-only metrics and behavior through a read-modify-write in v1', async () => {
    const metrics = [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
    ];
    const behavior = { scaleDown: { stabilizationWindowSeconds: 120, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } };
    await c.create(V2, {
      metadata: { name: 'mem', namespace: NS, labels: { tier: 'api' } },
      spec: { scaleTargetRef: ref, minReplicas: 2, maxReplicas: 8, metrics, behavior },
    });
    const v1 = await c.get(V1, 'mem', NS);
    expect(spec(v1)).toEqual({ scaleTargetRef: ref, minReplicas: 2, maxReplicas: 8, targetCPUUtilizationPercentage: 60 });
    expect(JSON.parse(annotations(v1)[METRICS]!)).toEqual([{ type: 'Resource', resource: { name: 'memory', targetAverageValue: '500Mi' } }]);
    expect(JSON.parse(annotations(v1)[BEHAVIOR]!)).toEqual({
      ScaleUp: null,
      ScaleDown: { StabilizationWindowSeconds: 120, SelectPolicy: 'Min', Policies: [{ Type: 'Pods', Value: 2, PeriodSeconds: 60 }] },
    });

    // kubectl edit through v1: the annotations come back with the body, so nothing is lost.
    spec(v1)['maxReplicas'] = 10;
    spec(v1)['targetCPUUtilizationPercentage'] = 70;
    const updated = await c.update(V1, v1);
    expect(spec(updated)['maxReplicas']).toBe(10);
    const v2 = await c.get(V2, 'mem', NS);
    expect(spec(v2)['maxReplicas']).toBe(10);
    expect(spec(v2)['metrics']).toEqual([metrics[1], { ...metrics[0], resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
    expect(spec(v2)['behavior']).toEqual(behavior);
    expect(v2.metadata?.generation).toBe(2);
    // Round-trip annotations are never stored.
    expect(v2.metadata?.annotations).toBeUndefined();

    // Without the annotation the other metrics go, as upstream (v1 only says cpu).
    const again = await c.get(V1, 'mem', NS);
    delete again.metadata!.annotations![METRICS];
    await c.update(V1, again);
    expect(spec(await c.get(V2, 'mem', NS))['metrics']).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
    ]);
  });

  it('a v2 write drops round-trip annotations, as upstream', async () => {
    const created = await c.create(V2, {
      metadata: { name: 'noisy', namespace: NS, annotations: { [METRICS]: '[]', [CONDITIONS]: 'x', keep: 'me' } },
      spec: { scaleTargetRef: ref, maxReplicas: 2 },
    });
    expect(created.metadata?.annotations).toEqual({ keep: 'me' });
    await c.delete(V2, NS, 'noisy');
  });

  it('lists v1 with selectors and serves upstream Table columns from the storage version', async () => {
    const list = await c.list(V1, { namespace: NS, labelSelector: 'tier=api' });
    expect(list.kind).toBe('HorizontalPodAutoscalerList');
    expect(list.apiVersion).toBe('autoscaling/v1');
    expect(list.items.map((i) => [i.apiVersion, i.metadata?.name])).toEqual([['autoscaling/v1', 'mem']]);
    // From the watch cache too.
    const cached = await c.list(V1, { namespace: NS, resourceVersion: '0' });
    expect(cached.items.every((i) => i.apiVersion === 'autoscaling/v1' && 'targetCPUUtilizationPercentage' in spec(i))).toBe(true);

    const res = await fetch(`${cluster.url}/apis/autoscaling/v1/namespaces/${NS}/horizontalpodautoscalers/web`, {
      headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    const table = (await res.json()) as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
    expect(table.columnDefinitions.map((d) => d.name)).toEqual(['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age']);
    expect(table.rows[0]!.cells.slice(0, 5)).toEqual(['web', 'Deployment/web', 'cpu: <unknown>/50%', '1', 5]);
  });

  it('patches in v1: merge, strategic merge and server-side apply', async () => {
    await c.patch(V1, NS, 'web', { spec: { targetCPUUtilizationPercentage: 65 } }, 'merge');
    expect(spec(await c.get(V2, 'web', NS))['metrics']).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 65 } } },
    ]);
    const smp = await c.patch(V1, NS, 'web', { spec: { maxReplicas: 6 } }, 'strategic');
    expect(spec(smp)).toMatchObject({ maxReplicas: 6, targetCPUUtilizationPercentage: 65 });

    // Unknown to v1 (it is a v2 field): dropped with a warning under Warn, refused under Strict.
    const strict = await failure(c.request('PATCH', `/apis/autoscaling/v1/namespaces/${NS}/horizontalpodautoscalers/web`,
      { spec: { metrics: [] } }, 'application/merge-patch+json', { fieldValidation: 'Strict' }));
    expect(strict.code).toBe(400);
    expect(strict.message).toContain('unknown field "spec.metrics"');

    const applied = await c.patch(V1, NS, 'applied', {
      apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'applied' },
      spec: { scaleTargetRef: ref, maxReplicas: 3, targetCPUUtilizationPercentage: 40 },
    }, 'apply', { fieldManager: 'tester' });
    expect(applied.apiVersion).toBe('autoscaling/v1');
    expect(applied.metadata?.managedFields?.[0]).toMatchObject({ manager: 'tester', operation: 'Apply', apiVersion: 'autoscaling/v1' });
    expect(spec(await c.get(V2, 'applied', NS))).toMatchObject({
      minReplicas: 1, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 40 } } }],
    });
    const reapplied = await c.patch(V1, NS, 'applied', {
      apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'applied' },
      spec: { scaleTargetRef: ref, maxReplicas: 4, targetCPUUtilizationPercentage: 40 },
    }, 'apply', { fieldManager: 'tester' });
    expect(spec(reapplied)['maxReplicas']).toBe(4);
  });

  it('converts the status subresource: current cpu utilization and conditions', async () => {
    const v2 = await c.get(V2, 'web', NS);
    v2['status'] = {
      currentReplicas: 2, desiredReplicas: 3,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '120m', averageUtilization: 30 } } }],
      conditions: [{ type: 'AbleToScale', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z', reason: 'ReadyForNewScale', message: 'recommended size matches current size' }],
    };
    await c.update(V2, v2, { subresource: 'status' });
    const v1 = await c.get(V1, 'web', NS, 'status');
    expect(v1['status']).toEqual({ currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 30 });
    expect(JSON.parse(annotations(v1)[CONDITIONS]!)).toEqual([
      { type: 'AbleToScale', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
    ]);
    expect(JSON.parse(annotations(v1)[CURRENT]!)).toEqual([
      { type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 30, currentAverageValue: '120m' } },
    ]);

    // A v1 status write: its one number, and the annotations' conditions, land in the v2 status.
    (v1['status'] as Record<string, unknown>)['desiredReplicas'] = 4;
    const written = await c.update(V1, v1, { subresource: 'status' });
    expect(written.apiVersion).toBe('autoscaling/v1');
    const after = await c.get(V2, 'web', NS);
    expect(after['status']).toMatchObject({
      currentReplicas: 2, desiredReplicas: 4,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '120m', averageUtilization: 30 } } }],
      conditions: [expect.objectContaining({ type: 'AbleToScale', reason: 'ReadyForNewScale' })],
    });
  });

  it('watches in v1: events and bookmarks carry v1 objects', async () => {
    const start = (await c.list(V1, { namespace: NS })).metadata?.resourceVersion;
    const ac = new AbortController();
    const seen: { type: string; object: KubeObject }[] = [];
    const done = (async () => {
      for await (const ev of c.watch(V1, { namespace: NS, resourceVersion: start, allowWatchBookmarks: true, signal: ac.signal })) {
        seen.push(ev as { type: string; object: KubeObject });
        if (seen.some((e) => e.type === 'BOOKMARK') && seen.some((e) => e.type === 'DELETED')) break;
      }
    })();
    await c.create(V2, { metadata: { name: 'watched', namespace: NS }, spec: { scaleTargetRef: ref, maxReplicas: 2 } });
    await c.delete(V2, NS, 'watched');
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`watch saw ${JSON.stringify(seen)}`)), 5000))]);
    ac.abort();
    const added = seen.find((e) => e.type === 'ADDED')!;
    expect(added.object.apiVersion).toBe('autoscaling/v1');
    // The server's default metric (cpu 80%) seen as v1's target.
    expect(spec(added.object)).toMatchObject({ maxReplicas: 2, targetCPUUtilizationPercentage: 80 });
    expect(seen.find((e) => e.type === 'DELETED')!.object.apiVersion).toBe('autoscaling/v1');
    expect(seen.find((e) => e.type === 'BOOKMARK')!.object).toMatchObject({ kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v1' });
  });

  it('answers errors naming the kind as upstream does, and deletes through v1', async () => {
    const missing = await failure(c.get(V1, 'nope', NS));
    expect(missing.code).toBe(404);
    expect(missing.message).toContain('horizontalpodautoscalers.autoscaling "nope" not found');
    const invalid = await failure(c.create(V1, { ...v1Hpa('bad'), spec: { scaleTargetRef: ref, maxReplicas: 0 } }));
    expect(invalid.code).toBe(422);
    expect(invalid.message).toContain('HorizontalPodAutoscaler.autoscaling "bad" is invalid');
    expect(invalid.message).toContain('spec.maxReplicas');
    const wrongVersion = await failure(c.request('POST', `/apis/autoscaling/v1/namespaces/${NS}/horizontalpodautoscalers`, { ...v1Hpa('x'), apiVersion: 'autoscaling/v2' }));
    expect(wrongVersion.code).toBe(400);

    const status = await c.delete(V1, NS, 'applied');
    expect(status).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'applied', group: 'autoscaling', kind: 'horizontalpodautoscalers' } });
    expect((await failure(c.get(V2, 'applied', NS))).code).toBe(404);
  });

  it('dry-runs and deletes collections through v1', async () => {
    const dry = await c.create(V1, v1Hpa('dry'), { dryRun: true });
    expect(dry.apiVersion).toBe('autoscaling/v1');
    expect(spec(dry)['targetCPUUtilizationPercentage']).toBe(50);
    expect((await failure(c.get(V2, 'dry', NS))).code).toBe(404);

    await c.create(V1, v1Hpa('gone-1', { labels: { batch: 'x' } }));
    await c.create(V1, v1Hpa('gone-2', { labels: { batch: 'x' } }));
    const deleted = await c.request<{ kind: string; apiVersion: string; items: KubeObject[] }>(
      'DELETE', `/apis/autoscaling/v1/namespaces/${NS}/horizontalpodautoscalers`, undefined, undefined, { labelSelector: 'batch=x' },
    );
    expect(deleted).toMatchObject({ kind: 'HorizontalPodAutoscalerList', apiVersion: 'autoscaling/v1' });
    expect(deleted.items.map((i) => [i.apiVersion, i.metadata?.name]).sort()).toEqual([['autoscaling/v1', 'gone-1'], ['autoscaling/v1', 'gone-2']]);
    expect((await c.list(V2, { namespace: NS, labelSelector: 'batch=x' })).items).toEqual([]);
  });

  it('discovery lists autoscaling v2 (preferred) and v1, one storage version', async () => {
    const group = await c.request<{ versions: { version: string }[]; preferredVersion: { version: string } }>('GET', '/apis/autoscaling');
    expect(group.versions.map((v) => v.version)).toEqual(['v2', 'v1']);
    expect(group.preferredVersion.version).toBe('v2');
    type ResourceList = { resources: { name: string; kind: string; storageVersionHash?: string; shortNames?: string[] }[] };
    const v1 = await c.request<ResourceList>('GET', '/apis/autoscaling/v1');
    const v2 = await c.request<ResourceList>('GET', '/apis/autoscaling/v2');
    const hpaV1 = v1.resources.find((r) => r.name === 'horizontalpodautoscalers')!;
    const hpaV2 = v2.resources.find((r) => r.name === 'horizontalpodautoscalers')!;
    expect(hpaV1).toMatchObject({ kind: 'HorizontalPodAutoscaler', shortNames: ['hpa'] });
    expect(hpaV1.storageVersionHash).toBe(hpaV2.storageVersionHash);
    expect(hpaV1.storageVersionHash).toBe(storageVersionHash({ group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' }));
    expect(v1.resources.map((r) => r.name)).toContain('horizontalpodautoscalers/status');

    const res = await fetch(`${cluster.url}/apis`, { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' } });
    const agg = (await res.json()) as { items: { metadata: { name: string }; versions: { version: string }[] }[] };
    expect(agg.items.find((i) => i.metadata.name === 'autoscaling')!.versions.map((v) => v.version)).toEqual(['v2', 'v1']);

    const openapi = await fetch(`${cluster.url}/openapi/v3/apis/autoscaling/v1`);
    expect(openapi.status).toBe(200);
    const doc = (await openapi.json()) as { components: { schemas: Record<string, { 'x-kubernetes-group-version-kind'?: unknown; properties?: Record<string, unknown> }> } };
    const schema = doc.components.schemas['io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler']!;
    expect(schema['x-kubernetes-group-version-kind']).toEqual([{ group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler' }]);
    expect(doc.components.schemas['io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerSpec']!.properties).toHaveProperty('targetCPUUtilizationPercentage');
  });
});
