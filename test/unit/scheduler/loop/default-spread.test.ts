/**
 * The system default spread selector (upstream's helper.DefaultSelector) from Services, ReplicaSets and
 * StatefulSets, over plain lookups.
 */
import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { defaultSpreadSelector, type DefaultSpreadSources } from '../../../../src/control/scheduler/default-spread.js';
import { compileLabelSelector, matchesLabels } from '../../../../src/control/scheduler/selector.js';

const svc = (name: string, selector: Record<string, string> | undefined, namespace = 'default'): KubeObject => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: selector === undefined ? {} : { selector },
});
const workload = (kind: string, name: string, selector: unknown): KubeObject => ({
  apiVersion: 'apps/v1', kind, metadata: { name, namespace: 'default' }, spec: { selector },
});

function sources(objs: KubeObject[]): DefaultSpreadSources {
  const find = (kind: string) => (ns: string, name: string) =>
    objs.find((o) => o.kind === kind && o.metadata?.namespace === ns && o.metadata?.name === name);
  return {
    services: (ns) => objs.filter((o) => o.kind === 'Service' && o.metadata?.namespace === ns),
    replicaSet: find('ReplicaSet'),
    statefulSet: find('StatefulSet'),
  };
}

const pod = (labels: Record<string, string>, extra: { owner?: { apiVersion: string; kind: string; name: string; controller?: boolean }; spread?: unknown[] } = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name: 'p', namespace: 'default', labels,
    ...(extra.owner ? { ownerReferences: [{ uid: 'u', controller: true, ...extra.owner }] } : {}),
  },
  spec: { containers: [{ name: 'c', image: 'x' }], ...(extra.spread ? { topologySpreadConstraints: extra.spread } : {}) },
});

/** Whether the computed selector selects `labels` (undefined selects nothing: no default constraint). */
const selects = (sel: ReturnType<typeof defaultSpreadSelector>, labels: Record<string, string>): boolean =>
  sel !== undefined && matchesLabels(compileLabelSelector(sel), labels);

describe('defaultSpreadSelector', () => {
  test('Services selecting the pod are merged; nil-selector, non-matching and other-namespace Services are not', () => {
    const src = sources([
      svc('web', { app: 'web' }), svc('tier', { tier: 'fe' }), svc('db', { app: 'db' }),
      svc('headless', undefined), svc('prod', { app: 'web', env: 'prod' }, 'prod'),
    ]);
    const sel = defaultSpreadSelector(pod({ app: 'web', tier: 'fe', hash: 'h' }), src);
    expect(sel?.matchExpressions).toEqual(expect.arrayContaining([
      { key: 'app', operator: 'In', values: ['web'] }, { key: 'tier', operator: 'In', values: ['fe'] },
    ]));
    expect(sel?.matchExpressions).toHaveLength(2);
    expect(selects(sel, { app: 'web', tier: 'fe' })).toBe(true);
    expect(selects(sel, { app: 'web' })).toBe(false);
  });

  test('an empty Service selector selects every pod but adds no requirement', () => {
    expect(defaultSpreadSelector(pod({ app: 'web' }), sources([svc('all', {})]))).toBeUndefined();
  });

  test("the controlling ReplicaSet's or StatefulSet's selector is ANDed in, expressions included", () => {
    const rs = workload('ReplicaSet', 'web-h', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'track', operator: 'NotIn', values: ['canary'] }] });
    const ss = workload('StatefulSet', 'db', { matchLabels: { app: 'db' } });
    const src = sources([svc('tier', { tier: 'fe' }), rs, ss]);
    const fromRs = defaultSpreadSelector(pod({ app: 'web', tier: 'fe' }, { owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-h' } }), src);
    expect(selects(fromRs, { app: 'web', tier: 'fe' })).toBe(true);
    expect(selects(fromRs, { app: 'web', tier: 'fe', track: 'canary' })).toBe(false);
    expect(selects(fromRs, { app: 'web' })).toBe(false);
    const fromSs = defaultSpreadSelector(pod({ app: 'db' }, { owner: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' } }), src);
    expect(fromSs).toEqual({ matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] });
  });

  test('owners that do not count: not the controller, another group/version, missing, or with a nil/invalid selector', () => {
    const src = sources([
      workload('ReplicaSet', 'rs', { matchLabels: { app: 'web' } }),
      workload('ReplicaSet', 'nil', undefined),
      workload('StatefulSet', 'bad', { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] }),
    ]);
    const web = { app: 'web' };
    expect(defaultSpreadSelector(pod(web, { owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', controller: false } }), src)).toBeUndefined();
    expect(defaultSpreadSelector(pod(web, { owner: { apiVersion: 'extensions/v1beta1', kind: 'ReplicaSet', name: 'rs' } }), src)).toBeUndefined();
    expect(defaultSpreadSelector(pod(web, { owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'gone' } }), src)).toBeUndefined();
    expect(defaultSpreadSelector(pod(web, { owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'nil' } }), src)).toBeUndefined();
    expect(defaultSpreadSelector(pod(web, { owner: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'bad' } }), src)).toBeUndefined();
    expect(defaultSpreadSelector(pod(web, { owner: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'rs' } }), src)).toBeUndefined();
    // The same pod with a valid controlling ReplicaSet does get one.
    expect(defaultSpreadSelector(pod(web, { owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs' } }), src)).toBeDefined();
  });

  test('a pod with its own spread constraints gets none', () => {
    const src = sources([svc('web', { app: 'web' })]);
    expect(defaultSpreadSelector(pod({ app: 'web' }), src)).toBeDefined();
    expect(defaultSpreadSelector(pod({ app: 'web' }, { spread: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] }), src)).toBeUndefined();
  });
});
