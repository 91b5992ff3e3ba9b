import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/control/api/resource.js';
import { admitPodPriority, defaultPriorityClass, PriorityAdmission } from '../../../src/control/api/admission/priority.js';
import { pods } from '../../../src/control/api/kinds/core.js';
import { priorityclasses, systemPriorityClassObjects } from '../../../src/control/api/kinds/scheduling.js';
import { ApiError } from '../../../src/control/api/status.js';

const pc = (name: string, value: number, extra: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, preemptionPolicy: 'PreemptLowerPriority', ...extra });
const pod = (spec: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } });
const specOf = (o: KubeObject) => o['spec'] as Record<string, unknown>;

describe('Priority admission', () => {
  // Stored classes carry their defaulted preemption policy.
  const system = systemPriorityClassObjects().map((o) => { priorityclasses.strategy.default!(o); return o; });
  const classes = [...system, pc('high', 1000, { preemptionPolicy: 'Never' })];

  it('without a class and without a default: priority 0, PreemptLowerPriority', () => {
    const p = pod();
    expect(admitPodPriority(p, classes)).toBeUndefined();
    expect(specOf(p)).toMatchObject({ priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    expect(specOf(p)['priorityClassName']).toBeUndefined();
  });

  it('the global default class (the lowest-valued if several) names and values a pod without a class', () => {
    const withDefaults = [...classes, pc('normal', 10, { globalDefault: true }), pc('low', 5, { globalDefault: true })];
    expect(defaultPriorityClass(withDefaults)?.metadata?.name).toBe('low');
    const p = pod();
    admitPodPriority(p, withDefaults);
    expect(specOf(p)).toMatchObject({ priorityClassName: 'low', priority: 5 });
  });

  it('a named class gives its value and policy; unknown names and disagreeing values are refused in upstream\'s words', () => {
    const p = pod({ priorityClassName: 'system-node-critical' });
    admitPodPriority(p, classes);
    expect(specOf(p)).toMatchObject({ priority: 2000001000, preemptionPolicy: 'PreemptLowerPriority' });
    const never = pod({ priorityClassName: 'high' });
    admitPodPriority(never, classes);
    expect(specOf(never)).toMatchObject({ priority: 1000, preemptionPolicy: 'Never' });
    expect(admitPodPriority(pod({ priorityClassName: 'nope' }), classes)).toBe('no PriorityClass with name nope was found');
    expect(admitPodPriority(pod({ priorityClassName: 'high', priority: 7 }), classes))
      .toBe('the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name');
    expect(admitPodPriority(pod({ priorityClassName: 'high', preemptionPolicy: 'PreemptLowerPriority' }), classes))
      .toBe('the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name');
  });

  it('refuses a pod create with 403 and a second global default PriorityClass', async () => {
    const plugin = new PriorityAdmission({ priorityClasses: async () => [...classes, pc('normal', 10, { globalDefault: true })] });
    const base = { subresource: '', namespace: 'default', oldObject: null, dryRun: false };
    const err = await plugin.admit({ ...base, operation: 'CREATE', resource: pods, name: 'p', object: pod({ priorityClassName: 'nope' }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(403);
    expect((err as ApiError).message).toBe('pods "p" is forbidden: no PriorityClass with name nope was found');
    const second = await plugin.validate({ ...base, namespace: undefined, operation: 'CREATE', resource: priorityclasses, name: 'other', object: pc('other', 1, { globalDefault: true }) }).catch((e: unknown) => e);
    expect((second as ApiError).message).toBe('priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass normal is already marked as default. Only one default can exist');
    // The default itself may be updated.
    await plugin.validate({ ...base, namespace: undefined, operation: 'UPDATE', resource: priorityclasses, name: 'normal', object: pc('normal', 10, { globalDefault: true }) });
  });
});
