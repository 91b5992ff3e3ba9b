import { describe, expect, it } from 'vitest';
import type { ControllerRevision } from '../../../src/control/controllers/shared/history.js';
import type { Pod } from '../../../src/control/controllers/shared/pod-util.js';
import {
  completeRollingUpdate, newStatefulSetPod, parentAndOrdinal, planStatefulSet, versionedPod, type Plan, type StatefulSetLike,
} from '../../../src/control/controllers/statefulset/decide.js';
import { chooseCurrentRevision, chooseUpdateRevision, newRevision } from '../../../src/control/controllers/statefulset/revisions.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function sts(replicas: number, extra: Partial<NonNullable<StatefulSetLike['spec']>> = {}, image = 'v1'): StatefulSetLike {
  return {
    metadata: { name: 'web', namespace: 'ns', uid: 'u1', generation: 2 },
    spec: {
      replicas, serviceName: 'svc', podManagementPolicy: 'OrderedReady',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      ...extra,
    },
  };
}

const rev = (name: string, revision: number, image = 'v1'): ControllerRevision => ({
  ...newRevision(sts(1, {}, image), revision, 0), metadata: { name, namespace: 'ns', labels: {} }, revision,
});
const R1 = rev('web-r1', 1);
const R2 = rev('web-r2', 2, 'v2');

/** A pod of the set at `revision`, Running and Ready unless told otherwise. */
function pod(ordinal: number, revision = 'web-r1', opts: { ready?: boolean; phase?: string; deleting?: boolean } = {}): Pod {
  const p = newStatefulSetPod(sts(1), sts(1).spec?.template, ordinal, revision);
  p.metadata!.namespace = 'ns';
  if (opts.deleting) p.metadata!.deletionTimestamp = iso(T0);
  p.status = { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: iso(T0 - 60_000) }] };
  return p;
}

const summary = (plan: Plan): string[] => [...plan.replicas, ...plan.condemned, ...plan.update].map((a) => `${a.type} ${a.pod.metadata?.name}`);
const step = (set: StatefulSetLike, pods: Pod[], cur = R1, upd = R1) => planStatefulSet(set, pods, cur, upd, 0, T0);

