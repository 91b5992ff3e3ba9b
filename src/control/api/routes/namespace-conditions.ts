/**
 * The Namespace status conditions upstream's namespace controller keeps while a namespace terminates, as a pure
 * function of what one deletion pass found. `kubectl describe namespace` prints them; they are how a user learns
 * which resources or finalizers hold a namespace in Terminating.
 *
 * Two steps, as upstream: `deletionConditions` says what each of the five conditions should read now (failure
 * variant when the pass saw one, the "ok" variant otherwise); `mergeNamespaceConditions` folds that into the
 * stored list, reporting whether anything changed so the caller writes status only then. lastTransitionTime
 * moves only when a condition's status flips; a changed reason or message alone keeps it.
 */

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface NamespaceCondition {
  type: string;
  status: ConditionStatus;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** What one deletion pass over a terminating namespace found. */
export interface DeletionFindings {
  /** Objects still present after the pass, per resource (zero counts are ignored). */
  remaining: readonly { group: string; resource: string; count: number }[];
  /** Remaining objects per finalizer they still carry (an object counts once under each of its finalizers). */
  finalizers: Readonly<Record<string, number>>;
  /** Listing the namespaced resources failed (upstream: discovery); Skiff reads its registry, so rarely set. */
  discoveryError?: string;
  /** Some served group/versions could not be parsed. */
  groupVersionError?: string;
  /** One message per resource whose content could not be deleted or listed. */
  contentErrors: readonly string[];
}

export const NamespaceDeletionDiscoveryFailure = 'NamespaceDeletionDiscoveryFailure';
export const NamespaceDeletionGroupVersionParsingFailure = 'NamespaceDeletionGroupVersionParsingFailure';
export const NamespaceDeletionContentFailure = 'NamespaceDeletionContentFailure';
export const NamespaceContentRemaining = 'NamespaceContentRemaining';
export const NamespaceFinalizersRemaining = 'NamespaceFinalizersRemaining';

/** The condition types the deleter owns, in upstream's order (new ones are appended in this order). */
export const DELETION_CONDITION_TYPES = [
  NamespaceDeletionDiscoveryFailure,
  NamespaceDeletionGroupVersionParsingFailure,
  NamespaceDeletionContentFailure,
  NamespaceContentRemaining,
  NamespaceFinalizersRemaining,
] as const;

/** The "nothing wrong" variant of each condition: status False with upstream's reason and message. */
const OK: Record<(typeof DELETION_CONDITION_TYPES)[number], { reason: string; message: string }> = {
  [NamespaceDeletionDiscoveryFailure]: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  [NamespaceDeletionGroupVersionParsingFailure]: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  [NamespaceDeletionContentFailure]: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  [NamespaceContentRemaining]: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  [NamespaceFinalizersRemaining]: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

/** The five conditions as they should read after a pass with `f` (no lastTransitionTime: merging sets it). */
export function deletionConditions(f: DeletionFindings): NamespaceCondition[] {
  const failed = new Map<string, NamespaceCondition>();
  const fail = (type: string, reason: string, message: string) => failed.set(type, { type, status: 'True', reason, message });

  if (f.discoveryError !== undefined) fail(NamespaceDeletionDiscoveryFailure, 'DiscoveryFailed', f.discoveryError);
  if (f.groupVersionError !== undefined) fail(NamespaceDeletionGroupVersionParsingFailure, 'GroupVersionParsingFailed', f.groupVersionError);
  if (f.contentErrors.length > 0) {
    // Sorted so that the same failures always give the same message (no status write churn).
    const msgs = [...f.contentErrors].sort(byCodeUnits);
    fail(NamespaceDeletionContentFailure, 'ContentDeletionFailed', `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`);
  }
  // Upstream names a resource as `<resource>.<group>`, so core resources read "pods." with a trailing dot.
  const perResource = new Map<string, number>();
  for (const r of f.remaining) {
    if (r.count <= 0) continue;
    const name = `${r.resource}.${r.group}`;
    perResource.set(name, (perResource.get(name) ?? 0) + r.count);
  }
  if (perResource.size > 0) {
    const parts = [...perResource].map(([name, n]) => `${name} has ${n} resource instances`).sort(byCodeUnits);
    fail(NamespaceContentRemaining, 'SomeResourcesRemain', `Some resources are remaining: ${parts.join(', ')}`);
  }
  const perFinalizer = Object.entries(f.finalizers).filter(([, n]) => n > 0);
  if (perFinalizer.length > 0) {
    const parts = perFinalizer.map(([fin, n]) => `${fin} in ${n} resource instances`).sort(byCodeUnits);
    fail(NamespaceFinalizersRemaining, 'SomeFinalizersRemain', `Some content in the namespace has finalizers remaining: ${parts.join(', ')}`);
  }

  return DELETION_CONDITION_TYPES.map((type) => failed.get(type) ?? { type, status: 'False', ...OK[type] });
}

/**
 * Folds `wanted` into `existing` (neither is mutated): a missing type is appended with `now` as its transition
 * time; a present one takes the new status, reason and message, and `now` only when its status flips.
 * Conditions of other types are kept as they are, in place.
 */
export function mergeNamespaceConditions(
  existing: readonly NamespaceCondition[], wanted: readonly NamespaceCondition[], now: string,
): { conditions: NamespaceCondition[]; changed: boolean } {
  const conditions = existing.map((c) => ({ ...c }));
  let changed = false;
  for (const w of wanted) {
    const old = conditions.find((c) => c.type === w.type);
    if (!old) {
      conditions.push({ type: w.type, status: w.status, lastTransitionTime: now, ...pick(w) });
      changed = true;
      continue;
    }
    if (old.status === w.status && old.reason === w.reason && old.message === w.message) continue;
    if (old.status !== w.status) old.lastTransitionTime = now;
    old.status = w.status;
    if (w.reason === undefined) delete old.reason;
    else old.reason = w.reason;
    if (w.message === undefined) delete old.message;
    else old.message = w.message;
    changed = true;
  }
  return { conditions, changed };
}

function pick(c: NamespaceCondition): Pick<NamespaceCondition, 'reason' | 'message'> {
  const out: Pick<NamespaceCondition, 'reason' | 'message'> = {};
  if (c.reason !== undefined) out.reason = c.reason;
  if (c.message !== undefined) out.message = c.message;
  return out;
}

/** Go's sort.Strings order (byte-wise for ASCII), not the locale's. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Reads `status.conditions` of a stored Namespace, ignoring anything that is not a condition. */
export function namespaceConditionsOf(status: unknown): NamespaceCondition[] {
  const list = (status as { conditions?: unknown } | undefined)?.conditions;
  if (!Array.isArray(list)) return [];
  return list.filter((c): c is NamespaceCondition => typeof c === 'object' && c !== null && typeof (c as { type?: unknown }).type === 'string');
}
