/**
 * The one place that picks a storage backend; everything above works against `Store` only.
 */
import { join } from 'node:path';
import { EtcdStore } from './etcd.js';
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export interface StoreSpec {
  backend: 'sqlite' | 'etcd' | 'memory';
  /** sqlite: directory holding `state.db` (created if needed). */
  dataDir?: string;
  /** etcd: client URLs, e.g. http://127.0.0.1:2379. */
  etcdEndpoints?: string[];
}

export const SQLITE_FILE = 'state.db';

export async function openStore(spec: StoreSpec): Promise<Store> {
  switch (spec.backend) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite':
      if (!spec.dataDir) throw new Error('sqlite storage needs a data directory (--data-dir)');
      return SqliteStore.open(join(spec.dataDir, SQLITE_FILE));
    case 'etcd':
      if (!spec.etcdEndpoints?.length) throw new Error('etcd storage needs at least one endpoint (--etcd-endpoints)');
      return EtcdStore.connect(spec.etcdEndpoints);
    default:
      throw new Error(`unknown storage backend ${JSON.stringify((spec as { backend: unknown }).backend)}: use sqlite, etcd or memory`);
  }
}

export { CompactedError, FutureRevisionError } from './store.js';
export type { KeyValue, ListOptions, ListResult, Store, Watch, WatchEvent, WriteResult } from './store.js';
