/**
 * What this controller last wrote per EndpointSlice (upstream's EndpointSliceTracker), so that a sync on an
 * informer cache that has not yet seen those writes waits instead of acting twice (e.g. creating a second slice
 * for endpoints it already placed). Upstream compares generations; EndpointSlices here carry none, so the
 * resourceVersion (the store's modRevision, a decimal that only grows) stands in for it.
 */
import type { EndpointSlice } from './types.js';

const DELETION_EXPECTED = -1;

const rvOf = (s: EndpointSlice): number => {
  const n = Number(s.metadata.resourceVersion ?? '0');
  return Number.isFinite(n) ? n : 0;
};

export class EndpointSliceTracker {
  /** owner key (namespace/name) → slice uid → last written resourceVersion, or DELETION_EXPECTED. */
  private byOwner = new Map<string, Map<string, number>>();

  /** @param ownerKey maps a slice to the key of what it belongs to (the service-name label). */
  constructor(private readonly ownerKey: (s: EndpointSlice) => string | undefined) {}

  private forSlice(s: EndpointSlice, create: boolean): Map<string, number> | undefined {
    const key = this.ownerKey(s);
    if (key === undefined) return undefined;
    let m = this.byOwner.get(key);
    if (!m && create) this.byOwner.set(key, (m = new Map()));
    return m;
  }

  /** Records a slice as written (the create/update response). */
  update(s: EndpointSlice): void {
    const uid = s.metadata.uid;
    if (uid) this.forSlice(s, true)!.set(uid, rvOf(s));
  }

  expectDeletion(s: EndpointSlice): void {
    const uid = s.metadata.uid;
    if (uid) this.forSlice(s, true)!.set(uid, DELETION_EXPECTED);
  }

  has(s: EndpointSlice): boolean {
    const uid = s.metadata.uid;
    return !!uid && (this.forSlice(s, false)?.has(uid) ?? false);
  }

  /** Whether an informer event about `s` is news (not our own write coming back). */
  shouldSync(s: EndpointSlice): boolean {
    const uid = s.metadata.uid;
    const g = uid ? this.forSlice(s, false)?.get(uid) : undefined;
    return g === undefined || rvOf(s) > g;
  }

  /** Forgets a deleted slice; false when the deletion was not ours (the owner needs a sync). */
  handleDeletion(s: EndpointSlice): boolean {
    const uid = s.metadata.uid;
    const m = this.forSlice(s, false);
    if (!m || !uid) return true;
    const g = m.get(uid);
    m.delete(uid);
    return g === undefined || g === DELETION_EXPECTED;
  }

  /** True when the cache lags our writes: an older copy, a slice we deleted, or one we wrote that is missing. */
  staleSlices(ownerKey: string, slices: readonly EndpointSlice[]): boolean {
    const m = this.byOwner.get(ownerKey);
    if (!m) return false;
    const seen = new Set<string>();
    for (const s of slices) {
      const uid = s.metadata.uid ?? '';
      seen.add(uid);
      const g = m.get(uid);
      if (g !== undefined && (g === DELETION_EXPECTED || g > rvOf(s))) return true;
    }
    for (const [uid, g] of m) if (g !== DELETION_EXPECTED && !seen.has(uid)) return true;
    return false;
  }

  deleteOwner(ownerKey: string): void {
    this.byOwner.delete(ownerKey);
  }
}
