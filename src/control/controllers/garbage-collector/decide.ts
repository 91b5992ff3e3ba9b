/**
 * The garbage collector's decisions as values (upstream's attemptToDeleteItem, processDeletingDependentsItem,
 * classifyReferences and the graph builder's transitions), apart from the lookups and writes that feed them.
 */
import type { KubeObject, OwnerReference } from '../../../client/types.js';
import type { GraphNode } from './graph.js';

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** What an owner reference points at, once looked up. */
export type OwnerState =
  /** Exists with the referenced uid and is not waiting on its dependents. */
  | 'solid'
  /** Gone (404), or its name now holds another object (uid mismatch). */
  | 'dangling'
  /** Exists but is being deleted in the foreground: it waits for its dependents. */
  | 'waiting';

export interface ClassifiedReferences {
  solid: OwnerReference[];
  dangling: OwnerReference[];
  waiting: OwnerReference[];
}

export function classifyReferences(refs: readonly OwnerReference[], state: (ref: OwnerReference) => OwnerState): ClassifiedReferences {
  const out: ClassifiedReferences = { solid: [], dangling: [], waiting: [] };
  for (const ref of refs) {
    const s = state(ref);
    if (s === 'solid') out.solid.push(ref);
    else if (s === 'dangling') out.dangling.push(ref);
    else out.waiting.push(ref);
  }
  return out;
}

/** The state of an existing owner object (upstream: waiting = deletionTimestamp + foregroundDeletion finalizer). */
export function ownerStateOf(owner: KubeObject | undefined, ref: OwnerReference): OwnerState {
  if (!owner || owner.metadata?.uid !== ref.uid) return 'dangling';
  return beingDeleted(owner) && hasFinalizer(owner, FOREGROUND_FINALIZER) ? 'waiting' : 'solid';
}

export type DeleteDecision =
  /** The item has solid owners and no reference to drop, or no owners at all. */
  | { action: 'none'; reason: string }
  /** The item stays (it has a solid owner) but its references to gone or waiting owners are removed. */
  | { action: 'removeReferences'; uids: string[] }
  /**
   * The item goes. `unblock`: first turn its blockOwnerDeletion references off, because one of its own
   * dependents also waits (upstream's guard against a foreground-deletion cycle).
   */
  | { action: 'delete'; policy: PropagationPolicy; unblock: boolean };

/**
 * Upstream's attemptToDeleteItem after classification: an item with any solid owner stays (dropping references
 * to dangling and waiting owners); an item whose owners wait for it and which has dependents of its own is
 * deleted in the foreground; otherwise it is deleted with the policy its finalizers ask for, else Background.
 */
export function decideAttemptToDelete(
  item: KubeObject, refs: ClassifiedReferences, dependents: readonly GraphNode[],
): DeleteDecision {
  const { solid, dangling, waiting } = refs;
  if (solid.length + dangling.length + waiting.length === 0) return { action: 'none', reason: 'the object has no owners' };
  if (solid.length > 0) {
    if (dangling.length === 0 && waiting.length === 0) return { action: 'none', reason: 'the object has at least one existing owner' };
    return { action: 'removeReferences', uids: [...dangling, ...waiting].map((r) => r.uid) };
  }
  if (waiting.length > 0 && dependents.length > 0) {
    return { action: 'delete', policy: 'Foreground', unblock: dependents.some((d) => d.deletingDependents) };
  }
  if (hasFinalizer(item, ORPHAN_FINALIZER)) return { action: 'delete', policy: 'Orphan', unblock: false };
  if (hasFinalizer(item, FOREGROUND_FINALIZER)) return { action: 'delete', policy: 'Foreground', unblock: false };
  return { action: 'delete', policy: 'Background', unblock: false };
}

export type ForegroundDecision =
  | { action: 'removeFinalizer' }
  /** Blocking dependents remain; these are (re)queued for deletion. */
  | { action: 'wait'; enqueue: GraphNode[] };

/** The dependents of `owner` whose reference to it blocks its deletion (blockOwnerDeletion: true). */
export function blockingDependents(owner: GraphNode): GraphNode[] {
  return owner.dependentList().filter((d) => d.ownerRef(owner.uid)?.blockOwnerDeletion === true);
}

/** Upstream's processDeletingDependentsItem: the finalizer goes once no dependent blocks the owner. */
export function decideDeletingDependents(owner: GraphNode): ForegroundDecision {
  const blocking = blockingDependents(owner);
  if (blocking.length === 0) return { action: 'removeFinalizer' };
  return { action: 'wait', enqueue: blocking.filter((d) => !d.deletingDependents) };
}

/** The uids of `refs` that the orphaning of `ownerUID` removes from a dependent. */
export function referencesAfterRemoving(refs: readonly OwnerReference[] | undefined, uids: readonly string[]): OwnerReference[] {
  return (refs ?? []).filter((r) => !uids.includes(r.uid));
}

export function beingDeleted(obj: KubeObject | undefined): boolean {
  return !!obj?.metadata?.deletionTimestamp;
}

export function hasFinalizer(obj: KubeObject | undefined, f: string): boolean {
  return obj?.metadata?.finalizers?.includes(f) ?? false;
}

/** True when `obj` is being deleted with finalizer `f` and `old` (if any) was not: upstream's deletionStartsWithFinalizer. */
export function deletionStartsWithFinalizer(old: KubeObject | undefined, obj: KubeObject, f: string): boolean {
  if (!beingDeleted(obj) || !hasFinalizer(obj, f)) return false;
  return old === undefined || !beingDeleted(old) || !hasFinalizer(old, f);
}