describe('identity', () => {
  it('parses <parent>-<ordinal>', () => {
    expect(parentAndOrdinal('web-12')).toEqual({ parent: 'web', ordinal: 12 });
    expect(parentAndOrdinal('my-web-0')).toEqual({ parent: 'my-web', ordinal: 0 });
    expect(parentAndOrdinal('web')).toEqual({ parent: '', ordinal: -1 });
  });

  it('names the pod, sets hostname/subdomain, the identity labels, the revision label and a controller reference', () => {
    const p = newStatefulSetPod(sts(3), sts(3).spec?.template, 2, 'web-r1');
    expect(p.metadata).toMatchObject({
      name: 'web-2', namespace: 'ns',
      labels: { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-2', 'apps.kubernetes.io/pod-index': '2', 'controller-revision-hash': 'web-r1' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true }],
    });
    expect(p.metadata?.generateName).toBeUndefined();
    expect(p.spec).toMatchObject({ hostname: 'web-2', subdomain: 'svc' });
  });
});

describe('OrderedReady', () => {
  it('creates one pod at a time, each after its predecessor is Running and Ready', () => {
    expect(summary(step(sts(3), []))).toEqual(['create web-0']);
    expect(summary(step(sts(3), [pod(0, 'web-r1', { ready: false })]))).toEqual([]);
    expect(summary(step(sts(3), [pod(0)]))).toEqual(['create web-1']);
    expect(summary(step(sts(3), [pod(0), pod(1), pod(2)]))).toEqual([]);
  });

  it('waits for minReadySeconds before the next ordinal', () => {
    const s = sts(2, { minReadySeconds: 120 });
    expect(summary(step(s, [pod(0)]))).toEqual([]);
  });

  it('honours spec.ordinals.start', () => {
    const s = sts(2, { ordinals: { start: 5 } });
    expect(summary(step(s, []))).toEqual(['create web-5']);
    const p5 = newStatefulSetPod(s, s.spec?.template, 5, 'web-r1');
    p5.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
    expect(summary(step(s, [p5]))).toEqual(['create web-6']);
    // web-0 is outside [5, 6]: condemned once the replicas are healthy.
    const p6 = newStatefulSetPod(s, s.spec?.template, 6, 'web-r1');
    p6.status = p5.status;
    expect(summary(step(s, [pod(0), p5, p6]))).toEqual(['delete web-0']);
  });

  it('scales down one pod at a time from the highest ordinal, waiting for the terminating one', () => {
    expect(summary(step(sts(1), [pod(0), pod(1), pod(2)]))).toEqual(['delete web-2']);
    expect(summary(step(sts(1), [pod(0), pod(1), pod(2, 'web-r1', { deleting: true })]))).toEqual([]);
    // An unhealthy replica blocks scale-down, except of the first unhealthy pod itself.
    expect(summary(step(sts(1), [pod(0, 'web-r1', { ready: false }), pod(1)]))).toEqual([]);
    expect(summary(step(sts(1), [pod(0), pod(1, 'web-r1', { ready: false }), pod(2)]))).toEqual(['delete web-2']);
    expect(summary(step(sts(1), [pod(0), pod(1), pod(2, 'web-r1', { ready: false })]))).toEqual(['delete web-2']);
  });

  it('replaces a failed pod by deleting it, and fixes a pod whose identity labels were removed', () => {
    expect(summary(step(sts(2), [pod(0, 'web-r1', { phase: 'Failed' }), pod(1)]))).toEqual(['delete web-0']);
    const stripped = pod(0);
    delete stripped.metadata!.labels!['statefulset.kubernetes.io/pod-name'];
    const plan = step(sts(1), [stripped]);
    expect(summary(plan)).toEqual(['update web-0']);
    expect(plan.replicas[0]!.pod.metadata?.labels?.['statefulset.kubernetes.io/pod-name']).toBe('web-0');
  });
});

describe('Parallel', () => {
  it('creates and deletes without waiting', () => {
    const s = sts(3, { podManagementPolicy: 'Parallel' });
    expect(summary(step(s, []))).toEqual(['create web-0', 'create web-1', 'create web-2']);
    expect(summary(step(s, [pod(0, 'web-r1', { ready: false })]))).toEqual(['create web-1', 'create web-2']);
    const one = sts(1, { podManagementPolicy: 'Parallel' });
    expect(summary(step(one, [pod(0, 'web-r1', { ready: false }), pod(1), pod(2)]))).toEqual(['delete web-2', 'delete web-1']);
  });
});

describe('rolling update', () => {
  const all = (r: string[]) => r.map((x, i) => pod(i, x));

  it('deletes the highest-ordinal old pod, waits for its replacement to be healthy, then moves down', () => {
    const s = sts(3, {}, 'v2');
    const plan = step(s, all(['web-r1', 'web-r1', 'web-r1']), R1, R2);
    expect(summary(plan)).toEqual(['delete web-2']);
    expect(plan.status).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 2, updatedReplicas: 0, currentRevision: 'web-r1', updateRevision: 'web-r2' });
    const pods = all(['web-r1', 'web-r1', 'web-r2']);
    pods[2] = pod(2, 'web-r2', { ready: false });
    expect(summary(step(s, pods, R1, R2))).toEqual([]);
    expect(summary(step(s, all(['web-r1', 'web-r1', 'web-r2']), R1, R2))).toEqual(['delete web-1']);
  });

  it('recreates a missing pod at the update revision, or at the current one below the partition', () => {
    const s = sts(3, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }, 'v2');
    expect(versionedPod(s, R1, R2, 2).metadata?.labels?.['controller-revision-hash']).toBe('web-r2');
    const low = versionedPod(s, R1, R2, 1);
    expect(low.metadata?.labels?.['controller-revision-hash']).toBe('web-r1');
    expect((low.spec?.containers?.[0] as { image?: string }).image).toBe('v1');
  });

  it('stops at the partition', () => {
    const s = sts(3, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }, 'v2');
    expect(summary(step(s, all(['web-r1', 'web-r1', 'web-r1']), R1, R2))).toEqual(['delete web-2']);
    expect(summary(step(s, all(['web-r1', 'web-r1', 'web-r2']), R1, R2))).toEqual([]);
  });

  it('with maxUnavailable takes several pods down at once, counting unhealthy ones', () => {
    const s = sts(4, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } } }, 'v2');
    expect(summary(step(s, all(['web-r1', 'web-r1', 'web-r1', 'web-r1']), R1, R2))).toEqual(['delete web-3', 'delete web-2']);
    const pods = all(['web-r1', 'web-r1', 'web-r1', 'web-r2']);
    pods[3] = pod(3, 'web-r2', { ready: false });
    expect(summary(step({ ...s, spec: { ...s.spec, podManagementPolicy: 'Parallel' } }, pods, R1, R2))).toEqual(['delete web-2']);
  });

  it('OnDelete leaves old pods alone', () => {
    const s = sts(2, { updateStrategy: { type: 'OnDelete' } }, 'v2');
    expect(summary(step(s, all(['web-r1', 'web-r1']), R1, R2))).toEqual([]);
  });

  it('completes: once all replicas are updated and ready, the update revision becomes current', () => {
    const s = sts(2, {}, 'v2');
    const plan = step(s, all(['web-r2', 'web-r2']), R1, R2);
    expect(completeRollingUpdate(s, plan.status)).toMatchObject({ currentRevision: 'web-r2', currentReplicas: 2, updatedReplicas: 2 });
    const partial = step(s, all(['web-r1', 'web-r2']), R1, R2);
    expect(completeRollingUpdate(s, partial.status).currentRevision).toBe('web-r1');
  });
});

describe('revisions', () => {
  it('creates the first revision, reuses the newest when the template is unchanged, renumbers an old one on rollback', () => {
    const s = sts(1);
    const first = chooseUpdateRevision(s, []);
    expect(first.kind).toBe('create');
    expect(first.revision.revision).toBe(1);
    expect(first.revision.metadata?.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(first.revision.metadata?.labels?.['controller-revision-hash']).toBe(first.revision.metadata?.name?.slice(4));
    const r1 = { ...first.revision, revision: 1 };
    expect(chooseUpdateRevision(s, [r1])).toEqual({ kind: 'existing', revision: r1 });
    const v2 = sts(1, {}, 'v2');
    const second = chooseUpdateRevision(v2, [r1]);
    expect(second.kind).toBe('create');
    expect(second.revision.revision).toBe(2);
    const r2 = { ...second.revision, revision: 2 };
    expect(chooseUpdateRevision(s, [r1, r2])).toEqual({ kind: 'renumber', revision: r1, to: 3 });
  });

  it('takes the current revision from status, else the update revision', () => {
    expect(chooseCurrentRevision(sts(1), [R1, R2], R2)).toBe(R2);
    expect(chooseCurrentRevision({ ...sts(1), status: { replicas: 1, currentRevision: 'web-r1' } }, [R1, R2], R2)).toBe(R1);
  });
});
