import { describe, expect, it } from 'vitest';
import {
  ANCIENT_CHANGES, definitionOf, serverSideApply, trackUpdate, type ManagedFieldsEntry,
} from '../../../../../src/control/api/patch/apply/index.js';
import type { KubeObject } from '../../../../../src/control/api/resource.js';

const T0 = new Date('2026-11-25T12:00:00Z');
const T1 = new Date('2026-11-25T12:01:00Z');
type Obj = Record<string, unknown>;

const deployment = (replicas: number, image = 'nginx:1', extra: Obj = {}): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', uid: 'u1', labels: { app: 'web' }, ...extra },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
  },
  status: { replicas: 1 },
});
const entries = (o: KubeObject): ManagedFieldsEntry[] => (o.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
const fieldsOf = (o: KubeObject, manager: string): Obj | undefined => entries(o).find((e) => e.manager === manager)?.fieldsV1;

describe('trackUpdate', () => {
  it('records a create as upstream does: no ownership of spec or metadata themselves, added pointers marked with "."', () => {
    const created = trackUpdate(null, deployment(2), 'kubectl-create', 'apps/v1', T0);
    expect(entries(created)).toEqual([{
      manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', time: '2026-11-25T12:00:00Z', fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} },
          'f:template': {
            'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
            'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
          },
        },
      },
    }]);
  });

  it('gives changed fields to the writer and takes them from their previous owners', () => {
    const created = trackUpdate(null, deployment(2), 'creator', 'apps/v1', T0);
    const scaled = trackUpdate(created, deployment(5), 'scaler', 'apps/v1', T1);
    expect(fieldsOf(scaled, 'scaler')).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect((fieldsOf(scaled, 'creator')!['f:spec'] as Obj)['f:replicas']).toBeUndefined();
    // Entries sort by operation, then time.
    expect(entries(scaled).map((e) => e.manager)).toEqual(['creator', 'scaler']);
    // A write that changes nothing leaves managedFields alone.
    const noop = trackUpdate(scaled, deployment(5), 'other', 'apps/v1', new Date('2026-11-25T13:00:00Z'));
    expect(noop.metadata!.managedFields).toEqual(scaled.metadata!.managedFields);
  });

  it('drops removed fields from every manager', () => {
    const created = trackUpdate(null, deployment(2), 'creator', 'apps/v1', T0);
    const noLabels = deployment(2);
    delete noLabels.metadata!.labels;
    const out = trackUpdate(created, noLabels, 'editor', 'apps/v1', T1);
    expect(fieldsOf(out, 'creator')!['f:metadata']).toBeUndefined();
    expect(fieldsOf(out, 'editor')).toBeUndefined();
  });

  it('does not record status through the main resource, and records only status through /status', () => {
    const created = trackUpdate(null, deployment(2), 'creator', 'apps/v1', T0);
    expect(fieldsOf(created, 'creator')!['f:status']).toBeUndefined();
    const withStatus = structuredClone(created);
    withStatus['status'] = { replicas: 2, readyReplicas: 2 };
    const out = trackUpdate(created, withStatus, 'kube-controller-manager', 'apps/v1', T1, { subresource: 'status' });
    const e = entries(out).find((x) => x.manager === 'kube-controller-manager')!;
    expect(e.subresource).toBe('status');
    expect(e.fieldsV1).toEqual({ 'f:status': { 'f:readyReplicas': {}, 'f:replicas': {} } });
  });

  it('lets a write set managedFields, and [{}] clear them', () => {
    const created = trackUpdate(null, deployment(2), 'creator', 'apps/v1', T0);
    const edited = structuredClone(created);
    edited.metadata!.managedFields = [{
      manager: 'someone', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    }];
    const out = trackUpdate(created, edited, 'editor', 'apps/v1', T1);
    expect(entries(out).map((e) => e.manager)).toEqual(['someone']);
    const cleared = structuredClone(created);
    cleared.metadata!.managedFields = [{}];
    expect(trackUpdate(created, cleared, 'editor', 'apps/v1', T1).metadata!.managedFields).toBeUndefined();
  });

  it('folds the oldest of more than ten update managers into ancient-changes', () => {
    let obj = trackUpdate(null, deployment(0), 'm0', 'apps/v1', T0);
    for (let i = 1; i <= 11; i++) obj = trackUpdate(obj, deployment(i), `m${i}`, 'apps/v1', new Date(T0.getTime() + i * 60_000));
    // m0 still owns most fields; m1..m10 each owned replicas in turn and lost it to the next.
    const managers = entries(obj).map((e) => e.manager);
    expect(managers).toEqual(['m0', 'm11']);
    // Eleven distinct survivors force folding.
    let many = trackUpdate(null, deployment(0), 'm0', 'apps/v1', T0);
    for (let i = 1; i <= 11; i++) {
      const next = structuredClone(many);
      next.metadata!.labels = { ...next.metadata!.labels, [`l${i}`]: 'x' };
      many = trackUpdate(many, next, `m${i}`, 'apps/v1', new Date(T0.getTime() + i * 60_000));
    }
    const names = entries(many).map((e) => e.manager);
    expect(names.length).toBe(10);
    expect(names[0]).toBe(ANCIENT_CHANGES);
    const ancient = entries(many)[0]!.fieldsV1['f:metadata'] as Obj;
    // The bucket holds the first two managers' fields.
    expect((ancient['f:labels'] as Obj)['f:l1']).toEqual({});
    expect((ancient['f:labels'] as Obj)['f:app']).toEqual({});
  });

  it('keeps duplicate and keyless items of stored objects apart instead of failing', () => {
    const bad = deployment(1);
    (((bad['spec'] as Obj)['template'] as Obj)['spec'] as Obj)['containers'] = [{ image: 'a' }, { name: 'x', image: 'b' }, { name: 'x', image: 'c' }];
    const out = trackUpdate(null, bad, 'creator', 'apps/v1', T0);
    const cs = ((((fieldsOf(out, 'creator')!['f:spec'] as Obj)['f:template'] as Obj)['f:spec'] as Obj)['f:containers'] as Obj);
    expect(Object.keys(cs)).toEqual(['k:{"name":"x"}', 'i:0', 'i:2']);
  });

  it('derives the definition of built-in kinds from apiVersion and kind', () => {
    expect(definitionOf({ apiVersion: 'v1', kind: 'Pod' })).toBe('io.k8s.api.core.v1.Pod');
    expect(definitionOf({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' })).toBe('io.k8s.api.discovery.v1.EndpointSlice');
  });

  it('leaves its input alone', () => {
    const created = trackUpdate(null, deployment(2), 'creator', 'apps/v1', T0);
    const next = deployment(3);
    const copy = structuredClone(next);
    trackUpdate(created, next, 'x', 'apps/v1', T1);
    expect(next).toEqual(copy);
  });

  it('hands applied fields to an updater that changes them (no conflict for updates)', () => {
    const applied = serverSideApply(null, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 },
    }, { manager: 'ci', force: false, definition: 'io.k8s.api.apps.v1.Deployment', now: T0 });
    const next = structuredClone(applied);
    (next['spec'] as Obj)['replicas'] = 6;
    const out = trackUpdate(applied, next, 'kubectl-scale', 'apps/v1', T1);
    expect(fieldsOf(out, 'ci')).toBeUndefined();
    expect(fieldsOf(out, 'kubectl-scale')).toEqual({ 'f:spec': { 'f:replicas': {} } });
  });
});
