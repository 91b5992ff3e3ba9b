/**
 * The namespace controller's deletion half, inside the API server: a terminating namespace's contents are
 * deleted (with their own finalizers and grace periods honoured), then the `kubernetes` finalizer is removed
 * through /finalize, which deletes the namespace once nothing else holds it.
 *
 * Runs when a namespace starts terminating and on a slow sweep (pods waiting on kubelets, restarts).
 */
import type { ResourceType } from '../resource.js';
import { ApiError } from '../status.js';
import type { ObjectEngine } from './objects.js';

export class NamespaceLifecycle {
  private timer: NodeJS.Timeout | null = null;
  private running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly engine: ObjectEngine,
    private readonly sweepMs = 2000,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  start(): void {
    this.engine.onNamespaceTerminating = (name) => this.kick(name);
    const loop = () => {
      if (this.stopped) return;
      void this.sweep().finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.sweepMs).unref();
      });
    };
    this.timer = setTimeout(loop, 0).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.running.values()]);
  }

  /** Starts (or joins) finalising one namespace. */
  kick(name: string): Promise<void> {
    let p = this.running.get(name);
    if (!p) {
      p = this.finalize(name)
        .catch((err: unknown) => {
          if (!(err instanceof ApiError && err.code === 404)) this.onError(err);
        })
        .finally(() => this.running.delete(name));
      this.running.set(name, p);
    }
    return p;
  }

  private async sweep(): Promise<void> {
    const nsType = this.namespaces();
    if (!nsType || this.engine.isClosed) return;
    try {
      const { items } = await this.engine.list(nsType, undefined, {});
      await Promise.all(items.filter((e) => e.object.metadata?.deletionTimestamp).map((e) => this.kick(e.object.metadata!.name!)));
    } catch (err) {
      if (!this.engine.isClosed) this.onError(err);
    }
  }

  private namespaces(): ResourceType | undefined {
    return this.engine.registry.lookup('', 'v1', 'namespaces');
  }

  /** One pass: delete what is left; when the namespace is empty, drop the `kubernetes` finalizer. */
  private async finalize(name: string): Promise<void> {
    const nsType = this.namespaces()!;
    const ns = await this.engine.get(nsType, undefined, name);
    if (!ns.metadata?.deletionTimestamp) return;
    let remaining = 0;
    for (const r of this.engine.registry.namespaced()) {
      if (this.stopped) return;
      const deleted = await this.engine.deleteCollection(r, name, {}, {}, {});
      const left = deleted.filter((o) => o.metadata?.deletionTimestamp).length;
      remaining += left;
    }
    if (remaining > 0 || this.stopped) return;
    // Double-check with fresh lists: something may have been created while the namespace was Active.
    for (const r of this.engine.registry.namespaced()) {
      const { items } = await this.engine.list(r, name, { limit: 1 });
      if (items.length) return;
    }
    const finalizers = ((ns['spec'] as { finalizers?: string[] } | undefined)?.finalizers ?? []).filter((f) => f !== 'kubernetes');
    await this.engine.finalizeNamespace(name, { spec: { finalizers } }, {});
  }
}
