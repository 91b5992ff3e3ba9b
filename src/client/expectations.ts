/**
 * Controller expectations, as kube-controller-manager's: a controller that asked for N creates (or deletes) for
 * a key waits until its informer has seen them before it acts on that key again, so an event burst on a stale
 * cache never creates twice. Expectations expire after 5 minutes (upstream's ExpectationsTimeout) so a lost
 * watch event cannot wedge a controller.
 */
import { realClock, type Clock } from './clock.js';

export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  del: number;
  at: number;
}

export class ControllerExpectations {
  private items = new Map<string, Expectation>();

  constructor(private readonly clock: Clock = realClock) {}

  /** True when the key has no pending expectations (all seen, or expired, or never set): sync may act. */
  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    return (e.add <= 0 && e.del <= 0) || this.clock.now() - e.at > EXPECTATIONS_TIMEOUT_MS;
  }

  /** Replaces the key's expectations (a sync about to issue `add` creates and `del` deletes). */
  expect(key: string, add: number, del: number): void {
    this.items.set(key, { add, del, at: this.clock.now() });
  }

  /** One create was observed (or a create call failed, so it will never be observed). */
  creationObserved(key: string): void {
    const e = this.items.get(key);
    if (e) e.add--;
  }

  deletionObserved(key: string): void {
    const e = this.items.get(key);
    if (e) e.del--;
  }

  /** Lowers what is expected by creates that were never sent (e.g. a slow-start batch stopped early). */
  lower(key: string, add: number, del: number): void {
    const e = this.items.get(key);
    if (!e) return;
    e.add -= add;
    e.del -= del;
  }

  delete(key: string): void {
    this.items.delete(key);
  }
}

/**
 * UID-tracking expectations for deletions (upstream's UIDTrackingControllerExpectations): a pod already
 * terminating is counted once, however many updates about it arrive.
 */
export class UIDTrackingExpectations extends ControllerExpectations {
  private uids = new Map<string, Set<string>>();

  expectDeletions(key: string, uids: string[]): void {
    this.uids.set(key, new Set(uids));
    this.expect(key, 0, uids.length);
  }

  deletionObservedUID(key: string, uid: string): void {
    const s = this.uids.get(key);
    if (s?.delete(uid)) this.deletionObserved(key);
  }

  override delete(key: string): void {
    super.delete(key);
    this.uids.delete(key);
  }
}
