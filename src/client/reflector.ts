/**
 * Reflector: keeps a sink in step with the API server, as client-go's does. It lists (in pages), hands the
 * whole list to `replace`, then watches from the list's resourceVersion with bookmarks, applying each event.
 * When the watch ends it watches again from the last seen resourceVersion; when that version has been
 * compacted (410 Expired, as an HTTP error or an ERROR event) it lists again. Failures back off on the clock,
 * from 800 ms doubling to 30 s, reset after a success.
 */
import { sleep, type Clock } from './clock.js';
import { ApiError, isExpired, type RestClient } from './rest.js';
import type { ResourceRef } from './resources.js';
import type { KubeObject, Status } from './types.js';

export interface ReflectorSink<T extends KubeObject> {
  replace(items: T[], resourceVersion: string): void;
  add(obj: T): void;
  update(obj: T): void;
  delete(obj: T): void;
  /** The resourceVersion now known (bookmarks and every event). */
  setResourceVersion(rv: string): void;
}

export interface ReflectorOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** List page size; 0 = one unpaged list. Default 500, client-go's. */
  pageSize?: number;
  /** Watch events are read without metadata.managedFields (RestClient.watch's omitManagedFields): the sink drops them. */
  omitManagedFields?: boolean;
  /** Reported to `onError` instead of thrown; the reflector keeps going. */
  onError?: (err: unknown) => void;
}

export class Reflector<T extends KubeObject> {
  lastResourceVersion = '';
  private backoffMs = 0;

  constructor(
    private readonly client: RestClient,
    private readonly ref: ResourceRef,
    private readonly sink: ReflectorSink<T>,
    private readonly clock: Clock,
    private readonly opts: ReflectorOptions = {},
  ) {}

  /** Runs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.list(signal);
          needList = false;
        }
        await this.watch(signal);
        this.backoffMs = 0;
      } catch (err) {
        if (signal.aborted) return;
        if (isExpired(err)) {
          needList = true;
          continue;
        }
        this.opts.onError?.(err);
        await this.backoff(signal);
      }
    }
  }

  private async list(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    const limit = this.opts.pageSize ?? 500;
    do {
      if (signal.aborted) return;
      const page = await this.client.list<T>(this.ref, {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: limit || undefined,
        continue: cont,
      });
      for (const it of page.items) items.push(it);
      // Every page carries the first page's snapshot revision; the continue token pins it.
      rv = page.metadata.resourceVersion ?? rv;
      cont = page.metadata.continue || undefined;
    } while (cont);
    this.sink.replace(items, rv);
    this.lastResourceVersion = rv;
    this.sink.setResourceVersion(rv);
  }

  private async watch(signal: AbortSignal): Promise<void> {
    // client-go picks a random timeout in [5, 10) minutes so that watchers do not all reconnect at once.
    const timeoutSeconds = Math.floor(300 + Math.random() * 300);
    const events = this.client.watch<T>(this.ref, {
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      resourceVersion: this.lastResourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds,
      signal,
      omitManagedFields: this.opts.omitManagedFields,
    });
    for await (const ev of events) {
      if (ev.type === 'ERROR') {
        const st = ev.object as unknown as Status;
        throw new ApiError(st.code ?? 500, st.reason ?? '', st, 'WATCH', this.ref.plural);
      }
      const rv = ev.object.metadata?.resourceVersion;
      switch (ev.type) {
        case 'ADDED':
          this.sink.add(ev.object);
          break;
        case 'MODIFIED':
          this.sink.update(ev.object);
          break;
        case 'DELETED':
          this.sink.delete(ev.object);
          break;
        case 'BOOKMARK':
          break;
      }
      if (rv) {
        this.lastResourceVersion = rv;
        this.sink.setResourceVersion(rv);
      }
      this.backoffMs = 0;
    }
  }

  private async backoff(signal: AbortSignal): Promise<void> {
    this.backoffMs = this.backoffMs === 0 ? 800 : Math.min(this.backoffMs * 2, 30_000);
    await sleep(this.clock, this.backoffMs, signal);
  }
}
