/**
 * Upstream's ControllerRefManager: a controller "claims" the objects it will manage. Given its selector and
 * candidate objects (pods for a ReplicaSet, ReplicaSets for a Deployment, ControllerRevisions for a DaemonSet),
 * it keeps the ones it already controls that still match, adopts matching orphans, releases controlled ones that
 * no longer match, and leaves alone what another controller owns or what is being deleted. A controller that
 * is itself being deleted adopts nothing and releases nothing; before the first adoption the owner is read
 * live from the API (RecheckDeletionTimestamp), since the cache may not show a deletion that just began.
 *
 * Adopt and release are strategic merge patches of metadata.ownerReferences (merge key uid) that carry the
 * child's uid, so a child deleted and recreated under the same name is not patched by mistake: the same bodies
 * upstream sends.
 */
import type { SharedInformer } from '../../../client/informer.js';
import { ApiError, isNotFound, type RestClient } from '../../../client/rest.js';
import type { ResourceRef } from '../../../client/resources.js';
import type { Indexer } from '../../../client/store.js';
import type { KubeObject, OwnerReference } from '../../../client/types.js';
import { controllerOf, newControllerRef, type GroupVersionKind } from './pod-util.js';
import { selectorMatches, type CompiledSelector } from './selector.js';

/** What claiming does with one candidate. */
export type ClaimAction = 'keep' | 'adopt' | 'release' | 'ignore';

/**
 * The decision of ClaimObject for one candidate, pure. `matches` is the selector (and any extra filter) applied
 * to the candidate's labels.
 */
export function claimAction(owner: KubeObject, obj: KubeObject, matches: boolean): ClaimAction {
  const ref = controllerOf(obj);
  const ownerDeleting = !!owner.metadata?.deletionTimestamp;
  if (ref) {
    if (ref.uid !== owner.metadata?.uid) return 'ignore'; // someone else's
    if (matches) return 'keep';
    return ownerDeleting ? 'ignore' : 'release';
  }
  // An orphan.
  if (ownerDeleting || !matches) return 'ignore';
  if (obj.metadata?.deletionTimestamp) return 'ignore';
  const ns = owner.metadata?.namespace;
  if (ns && ns !== obj.metadata?.namespace) return 'ignore';
  return 'adopt';
}

/** The adoption patch (strategic merge): add the controller reference, precondition on the child's uid. */
export function adoptPatch(controllerRef: OwnerReference, childUID: string): { metadata: { ownerReferences: OwnerReference[]; uid: string } } {
  return { metadata: { ownerReferences: [controllerRef], uid: childUID } };
}

/** The release patch (strategic merge): delete the owner's reference by uid, precondition on the child's uid. */
export function releasePatch(ownerUID: string, childUID: string): { metadata: { ownerReferences: { $patch: 'delete'; uid: string }[]; uid: string } } {
  return { metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUID }], uid: childUID } };
}

export interface ControllerRefManagerOptions<T extends KubeObject> {
  client: RestClient;
  /** The owner as the controller's cache holds it. */
  owner: KubeObject;
  ownerGVK: GroupVersionKind;
  /** Where the owner lives, for the live re-read before adopting. */
  ownerResource: ResourceRef;
  /** Where the children live (pods, replicasets, controllerrevisions, …). */
  childResource: ResourceRef;
  selector: CompiledSelector;
  /** An extra condition a child must meet to be claimed (upstream's filters), e.g. a hash label. */
  filter?: (obj: T) => boolean;
  /** Finalizers an adoption adds and a release removes (the Job controller's tracking finalizer). */
  finalizers?: string[];
}

/** One claim pass for one sync of one owner (the recheck runs at most once, as upstream's sync.Once). */
export class ControllerRefManager<T extends KubeObject> {
  private recheck: Promise<void> | null = null;
  readonly controllerRef: OwnerReference;

  constructor(private readonly o: ControllerRefManagerOptions<T>) {
    this.controllerRef = newControllerRef(o.owner, o.ownerGVK);
  }

