import { describe, expect, it } from 'vitest';
import {
  deletionConditions, mergeNamespaceConditions, namespaceConditionsOf, type DeletionFindings, type NamespaceCondition,
} from '../../../src/control/api/routes/namespace-conditions.js';
import { graceEstimate } from '../../../src/control/api/routes/namespace-lifecycle.js';

const clean: DeletionFindings = { remaining: [], finalizers: {}, contentErrors: [] };
const byType = (cs: NamespaceCondition[]) => Object.fromEntries(cs.map((c) => [c.type, c]));

describe('deletionConditions', () => {
  it('a clean pass: all five conditions False with upstream reasons and messages, in upstream order', () => {
    expect(deletionConditions(clean)).toEqual([
      { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
      { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
      { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
      { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
      { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
    ]);
  });

  it('remaining resources as <resource>.<group> (core keeps the trailing dot), sorted, zero counts dropped', () => {
    const c = byType(deletionConditions({
      ...clean,
      remaining: [
        { group: '', resource: 'pods', count: 3 },
        { group: 'apps', resource: 'deployments', count: 1 },
        { group: '', resource: 'configmaps', count: 0 },
        { group: 'example.com', resource: 'widgets', count: 12 },
      ],
    }));
    expect(c['NamespaceContentRemaining']).toEqual({
      type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain',
      message: 'Some resources are remaining: deployments.apps has 1 resource instances, pods. has 3 resource instances, widgets.example.com has 12 resource instances',
    });
    // Remaining content alone is not a finalizer or a failure.
    expect(c['NamespaceFinalizersRemaining']!.status).toBe('False');
    expect(c['NamespaceDeletionContentFailure']!.status).toBe('False');
  });

  it('finalizers remaining, sorted byte-wise as Go sorts', () => {
    const c = byType(deletionConditions({
      ...clean,
      remaining: [{ group: '', resource: 'pods', count: 2 }],
      finalizers: { foregroundDeletion: 1, 'example.com/hold': 2, Zeta: 1, gone: 0 },
    }));
    expect(c['NamespaceFinalizersRemaining']).toEqual({
      type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain',
      message: 'Some content in the namespace has finalizers remaining: Zeta in 1 resource instances, example.com/hold in 2 resource instances, foregroundDeletion in 1 resource instances',
    });
  });

  it('content errors: ContentDeletionFailed with the count and the sorted messages', () => {
    const c = byType(deletionConditions({ ...clean, contentErrors: ['b failed', 'a failed'] }));
    expect(c['NamespaceDeletionContentFailure']).toEqual({
      type: 'NamespaceDeletionContentFailure', status: 'True', reason: 'ContentDeletionFailed',
      message: 'Failed to delete all resource types, 2 remaining: a failed, b failed',
    });
  });

  it('discovery and group/version failures carry their message', () => {
    const c = byType(deletionConditions({ ...clean, discoveryError: 'boom', groupVersionError: 'bad gv' }));
    expect(c['NamespaceDeletionDiscoveryFailure']).toMatchObject({ status: 'True', reason: 'DiscoveryFailed', message: 'boom' });
    expect(c['NamespaceDeletionGroupVersionParsingFailure']).toMatchObject({ status: 'True', reason: 'GroupVersionParsingFailed', message: 'bad gv' });
  });
});

describe('mergeNamespaceConditions', () => {
  const t0 = '2026-01-01T00:00:00Z';
  const t1 = '2026-01-01T00:00:05Z';
  const holding: DeletionFindings = { remaining: [{ group: '', resource: 'pods', count: 1 }], finalizers: { x: 1 }, contentErrors: [] };

  it('adds every missing condition with now as its transition time, keeping other types in place', () => {
    const other: NamespaceCondition = { type: 'Custom', status: 'True', lastTransitionTime: '2020-01-01T00:00:00Z' };
    const { conditions, changed } = mergeNamespaceConditions([other], deletionConditions(holding), t0);
    expect(changed).toBe(true);
    expect(conditions[0]).toEqual(other);
    expect(conditions).toHaveLength(6);
    expect(conditions.slice(1).every((c) => c.lastTransitionTime === t0)).toBe(true);
  });

  it('no change when the same findings come again (no write)', () => {
    const first = mergeNamespaceConditions([], deletionConditions(holding), t0).conditions;
    const again = mergeNamespaceConditions(first, deletionConditions(holding), t1);
    expect(again.changed).toBe(false);
    expect(again.conditions).toEqual(first);
  });

  it('a new message with the same status keeps lastTransitionTime; a flip moves it', () => {
    const first = mergeNamespaceConditions([], deletionConditions(holding), t0).conditions;
    const more = { ...holding, remaining: [{ group: '', resource: 'pods', count: 4 }] };
    const second = mergeNamespaceConditions(first, deletionConditions(more), t1);
    expect(second.changed).toBe(true);
    const remaining = byType(second.conditions)['NamespaceContentRemaining']!;
    expect(remaining.message).toBe('Some resources are remaining: pods. has 4 resource instances');
    expect(remaining.lastTransitionTime).toBe(t0);

    const cleared = byType(mergeNamespaceConditions(second.conditions, deletionConditions(clean), t1).conditions);
    expect(cleared['NamespaceContentRemaining']).toEqual({
      type: 'NamespaceContentRemaining', status: 'False', lastTransitionTime: t1, reason: 'ContentRemoved', message: 'All content successfully removed',
    });
    expect(cleared['NamespaceFinalizersRemaining']).toMatchObject({ status: 'False', lastTransitionTime: t1, reason: 'ContentHasNoFinalizers' });
    // Never failed: untouched.
    expect(cleared['NamespaceDeletionDiscoveryFailure']!.lastTransitionTime).toBe(t0);
  });

  it('does not mutate its inputs', () => {
    const first = mergeNamespaceConditions([], deletionConditions(holding), t0).conditions;
    const copy = structuredClone(first);
    mergeNamespaceConditions(first, deletionConditions(clean), t1);
    expect(first).toEqual(copy);
  });

  it('namespaceConditionsOf reads only condition-shaped entries', () => {
    expect(namespaceConditionsOf(undefined)).toEqual([]);
    expect(namespaceConditionsOf({ conditions: 'x' })).toEqual([]);
    expect(namespaceConditionsOf({ conditions: [null, 3, { type: 'A', status: 'True' }] })).toEqual([{ type: 'A', status: 'True' }]);
  });
});

describe('graceEstimate (pods)', () => {
  const pod = (grace: number | undefined, phase = 'Running') => ({
    metadata: { name: 'p' }, spec: grace === undefined ? {} : { terminationGracePeriodSeconds: grace }, status: { phase },
  });
  const deleted = '2026-01-01T00:00:00Z';
  it('the longest grace among non-terminal pods, while that long has not passed', () => {
    expect(graceEstimate([pod(30), pod(60), pod(90, 'Succeeded'), pod(undefined)], deleted, new Date('2026-01-01T00:00:10Z'))).toBe(60);
  });
  it('0 once that long has passed since the namespace was deleted', () => {
    expect(graceEstimate([pod(30)], deleted, new Date('2026-01-01T00:00:30Z'))).toBe(0);
    expect(graceEstimate([pod(30, 'Failed')], deleted, new Date('2026-01-01T00:00:01Z'))).toBe(0);
  });
});
