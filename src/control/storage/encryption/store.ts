/**
 * Encryption at rest as a Store between the object engine and a backend: values of configured resources are
 * encrypted on the way in and decrypted on the way out (gets, lists and watch events), so everything above it,
 * the watch cache included, sees plaintext objects. Keys of resources no rule names pass through untouched;
 * the per-key cost is finding the key's resource segment and one map lookup.
 */
import type { KeyValue, ListOptions, ListResult, Store, Watch, WatchEvent, WriteResult } from '../store.js';
import type { EncryptionConfig } from './config.js';
import { ResourceTransformer } from './transformer.js';

const REGISTRY = '/registry/';
/** The API groups without a dot (all others have one): their keys are /registry/<group>/<resource>/…. */
const DOTLESS_GROUPS = new Set(['apps', 'batch', 'policy', 'autoscaling', 'extensions']);

/** `/registry/secrets/` or `/registry/apps/deployments/` for a key or prefix under it; null when it stops short. */
export function resourcePrefixOf(key: string): { prefix: string; group: string; resource: string } | null {
  if (!key.startsWith(REGISTRY)) return null;
  const a = key.indexOf('/', REGISTRY.length);
  if (a < 0) return null;
  const first = key.slice(REGISTRY.length, a);
  if (!first.includes('.') && !DOTLESS_GROUPS.has(first)) return { prefix: key.slice(0, a + 1), group: '', resource: first };
  const b = key.indexOf('/', a + 1);
  if (b < 0) return null;
  return { prefix: key.slice(0, b + 1), group: first, resource: key.slice(a + 1, b) };
}

/** Whether an EncryptionConfiguration resource name (`secrets`, `deployments.apps`, `*.apps`, `*.`, `*.*`) covers a resource. */
export function matchesResource(pattern: string, group: string, resource: string): boolean {
  if (pattern === '*.*') return true;
  const dot = pattern.indexOf('.');
  const pr = dot < 0 ? pattern : pattern.slice(0, dot);
  const pg = dot < 0 ? '' : pattern.slice(dot + 1);
  return pg === group && (pr === '*' || pr === resource);
}

export class EncryptedStore implements Store {
  private readonly rules: { patterns: string[]; transformer: ResourceTransformer }[];
  /** Resource prefix → its transformer (null: stored as is), filled on first use. */
  private readonly byPrefix = new Map<string, ResourceTransformer | null>();
  /** Keys whose value at this modRevision was read with an old key or as plaintext (see isStale). */
  private readonly stale = new Map<string, number>();

  constructor(readonly inner: Store, config: EncryptionConfig) {
    // The first rule naming a resource decides, as upstream's.
    this.rules = config.resources.map((r) => ({ patterns: r.resources, transformer: new ResourceTransformer(r.providers) }));
  }

  private transformerFor(key: string): ResourceTransformer | null {
    const res = resourcePrefixOf(key);
    if (!res) return null;
    let t = this.byPrefix.get(res.prefix);
    if (t === undefined) {
      t = this.rules.find((rule) => rule.patterns.some((p) => matchesResource(p, res.group, res.resource)))?.transformer ?? null;
      this.byPrefix.set(res.prefix, t);
    }
    return t;
  }

  /** Whether anything under a list or watch prefix may need decrypting (a prefix above one resource: maybe). */
  private mayTransform(prefix: string): boolean {
    return resourcePrefixOf(prefix) ? this.transformerFor(prefix) !== null : this.rules.length > 0;
  }

  /**
   * True when the value at `key` with this modRevision was written with another provider or key than the one
   * that writes now: an update then stores it again even if the object is unchanged (upstream's stale flag), so
   * `kubectl get secrets -A -o json | kubectl replace -f -` re-encrypts everything with the new first key.
   */
  isStale(key: string, modRevision: number): boolean {
    return this.stale.size > 0 && this.stale.get(key) === modRevision;
  }

  private fromStorage(kv: KeyValue): KeyValue {
    const t = this.transformerFor(kv.key);
    if (!t) return kv;
    const { value, stale } = t.fromStorage(kv.value, kv.key);
    if (stale) this.stale.set(kv.key, kv.modRevision);
    else if (this.stale.size) this.stale.delete(kv.key);
    return { ...kv, value };
  }

  private written(res: WriteResult, plain: Uint8Array): WriteResult {
    if (!res.ok) return res.current ? { ...res, current: this.fromStorage(res.current) } : res;
    if (this.stale.size) this.stale.delete(res.kv.key);
    return { ...res, kv: { ...res.kv, value: plain } };
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  async get(key: string, revision?: number): Promise<{ revision: number; kv: KeyValue | null }> {
    const res = await this.inner.get(key, revision);
    return res.kv ? { revision: res.revision, kv: this.fromStorage(res.kv) } : res;
  }

  async list(prefix: string, options?: ListOptions): Promise<ListResult> {
    const res = await this.inner.list(prefix, options);
    if (!this.mayTransform(prefix)) return res;
    return { ...res, items: res.items.map((kv) => this.fromStorage(kv)) };
  }

  async create(key: string, value: Uint8Array): Promise<WriteResult> {
    const t = this.transformerFor(key);
    if (!t) return this.inner.create(key, value);
    return this.written(await this.inner.create(key, t.toStorage(value, key)), value);
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<WriteResult> {
    const t = this.transformerFor(key);
    if (!t) return this.inner.update(key, value, expectedModRevision);
    return this.written(await this.inner.update(key, t.toStorage(value, key), expectedModRevision), value);
  }

  async delete(key: string, expectedModRevision?: number): Promise<WriteResult> {
    const res = await this.inner.delete(key, expectedModRevision);
    if (!this.transformerFor(key)) return res;
    if (res.ok) {
      if (this.stale.size) this.stale.delete(key);
      return { ...res, kv: this.fromStorage(res.kv) };
    }
    return res.current ? { ...res, current: this.fromStorage(res.current) } : res;
  }

  watch(prefix: string, fromRevision: number): Watch {
    const w = this.inner.watch(prefix, fromRevision);
    if (!this.mayTransform(prefix)) return w;
    const decrypt = (ev: WatchEvent): WatchEvent => {
      if (!this.transformerFor(ev.kv.key)) return ev;
      if (ev.type === 'DELETE' && this.stale.size) this.stale.delete(ev.kv.key);
      return {
        ...ev,
        // A delete's kv is the last value again: decrypt it without recording it as stale.
        kv: ev.type === 'DELETE' ? { ...ev.kv, value: this.transformerFor(ev.kv.key)!.fromStorage(ev.kv.value, ev.kv.key).value } : this.fromStorage(ev.kv),
        prev: ev.prev ? { ...ev.prev, value: this.transformerFor(ev.prev.key)!.fromStorage(ev.prev.value, ev.prev.key).value } : null,
      };
    };
    return {
      close: () => w.close(),
      async *[Symbol.asyncIterator]() {
        for await (const ev of w) yield decrypt(ev);
      },
    };
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
