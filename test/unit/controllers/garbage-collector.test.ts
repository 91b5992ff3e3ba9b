import { describe, expect, it } from 'vitest';
import type { KubeObject, OwnerReference } from '../../../src/client/types.js';
import {
  classifyReferences, decideAttemptToDelete, decideDeletingDependents, deletionStartsWithFinalizer, ownerStateOf, type OwnerState,
} from '../../../src/control/controllers/garbage-collector/decide.js';
import { deletable, RestMapper, type DiscoveredResource } from '../../../src/control/controllers/garbage-collector/discovery.js';
import { DependencyGraph, GraphNode, referencesDiffs } from '../../../src/control/controllers/garbage-collector/graph.js';
import { GraphBuilder } from '../../../src/control/controllers/garbage-collector/graph-builder.js';

const RS = { apiVersion: 'apps/v1', kind: 'ReplicaSet' };
const POD = { apiVersion: 'v1', kind: 'Pod' };
const ref = (uid: string, block = true, kind = 'ReplicaSet'): OwnerReference => ({ apiVersion: 'apps/v1', kind, name: `rs-${uid}`, uid, controller: true, blockOwnerDeletion: block });
const obj = (uid: string, owners: OwnerReference[] = [], extra: Partial<NonNullable<KubeObject['metadata']>> = {}): KubeObject => ({
  metadata: { uid, name: `o-${uid}`, namespace: 'ns', ownerReferences: owners, ...extra },
});

function builder() {
  const deletes: string[] = [];
  const orphans: string[] = [];
  const b = new GraphBuilder({ attemptToDelete: (n) => deletes.push(n.uid), attemptToOrphan: (n) => orphans.push(n.uid) });
  return { b, deletes, orphans };
}

