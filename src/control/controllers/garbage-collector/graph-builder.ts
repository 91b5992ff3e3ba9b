/**
 * Upstream's GraphBuilder: informer events of every watched resource become graph changes, and the changes that
 * may let an object go (an owner gone, an owner deleting in the foreground or orphaning, a reference that stops
 * blocking) put nodes on the attempt-to-delete or attempt-to-orphan queues. Handlers run synchronously on the
 * informers' events, so the graph needs no lock and no queue of its own.
 */
import type { KubeObject, OwnerReference } from '../../../client/types.js';
import { BEING_DELETED, DELETING_DEPENDENTS, DependencyGraph, GraphNode, isEmptyDiff, referencesDiffs, VIRTUAL } from './graph.js';
import { beingDeleted, deletionStartsWithFinalizer, FOREGROUND_FINALIZER, hasFinalizer, ORPHAN_FINALIZER } from './decide.js';

/** Owners known to be gone, so that their many dependents need no lookup each (upstream's absentOwnerCache). */
export class AbsentOwnerCache {
  private readonly keys = new Map<string, true>();
  constructor(private readonly capacity = 1024) {}
  add(key: string): void {
    this.keys.delete(key);
    this.keys.set(key, true);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.keys().next().value!);
  }
  has(key: string): boolean {
    return this.keys.has(key);
  }
}

/** The identity a reference names: an object deleted and recreated under the same name has another uid. */
export function referenceKey(ref: Pick<OwnerReference, 'uid' | 'apiVersion' | 'kind' | 'name'>, namespace: string): string {
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.indexOf('/')) : '';
  return `${ref.uid}|${group}|${ref.kind}|${namespace}|${ref.name}`;
}

/** Where an informer's objects sit in the graph's coordinates. */
export interface ObservedKind {
  apiVersion: string;
  kind: string;
}

export interface GraphBuilderSinks {
  attemptToDelete(n: GraphNode): void;
  attemptToOrphan(n: GraphNode): void;
}

export class GraphBuilder {
  readonly graph = new DependencyGraph();
  readonly absent = new AbsentOwnerCache();

  constructor(private readonly sinks: GraphBuilderSinks) {}

  /** An add or update from an informer (`old` undefined for adds). */
  upsert(obj: KubeObject, old: KubeObject | undefined, kind: ObservedKind): void {
    const m = obj.metadata;
    const uid = m?.uid;
    if (!m || !uid) return;
    const owners = m.ownerReferences ?? [];
    let n = this.graph.get(uid);
    if (!n) {
      let flags = 0;
      if (beingDeleted(obj)) flags |= BEING_DELETED;
      if (beingDeleted(obj) && hasFinalizer(obj, FOREGROUND_FINALIZER)) flags |= DELETING_DEPENDENTS;
      n = new GraphNode(uid, kind.apiVersion, kind.kind, m.namespace ?? '', m.name ?? '', owners, flags);
      for (const v of this.graph.insert(n)) this.sinks.attemptToDelete(v);
    } else {
      if (n.virtual) this.observe(n, obj, kind);
      const diff = referencesDiffs(n.owners, owners);
      if (!isEmptyDiff(diff)) {
        // A reference that stops blocking may let a foreground-deleting owner finish.
        for (const ref of diff.removed) this.unblocked(ref);
        for (const { oldRef, newRef } of diff.changed) if (oldRef.blockOwnerDeletion && !newRef.blockOwnerDeletion) this.unblocked(oldRef);
        for (const v of this.graph.setOwners(n, owners, diff)) this.sinks.attemptToDelete(v);
      }
      if (beingDeleted(obj)) n.flags |= BEING_DELETED;
    }
    this.transitions(old, obj, n);
  }

  /** A delete from an informer: the node leaves the graph and its dependents are reconsidered. */
  remove(obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    const n = uid ? this.graph.get(uid) : undefined;
    if (!n) return;
    this.drop(n);
  }

  /**
   * A lookup proved a virtual node's object absent (404 or another uid under its name): drop it like a delete,
   * unless some dependent names it by other coordinates, which only a lookup of those can settle.
   */
  virtualDelete(n: GraphNode): void {
    if (this.graph.get(n.uid) !== n || !n.virtual) return;
    const checked = referenceKey(n, n.namespace);
    const disagree = n.dependentList().filter((d) => {
      const ref = d.ownerRef(n.uid);
      return ref !== undefined && referenceKey(ref, n.namespace) !== checked;
    });
    if (disagree.length === 0) {
      this.absent.add(checked);
      this.drop(n);
      return;
    }
    // Take the first disagreeing coordinates and verify again; the dependents that agreed are reconsidered now.
    const ref = disagree[0]!.ownerRef(n.uid)!;
    for (const d of n.dependentList()) if (!disagree.includes(d)) this.sinks.attemptToDelete(d);
    this.absent.add(checked);
    n.apiVersion = ref.apiVersion;
    n.kind = ref.kind;
    n.name = ref.name;
    this.sinks.attemptToDelete(n);
  }

  private drop(n: GraphNode): void {
    this.graph.remove(n);
    // An observed delete means the uid is gone for good, whatever coordinates dependents use.
    if (n.dependentCount() > 0) this.absent.add(n.uid);
    for (const d of n.dependentList()) this.sinks.attemptToDelete(d);
    for (const ref of n.owners) {
      const owner = this.graph.get(ref.uid);
      if (owner?.deletingDependents) this.sinks.attemptToDelete(owner);
    }
  }

  private unblocked(ref: OwnerReference): void {
    if (!ref.blockOwnerDeletion) return;
    const owner = this.graph.get(ref.uid);
    if (owner?.deletingDependents) this.sinks.attemptToDelete(owner);
  }

  /**
   * A virtual node is seen by an informer: it takes the observed coordinates; dependents that named it by others
   * (a wrong kind or name in their reference) are reconsidered.
   */
  private observe(n: GraphNode, obj: KubeObject, kind: ObservedKind): void {
    const m = obj.metadata!;
    const observed = { uid: n.uid, apiVersion: kind.apiVersion, kind: kind.kind, name: m.name ?? '' };
    const ns = m.namespace ?? '';
    for (const d of n.dependentList()) {
      const ref = d.ownerRef(n.uid);
      if (!ref || referenceKey(ref, ns) !== referenceKey(observed, ns) || (ns !== '' && d.namespace !== ns)) this.sinks.attemptToDelete(d);
    }
    n.apiVersion = kind.apiVersion;
    n.kind = kind.kind;
    n.namespace = ns;
    n.name = m.name ?? '';
    n.flags &= ~VIRTUAL;
  }

  private transitions(old: KubeObject | undefined, obj: KubeObject, n: GraphNode): void {
    if (deletionStartsWithFinalizer(old, obj, ORPHAN_FINALIZER)) {
      this.sinks.attemptToOrphan(n);
      return;
    }
    if (deletionStartsWithFinalizer(old, obj, FOREGROUND_FINALIZER)) {
      n.flags |= DELETING_DEPENDENTS | BEING_DELETED;
      for (const d of n.dependentList()) this.sinks.attemptToDelete(d);
      this.sinks.attemptToDelete(n);
    }
  }
}
