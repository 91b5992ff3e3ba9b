import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { jobs, cronjobs } from '../../../../src/control/api/kinds/index.js';

const podTemplate = () => ({ spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36' }] } });

describe('jobs', () => {
  const s = jobs.strategy;
  const make = (spec: Record<string, unknown> = {}, uid = 'u-1'): KubeObject => {
    const o: KubeObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', namespace: 'default', uid }, spec: { template: podTemplate(), ...spec } };
    s.default!(o);
    return o;
  };

  test('defaults and the generated selector', () => {
    const o = make();
    expect(o.spec).toMatchObject({
      completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } },
      template: { metadata: { labels: { 'batch.kubernetes.io/job-name': 'pi', 'job-name': 'pi', 'controller-uid': 'u-1' } } },
    });
    expect(o.metadata!.labels).toMatchObject({ 'job-name': 'pi' });
    expect(s.validate!(o)).toEqual([]);
  });

  test('parallelism without completions leaves completions unset', () => {
    expect((make({ parallelism: 3 }).spec as Record<string, unknown>).completions).toBeUndefined();
  });

  test('restart policy Always is not allowed for Jobs', () => {
    const o = make();
    (o.spec as { template: { spec: Record<string, unknown> } }).template.spec.restartPolicy = 'Always';
    expect(s.validate!(o)).toEqual([{ type: 'FieldValueNotSupported', field: 'spec.template.spec.restartPolicy', message: 'Unsupported value: "Always": supported values: "OnFailure", "Never"' }]);
  });

  test('negative counts and an immutable template', () => {
    expect(s.validate!(make({ backoffLimit: -1, parallelism: -2 })).map((e) => e.field)).toEqual(['spec.parallelism', 'spec.backoffLimit']);
    const old = make();
    const next = structuredClone(old);
    (next.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec.containers[0]!.image = 'busybox:2';
    expect(s.validateUpdate!(next, old).map((e) => `${e.field} ${e.type}`)).toEqual(['spec.template FieldValueInvalid']);
  });

  test('a Job stored before the serviceAccount alias was mirrored may still be updated (suspend)', () => {
    const stored = make({ template: { spec: { ...podTemplate().spec, serviceAccountName: 'runner' } } });
    delete (stored.spec as { template: { spec: Record<string, unknown> } }).template.spec.serviceAccount;
    const next = structuredClone(stored);
    (next.spec as Record<string, unknown>).suspend = true;
    s.default!(next);
    expect((next.spec as { template: { spec: Record<string, unknown> } }).template.spec.serviceAccount).toBe('runner');
    expect(s.validateUpdate!(next, stored)).toEqual([]);
    (next.spec as { template: { spec: Record<string, unknown> } }).template.spec.serviceAccountName = 'other';
    s.default!(next);
    expect(s.validateUpdate!(next, stored).map((e) => e.field)).toEqual(['spec.template']);
  });
});

describe('cronjobs', () => {
  const s = cronjobs.strategy;
  const make = (spec: Record<string, unknown> = {}, name = 'tick'): KubeObject => {
    const o: KubeObject = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: 'default' }, spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: podTemplate() } }, ...spec } };
    s.default!(o);
    return o;
  };

  test('defaults and a valid cronjob', () => {
    const o = make();
    expect(o.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(s.validate!(o)).toEqual([]);
  });

  test('schedule, policy, name length', () => {
    expect(s.validate!(make({ schedule: 'every minute' })).map((e) => `${e.field} ${e.type}`)).toEqual(['spec.schedule FieldValueInvalid']);
    expect(s.validate!(make({ schedule: '' })).map((e) => `${e.field} ${e.type}`)).toEqual(['spec.schedule FieldValueRequired']);
    expect(s.validate!(make({ concurrencyPolicy: 'Sometimes' })).map((e) => e.type)).toEqual(['FieldValueNotSupported']);
    expect(s.validate!(make({}, 'a'.repeat(53))).map((e) => e.message)).toEqual([`Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`]);
  });
});