describe('graph builder', () => {
  it('links dependents under observed owners; an unseen owner becomes a virtual node queued for verification', () => {
    const { b, deletes } = builder();
    b.upsert(obj('rs1'), undefined, RS);
    b.upsert(obj('p1', [ref('rs1')]), undefined, POD);
    expect(b.graph.get('rs1')!.dependentList().map((n) => n.uid)).toEqual(['p1']);
    expect(deletes).toEqual([]);
    b.upsert(obj('p2', [ref('ghost')]), undefined, POD);
    const ghost = b.graph.get('ghost')!;
    expect(ghost.virtual).toBe(true);
    expect([ghost.kind, ghost.name, ghost.namespace]).toEqual(['ReplicaSet', 'rs-ghost', 'ns']);
    expect(deletes).toEqual(['ghost']);
    // Observing it makes it real without requeueing dependents that named it rightly.
    b.upsert({ metadata: { uid: 'ghost', name: 'rs-ghost', namespace: 'ns' } }, undefined, RS);
    expect(b.graph.get('ghost')!.virtual).toBe(false);
    expect(deletes).toEqual(['ghost']);
  });

  it('an observed owner delete queues its dependents and marks the uid absent', () => {
    const { b, deletes } = builder();
    b.upsert(obj('rs1'), undefined, RS);
    b.upsert(obj('p1', [ref('rs1')]), undefined, POD);
    b.upsert(obj('p2', [ref('rs1')]), undefined, POD);
    b.remove(obj('rs1'));
    expect(b.graph.get('rs1')).toBeUndefined();
    expect(deletes.sort()).toEqual(['p1', 'p2']);
    expect(b.absent.has('rs1')).toBe(true);
  });

  it('foreground deletion starting: owner marked, its dependents and itself queued; a dependent gone requeues it', () => {
    const { b, deletes } = builder();
    const rs = obj('rs1');
    b.upsert(rs, undefined, RS);
    b.upsert(obj('p1', [ref('rs1')]), undefined, POD);
    const deleting = obj('rs1', [], { deletionTimestamp: '2030-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] });
    b.upsert(deleting, rs, RS);
    expect(b.graph.get('rs1')!.deletingDependents).toBe(true);
    expect(deletes).toEqual(['p1', 'rs1']);
    // The same state again is no transition.
    b.upsert(deleting, deleting, RS);
    expect(deletes).toEqual(['p1', 'rs1']);
    b.remove(obj('p1', [ref('rs1')]));
    expect(deletes).toEqual(['p1', 'rs1', 'rs1']);
  });

  it('orphan deletion starting queues the owner for orphaning', () => {
    const { b, orphans } = builder();
    const rs = obj('rs1');
    b.upsert(rs, undefined, RS);
    b.upsert(obj('rs1', [], { deletionTimestamp: 'x', finalizers: ['orphan'] }), rs, RS);
    expect(orphans).toEqual(['rs1']);
  });

  it('a dependent dropping its blocking reference lets a foreground-deleting owner finish', () => {
    const { b, deletes } = builder();
    b.upsert(obj('rs1', [], { deletionTimestamp: 'x', finalizers: ['foregroundDeletion'] }), undefined, RS);
    const p1 = obj('p1', [ref('rs1')]);
    b.upsert(p1, undefined, POD);
    deletes.length = 0;
    b.upsert(obj('p1', [ref('rs1', false)]), p1, POD);
    expect(deletes).toEqual(['rs1']);
    expect(b.graph.get('rs1')!.dependentCount()).toBe(1);
    b.upsert(obj('p1', []), p1, POD);
    expect(b.graph.get('rs1')!.dependentCount()).toBe(0);
  });

  it('a virtual delete drops the node, queues dependents, and caches the absent identity', () => {
    const { b, deletes } = builder();
    b.upsert(obj('p1', [ref('ghost')]), undefined, POD);
    deletes.length = 0;
    b.virtualDelete(b.graph.get('ghost')!);
    expect(b.graph.get('ghost')).toBeUndefined();
    expect(deletes).toEqual(['p1']);
  });
});

describe('dependency graph', () => {
  it('keeps thousands of dependents with O(1) removal (array promoted to a set)', () => {
    const g = new DependencyGraph();
    const owner = new GraphNode('o', 'v1', 'ConfigMap', 'ns', 'o', [], 0);
    g.insert(owner);
    const deps = Array.from({ length: 5000 }, (_, i) => new GraphNode(`d${i}`, 'v1', 'Pod', 'ns', `d${i}`, [ref('o')], 0));
    for (const d of deps) g.insert(d);
    expect(owner.dependentCount()).toBe(5000);
    expect(owner.dependents).toBeInstanceOf(Set);
    for (const d of deps) g.remove(d);
    expect(owner.dependentCount()).toBe(0);
    expect(owner.dependents).toBeUndefined();
    expect(g.size).toBe(1);
  });

  it('referencesDiffs reports added, removed and changed by uid', () => {
    const d = referencesDiffs([ref('a'), ref('b')], [ref('b', false), ref('c')]);
    expect(d.added.map((r) => r.uid)).toEqual(['c']);
    expect(d.removed.map((r) => r.uid)).toEqual(['a']);
    expect(d.changed.map((c) => [c.oldRef.blockOwnerDeletion, c.newRef.blockOwnerDeletion])).toEqual([[true, false]]);
  });
});

describe('decisions', () => {
  const classify = (states: Record<string, OwnerState>, refs: OwnerReference[]) => classifyReferences(refs, (r) => states[r.uid]!);
  const node = (uid: string, owners: OwnerReference[] = [], flags = 0) => new GraphNode(uid, 'v1', 'Pod', 'ns', uid, owners, flags);

  it('all owners gone → background delete; the item finalizers pick the policy', () => {
    const refs = [ref('a'), ref('b')];
    const cls = classify({ a: 'dangling', b: 'dangling' }, refs);
    expect(decideAttemptToDelete(obj('x', refs), cls, [])).toEqual({ action: 'delete', policy: 'Background', unblock: false });
    expect(decideAttemptToDelete(obj('x', refs, { finalizers: ['orphan'] }), cls, [])).toMatchObject({ policy: 'Orphan' });
    expect(decideAttemptToDelete(obj('x', refs, { finalizers: ['foregroundDeletion'] }), cls, [])).toMatchObject({ policy: 'Foreground' });
  });

  it('one solid owner keeps the item; references to gone and waiting owners are removed', () => {
    const refs = [ref('a'), ref('b'), ref('c')];
    expect(decideAttemptToDelete(obj('x', refs), classify({ a: 'solid', b: 'dangling', c: 'waiting' }, refs), [])).toEqual({ action: 'removeReferences', uids: ['b', 'c'] });
    expect(decideAttemptToDelete(obj('x', refs), classify({ a: 'solid', b: 'solid', c: 'solid' }, refs), []).action).toBe('none');
    expect(decideAttemptToDelete(obj('x', []), classify({}, []), []).action).toBe('none');
  });

  it('an owner waiting in the foreground: an item with dependents goes in the foreground (unblocking on a cycle)', () => {
    const refs = [ref('a')];
    const cls = classify({ a: 'waiting' }, refs);
    expect(decideAttemptToDelete(obj('x', refs), cls, [])).toEqual({ action: 'delete', policy: 'Background', unblock: false });
    expect(decideAttemptToDelete(obj('x', refs), cls, [node('d')])).toEqual({ action: 'delete', policy: 'Foreground', unblock: false });
    expect(decideAttemptToDelete(obj('x', refs), cls, [node('d', [], 4)])).toEqual({ action: 'delete', policy: 'Foreground', unblock: true });
  });

  it('a foreground-deleting owner waits only for dependents that block it', () => {
    const g = new DependencyGraph();
    const owner = node('o');
    g.insert(owner);
    expect(decideDeletingDependents(owner)).toEqual({ action: 'removeFinalizer' });
    const blocking = node('b', [ref('o', true)]);
    const loose = node('l', [ref('o', false)]);
    g.insert(blocking);
    g.insert(loose);
    const d = decideDeletingDependents(owner);
    expect(d.action).toBe('wait');
    expect(d.action === 'wait' && d.enqueue.map((n) => n.uid)).toEqual(['b']);
    g.remove(blocking);
    expect(decideDeletingDependents(owner)).toEqual({ action: 'removeFinalizer' });
  });

  it('owner states from a looked-up object', () => {
    expect(ownerStateOf(undefined, ref('a'))).toBe('dangling');
    expect(ownerStateOf(obj('other'), ref('a'))).toBe('dangling');
    expect(ownerStateOf(obj('a'), ref('a'))).toBe('solid');
    expect(ownerStateOf(obj('a', [], { deletionTimestamp: 'x', finalizers: ['foregroundDeletion'] }), ref('a'))).toBe('waiting');
    expect(ownerStateOf(obj('a', [], { deletionTimestamp: 'x', finalizers: ['other'] }), ref('a'))).toBe('solid');
  });

  it('deletion transitions fire once', () => {
    const live = obj('a');
    const del = obj('a', [], { deletionTimestamp: 'x', finalizers: ['orphan'] });
    expect(deletionStartsWithFinalizer(undefined, del, 'orphan')).toBe(true);
    expect(deletionStartsWithFinalizer(live, del, 'orphan')).toBe(true);
    expect(deletionStartsWithFinalizer(del, del, 'orphan')).toBe(false);
    expect(deletionStartsWithFinalizer(live, del, 'foregroundDeletion')).toBe(false);
  });
});

describe('discovery', () => {
  const res = (group: string, plural: string, kind: string, verbs: string[]): DiscoveredResource => ({
    ref: { group, version: 'v1', plural, namespaced: true }, apiVersion: group ? `${group}/v1` : 'v1', kind, verbs,
  });
  it('watches resources with list, watch and delete, never events', () => {
    const all = [
      res('', 'pods', 'Pod', ['create', 'delete', 'get', 'list', 'watch']),
      res('', 'events', 'Event', ['create', 'delete', 'get', 'list', 'watch']),
      res('events.k8s.io', 'events', 'Event', ['create', 'delete', 'get', 'list', 'watch']),
      res('', 'bindings', 'Binding', ['create']),
      res('metrics.k8s.io', 'pods', 'PodMetrics', ['get', 'list']),
    ];
    expect(deletable(all).map((r) => r.ref.plural)).toEqual(['pods']);
    const m = new RestMapper(all);
    expect(m.map('v1', 'Pod')?.ref.plural).toBe('pods');
    expect(m.map('metrics.k8s.io/v1beta1', 'PodMetrics')?.ref.group).toBe('metrics.k8s.io');
    expect(m.map('apps/v1', 'Pod')).toBeUndefined();
  });
});
