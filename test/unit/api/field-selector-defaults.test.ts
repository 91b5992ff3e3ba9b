/** Field selectors select what upstream's *ToSelectableFields derive, including values an object leaves unset. */
import { describe, expect, it } from 'vitest';
import { checkFieldSelector, matchesFields, parseFieldSelector } from '../../../src/control/api/selectors/field.js';
import type { KubeObject, ResourceType } from '../../../src/control/api/resource.js';

const sel = (text: string) => parseFieldSelector(text);

describe('derived selectable fields', () => {
  it('spec.unschedulable=false matches a Node without the field (e2e: all nodes schedulable)', () => {
    const node: KubeObject = { metadata: { name: 'n' }, spec: {} };
    expect(matchesFields(sel('spec.unschedulable=false'), node)).toBe(true);
    expect(matchesFields(sel('spec.unschedulable=true'), node)).toBe(false);
    expect(matchesFields(sel('spec.unschedulable=false'), { ...node, spec: { unschedulable: true } })).toBe(false);
  });

  it("an Event's source falls back to its reporting controller (events.k8s.io/v1 writes no source)", () => {
    const viaEventsV1: KubeObject = { metadata: { name: 'e' }, reportingComponent: 'test-controller' };
    expect(matchesFields(sel('source=test-controller'), viaEventsV1)).toBe(true);
    const both: KubeObject = { metadata: { name: 'e' }, source: { component: 'kubelet' }, reportingComponent: 'other' };
    expect(matchesFields(sel('source=kubelet'), both)).toBe(true);
    expect(matchesFields(sel('source=other'), both)).toBe(false);
  });

  it('ReplicationControllers select on status.replicas (0 when unset)', () => {
    const rc = { group: '', kind: 'ReplicationController' } as ResourceType;
    expect(() => checkFieldSelector(rc, sel('status.replicas=0'))).not.toThrow();
    expect(matchesFields(sel('status.replicas=0'), { metadata: { name: 'rc' }, status: {} })).toBe(true);
    expect(matchesFields(sel('status.replicas=2'), { metadata: { name: 'rc' }, status: { replicas: 2 } })).toBe(true);
  });
});
