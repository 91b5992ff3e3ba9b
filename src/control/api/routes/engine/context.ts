import type { ResourceType } from '../../resource.js';
import type { Registry } from '../../registry.js';
import type { Store } from '../../../storage/store.js';
import type { WatchCache } from '../../watch/cache.js';
import type { ServiceAllocator } from '../../allocators/service.js';
import type { StoredJson } from './stored-json.js';

/**
 * What the verbs share inside ObjectEngine. Each verb's function takes a Pick of this (plus the other verbs it
 * calls), so its signature says what it touches; ObjectEngine builds the one object that fills them all.
 */
export interface EngineContext {
  readonly store: Store;
  readonly registry: Registry;
  /** The watch cache of a resource, started on first use. */
  cache(r: ResourceType): WatchCache;
  now(): Date;
  random(): number;
  readonly services: ServiceAllocator;
  /** Marks every stored Service's ClusterIP/NodePorts used, once, before the first allocation. */
  observeServices(): Promise<void>;
  readonly storedJson: StoredJson;
  readonly options: { readonly gcFinalizers?: boolean; readonly onError?: (err: unknown) => void };
}
