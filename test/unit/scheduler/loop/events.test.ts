import { describe, expect, test } from 'vitest';
import {
  failedSchedulingMessage, formatFitError, podEvent, preemptionMessage, scheduledMessage, unschedulableCondition,
} from '../../../../src/control/scheduler/events.js';
import { eventMayHelp, nodeSchedulingChanges, unschedulablePlugins } from '../../../../src/control/scheduler/cluster-events.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';

const pod: KubeObject = { metadata: { name: 'web-1', namespace: 'prod', uid: 'u1' }, spec: {} };

describe('FailedScheduling text, as upstream writes it', () => {
  test('the issue example: 5000 nodes, cpu and affinity', () => {
    const msg = failedSchedulingMessage(pod, 5000, [
      { reason: "node(s) didn't match Pod's node affinity/selector", count: 4997 },
      { reason: 'Insufficient cpu', count: 3 },
    ]);
    expect(msg).toBe(
      "0/5000 nodes are available: 3 Insufficient cpu, 4997 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/5000 nodes are available: 3 No preemption victims found for incoming pod, 4997 Preemption is not helpful for scheduling.',
    );
  });

  test('only unresolvable reasons: preemption is not helpful on any node', () => {
    expect(
      failedSchedulingMessage(pod, 5000, [{ reason: "node(s) didn't match Pod's node affinity/selector", count: 5000 }]),
    ).toBe(
      "0/5000 nodes are available: 5000 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/5000 nodes are available: 5000 Preemption is not helpful for scheduling.',
    );
  });

  test('pairs sort as strings (Go sort.Strings): "10 …" before "2 …"', () => {
    expect(formatFitError(12, [{ reason: 'node(s) were unschedulable', count: 2 }, { reason: 'Too many pods', count: 10 }])).toBe(
      '0/12 nodes are available: 10 Too many pods, 2 node(s) were unschedulable.',
    );
  });

  test('a node failing two resources counts in both reasons but once for preemption', () => {
    expect(preemptionMessage(pod, 1, [{ reason: 'Insufficient cpu', count: 1 }, { reason: 'Insufficient memory', count: 1 }])).toBe(
      'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
  });

  test('preemptionPolicy Never and no nodes at all', () => {
    const never = { ...pod, spec: { preemptionPolicy: 'Never' } };
    expect(failedSchedulingMessage(never, 1, [{ reason: 'Insufficient cpu', count: 1 }])).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
    );
    expect(failedSchedulingMessage(pod, 0, [])).toBe('no nodes available to schedule pods');
  });

  test('Scheduled message and event shape', () => {
    expect(scheduledMessage(pod, 'node-7')).toBe('Successfully assigned prod/web-1 to node-7');
    const ev = podEvent(pod, 'Normal', 'Scheduled', 'Binding', 'x', new Date('2026-01-02T03:04:05.678Z'), 'i');
    expect(ev).toMatchObject({
      kind: 'Event',
      metadata: { namespace: 'prod' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'prod', uid: 'u1' },
      reason: 'Scheduled',
      type: 'Normal',
      source: { component: 'default-scheduler' },
      firstTimestamp: '2026-01-02T03:04:05Z',
      count: 1,
    });
    expect((ev.metadata?.name as string).startsWith('web-1.')).toBe(true);
    // Names stay distinct within one millisecond (UnixNano-style suffix).
    const names = new Set(Array.from({ length: 100 }, () => podEvent(pod, 'Normal', 'Scheduled', 'Binding', 'x', new Date('2026-11-25T12:00:00.123Z'), 'i').metadata?.name));
    expect(names.size).toBe(100);
  });

  test('PodScheduled condition: written once per distinct message, transition time kept while False', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const c = unschedulableCondition(pod, 'Unschedulable', 'm1', now)!;
    expect(c).toMatchObject({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'm1', lastTransitionTime: '2026-01-01T00:00:00Z' });
    const withC = { ...pod, status: { conditions: [c] } };
    expect(unschedulableCondition(withC, 'Unschedulable', 'm1', new Date('2026-01-01T00:01:00Z'))).toBeNull();
    expect(unschedulableCondition(withC, 'Unschedulable', 'm2', new Date('2026-01-01T00:01:00Z'))?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });
});

describe('which events requeue which pods', () => {
  test('plugins from reasons, and their registered events', () => {
    const fit = unschedulablePlugins([{ reason: 'Insufficient cpu', count: 3 }]);
    expect([...fit]).toEqual(['NodeResourcesFit']);
    expect(eventMayHelp('AssignedPodDelete', fit)).toBe(true);
    expect(eventMayHelp('AssignedPodAdd', fit)).toBe(false);
    const aff = unschedulablePlugins([{ reason: "node(s) didn't match Pod's node affinity/selector", count: 3 }]);
    expect(eventMayHelp('AssignedPodDelete', aff)).toBe(false);
    expect(eventMayHelp('NodeUpdate', aff)).toBe(true);
    const anti = unschedulablePlugins([{ reason: "node(s) didn't satisfy existing pods anti-affinity rules", count: 1 }]);
    expect(eventMayHelp('AssignedPodDelete', anti)).toBe(true);
    // An unknown reason: any event may help.
    expect(eventMayHelp('AssignedPodAdd', unschedulablePlugins([{ reason: 'something new', count: 1 }]))).toBe(true);
  });

  test('a kubelet heartbeat is no scheduling change; labels, taints, allocatable are', () => {
    const n = (over: Record<string, unknown> = {}, hb = 't1'): KubeObject => ({
      metadata: { name: 'n', labels: { a: '1' } },
      spec: {},
      status: { allocatable: { cpu: '4' }, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: hb }] },
      ...over,
    });
    expect(nodeSchedulingChanges(n(), n({}, 't2'))).toEqual([]);
    expect(nodeSchedulingChanges(n(), n({ metadata: { name: 'n', labels: { a: '2' } } }))).toEqual(['Label']);
    expect(nodeSchedulingChanges(n(), n({ spec: { unschedulable: true } }))).toEqual(['Taint']);
    expect(nodeSchedulingChanges(n(), n({ status: { allocatable: { cpu: '8' }, conditions: [{ type: 'Ready', status: 'True' }] } }))).toEqual(['Allocatable']);
  });
});
