import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { deployments, replicasets, statefulsets, daemonsets } from '../../../../src/control/api/kinds/index.js';

const template = (labels: Record<string, string> = { app: 'web' }) =>
  ({ metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } });
const obj = (kind: string, spec: Record<string, unknown>): KubeObject =>
  ({ apiVersion: 'apps/v1', kind, metadata: { name: 'web', namespace: 'default' }, spec });

describe('deployments', () => {
  const s = deployments.strategy;
  const make = (spec: Record<string, unknown> = {}) => {
    const o = obj('Deployment', { selector: { matchLabels: { app: 'web' } }, template: template(), ...spec });
    s.default!(o);
    return o;
  };

  test('defaults as apps/v1', () => {
    const o = make();
    expect(o.spec).toMatchObject({
      replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      template: { spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30 } },
    });
    // enableServiceLinks is a Pod default, not a template default.
    expect((o.spec as { template: { spec: Record<string, unknown> } }).template.spec.enableServiceLinks).toBeUndefined();
    expect(s.validate!(o)).toEqual([]);
  });

  test('a template\'s pod spec carries the deprecated serviceAccount alias too', () => {
    const t = template();
    (t.spec as Record<string, unknown>).serviceAccount = 'legacy';
    const o = make({ template: t });
    expect((o.spec as { template: { spec: Record<string, unknown> } }).template.spec).toMatchObject({ serviceAccountName: 'legacy', serviceAccount: 'legacy' });
  });

  test('replicas >= 0, selector required and must match template labels', () => {
    expect(s.validate!(make({ replicas: -1 }))).toEqual([{ type: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' }]);
    const noSel = make();
    delete (noSel.spec as Record<string, unknown>).selector;
    expect(s.validate!(noSel).map((e) => `${e.field} ${e.type}`)).toEqual(['spec.selector FieldValueRequired']);
    const mismatch = s.validate!(make({ selector: { matchLabels: { app: 'api' } } }));
    expect(mismatch).toEqual([{ type: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`' }]);
    expect(s.validate!(make({ selector: {} })).map((e) => e.message)).toEqual(['Invalid value: {}: empty selector is invalid for deployment']);
  });

  test('template restart policy must be Always; strategy rules', () => {
    const o = make();
    (o.spec as { template: { spec: Record<string, unknown> } }).template.spec.restartPolicy = 'Never';
    expect(s.validate!(o).map((e) => e.message)).toEqual(['Unsupported value: "Never": supported values: "Always"']);
    expect(s.validate!(make({ strategy: { type: 'Recreate', rollingUpdate: {} } })).map((e) => e.field)).toEqual(['spec.strategy.rollingUpdate']);
    expect(s.validate!(make({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } })).map((e) => e.field))
      .toEqual(['spec.strategy.rollingUpdate.maxUnavailable']);
  });

  test('selector is immutable', () => {
    const old = make();
    const next = make({ selector: { matchLabels: { app: 'web', v: '2' } }, template: template({ app: 'web', v: '2' }) });
    expect(s.validateUpdate!(next, old).map((e) => `${e.field} ${e.type}`)).toEqual(['spec.selector FieldValueInvalid']);
  });
});

describe('replicasets, statefulsets, daemonsets', () => {
  test('replicaset defaults replicas and validates like a deployment', () => {
    const o = obj('ReplicaSet', { selector: { matchLabels: { app: 'web' } }, template: template() });
    replicasets.strategy.default!(o);
    expect((o.spec as Record<string, unknown>).replicas).toBe(1);
    expect(replicasets.strategy.validate!(o)).toEqual([]);
  });

  test('statefulset defaults and forbidden spec updates', () => {
    const s = statefulsets.strategy;
    const o = obj('StatefulSet', { serviceName: 'web', selector: { matchLabels: { app: 'web' } }, template: template() });
    s.default!(o);
    expect(o.spec).toMatchObject({
      replicas: 1, podManagementPolicy: 'OrderedReady', revisionHistoryLimit: 10,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    expect(s.validate!(o)).toEqual([]);
    const scaled = structuredClone(o);
    (scaled.spec as Record<string, unknown>).replicas = 3;
    expect(s.validateUpdate!(scaled, o)).toEqual([]);
    const renamed = structuredClone(o);
    (renamed.spec as Record<string, unknown>).serviceName = 'other';
    expect(s.validateUpdate!(renamed, o).map((e) => `${e.field} ${e.type}`)).toEqual(['spec FieldValueForbidden']);
  });

  test('daemonset defaults and activeDeadlineSeconds rejection', () => {
    const s = daemonsets.strategy;
    const o = obj('DaemonSet', { selector: { matchLabels: { app: 'web' } }, template: template() });
    s.default!(o);
    expect(o.spec).toMatchObject({ revisionHistoryLimit: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } });
    expect(s.validate!(o)).toEqual([]);
    (o.spec as { template: { spec: Record<string, unknown> } }).template.spec.activeDeadlineSeconds = 10;
    expect(s.validate!(o).map((e) => e.message)).toEqual(['Invalid value: 10: activeDeadlineSeconds in DaemonSet is not Supported']);
  });
});