  /**
   * Returns the candidates this owner now controls. Errors (other than the child vanishing) are collected and
   * thrown together after every candidate was tried, so one bad child does not block the others' claims.
   */
  async claim(candidates: T[]): Promise<T[]> {
    const claimed: T[] = [];
    const errors: unknown[] = [];
    // Informer caches share one frozen labels object among pods with equal labels (share-parts.ts): the selector
    // runs once per distinct shared labels object, not once per pod (unshared ones are matched as they come).
    const matchByLabels = new Map<object, boolean>();
    const labelsMatch = (labels: Record<string, string> | undefined): boolean => {
      if (!labels || !Object.isFrozen(labels)) return selectorMatches(this.o.selector, labels);
      let m = matchByLabels.get(labels);
      if (m === undefined) matchByLabels.set(labels, (m = selectorMatches(this.o.selector, labels)));
      return m;
    };
    for (const obj of candidates) {
      const matches = labelsMatch(obj.metadata?.labels) && (this.o.filter?.(obj) ?? true);
      const action = claimAction(this.o.owner, obj, matches);
      try {
        if (action === 'keep') claimed.push(obj);
        else if (action === 'adopt') {
          if (await this.adopt(obj)) claimed.push(obj);
        } else if (action === 'release') await this.release(obj);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `claiming ${this.o.childResource.plural}: ${errors.map(String).join('; ')}`);
    return claimed;
  }

  /** Re-reads the owner live; throws if it is gone, replaced, or being deleted. */
  canAdopt(): Promise<void> {
    this.recheck ??= (async () => {
      const m = this.o.owner.metadata ?? {};
      let fresh: KubeObject;
      try {
        fresh = await this.o.client.get(this.o.ownerResource, m.name ?? '', m.namespace);
      } catch (err) {
        throw new Error(`can't recheck DeletionTimestamp: ${errorMessage(err)}`, { cause: err });
      }
      if (fresh.metadata?.uid !== m.uid) {
        throw new Error(`original ${this.o.ownerGVK.kind} ${m.namespace}/${m.name} is gone: got uid ${fresh.metadata?.uid}, wanted ${m.uid}`);
      }
      if (fresh.metadata?.deletionTimestamp) {
        throw new Error(`${m.namespace}/${m.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      }
    })();
    return this.recheck;
  }

  /** True when adopted; false when the child vanished meanwhile. */
  private async adopt(obj: T): Promise<boolean> {
    await this.canAdopt();
    const m = obj.metadata ?? {};
    try {
      const patch: Record<string, unknown> = adoptPatch(this.controllerRef, m.uid ?? '');
      if (this.o.finalizers?.length) (patch.metadata as Record<string, unknown>).finalizers = [...this.o.finalizers];
      await this.o.client.patch(this.o.childResource, m.namespace, m.name ?? '', patch, 'strategic');
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private async release(obj: T): Promise<void> {
    const m = obj.metadata ?? {};
    try {
      const patch: Record<string, unknown> = releasePatch(this.o.owner.metadata?.uid ?? '', m.uid ?? '');
      if (this.o.finalizers?.length) (patch.metadata as Record<string, unknown>)['$deleteFromPrimitiveList/finalizers'] = [...this.o.finalizers];
      await this.o.client.patch(this.o.childResource, m.namespace, m.name ?? '', patch, 'strategic');
    } catch (err) {
      // Gone, or (Invalid) no longer carrying our reference / recreated under the same name: nothing to release.
      if (isNotFound(err) || (err instanceof ApiError && err.code === 422)) return;
      throw err;
    }
  }
}

/** The text upstream prints for an API error (StatusError.Error() is the Status message). */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.status?.message || err.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * An index of objects by their controller's UID, orphans under `orphan/<namespace>` (upstream's
 * AddPodControllerUIDIndexer), so a sync reads its own children and its namespace's orphans without scanning
 * every object. Shared by all controllers on one informer: adding it twice is a no-op.
 */
export const CONTROLLER_UID_INDEX = 'controllerUID';
const orphanKey = (namespace: string): string => `orphan/${namespace}`;

export function addControllerUIDIndex<T extends KubeObject>(informer: SharedInformer<T>): void {
  try {
    informer.indexer.byIndex(CONTROLLER_UID_INDEX, '');
    return; // already there
  } catch {
    informer.indexer.addIndexer(CONTROLLER_UID_INDEX, (obj) => {
      const ref = controllerOf(obj);
      return [ref ? ref.uid : orphanKey(obj.metadata?.namespace ?? '')];
    });
  }
}

/** Objects whose controller reference has `uid` (needs addControllerUIDIndex). */
export function controlledBy<T extends KubeObject>(indexer: Indexer<T>, uid: string): T[] {
  return indexer.byIndex(CONTROLLER_UID_INDEX, uid);
}

/** The candidates a claim looks at: the owner's own children and its namespace's orphans (upstream's getRSPods). */
export function claimCandidates<T extends KubeObject>(indexer: Indexer<T>, owner: KubeObject): T[] {
  const ns = owner.metadata?.namespace ?? '';
  const own = controlledBy(indexer, owner.metadata?.uid ?? '').filter((o) => (o.metadata?.namespace ?? '') === ns);
  return own.concat(orphansIn(indexer, ns));
}

/** The namespace's orphans (objects without a controller reference), candidates for adoption. */
export function orphansIn<T extends KubeObject>(indexer: Indexer<T>, namespace: string): T[] {
  return indexer.byIndex(CONTROLLER_UID_INDEX, orphanKey(namespace));
}
