/**
 * get and list: from the watch cache when the requested resourceVersion allows it, else from storage (a
 * field-pinned name as one key read, pages with continue tokens).
 */
import type { KubeObject, ResourceType } from '../../resource.js';
import { storageKey, storagePrefix } from '../../resource.js';
import { CompactedError, FutureRevisionError, type ListOptions as StoreListOptions } from '../../../storage/store.js';
import { badRequest, expired, notFound, timeout } from '../../status.js';
import { decodeKV, rawEntry, type Entry } from '../../watch/cache.js';
import { parseLabelSelector, matchesLabels } from '../../selectors/label.js';
import { parseFieldSelector, matchesFields, checkFieldSelector, pinnedName } from '../../selectors/field.js';
import type { EngineContext } from './context.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { gr } from './group-kind.js';
import { parseRV } from './metav1.js';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  /** Entries carry memoised JSON so large lists serialise each object once. */
  items: Entry[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export type ReadContext = Pick<EngineContext, 'store' | 'cache'>;

export async function getObject(
  ctx: ReadContext, r: ResourceType, ns: string | undefined, name: string, resourceVersion?: string,
): Promise<KubeObject> {
  const key = storageKey(r, ns, name);
  // "0" is any version; N is not older than N (served by the cache once it holds this server's writes).
  if (resourceVersion && resourceVersion !== '0') parseRV(resourceVersion);
  const c = ctx.cache(r);
  // A watch-only cache (events) holds no objects: storage answers, as upstream's without a cacher.
  if (resourceVersion && c.holdsObjects) {
    await c.start();
    if (resourceVersion === '0' || (await c.waitFresh())) {
      const e = c.get(key);
      if (!e) throw notFound(gr(r), name);
      return structuredClone(e.object);
    }
  }
  const { kv } = await storeCall(() => ctx.store.get(key));
  if (!kv) throw notFound(gr(r), name);
  return decodeKV(kv);
}

export async function listObjects(ctx: ReadContext, r: ResourceType, ns: string | undefined, opts: ListOptions): Promise<ListResult> {
  const labels = parseLabelSelector(opts.labelSelector);
  const fields = parseFieldSelector(opts.fieldSelector);
  checkFieldSelector(r, fields);
  const prefix = storagePrefix(r, ns);
  const match = (o: KubeObject) =>
    (labels.length === 0 || matchesLabels(labels, o.metadata?.labels)) && (fields.length === 0 || matchesFields(fields, o));
  const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
  // ListOptions combinations were validated with the request (params/options.ts); storage's own rule stays here.
  const rvMatch = opts.resourceVersionMatch;
  if (opts.continue && opts.resourceVersion && opts.resourceVersion !== '0') {
    throw badRequest('specifying resource version is not allowed when using continue');
  }

  // Served from the watch cache: resourceVersion=0 (any), or NotOlderThan a revision the cache has reached.
  const rv = opts.resourceVersion;
  // A watch-only cache (events) holds no objects: storage answers every list, as upstream's without a cacher.
  const cached = ctx.cache(r).holdsObjects;
  if (rv !== undefined && rv !== '' && rv !== '0') parseRV(rv);
  if (cached && !opts.continue && rv !== undefined && rv !== '' && rvMatch !== 'Exact' && (rv === '0' || !limit)) {
    const c = ctx.cache(r);
    await c.start();
    // NotOlderThan N: the cache holds every write this server made; it answers with its own revision, which
    // a following watch continues from without a gap.
    if (rv === '0' || (await c.waitFresh())) {
      const items = c.list(prefix).filter((e) => match(e.object));
      return { items, resourceVersion: String(c.revision) };
    }
  }

  let revision = 0;
  let startAfter: string | undefined;
  if (opts.continue) {
    const t = decodeContinue(opts.continue);
    revision = t.rv;
    startAfter = prefix + t.start;
  } else if (rv && rvMatch === 'Exact') {
    revision = parseRV(rv);
  }

  // A name pinned by the field selector (kubectl get -w x) reads one key.
  // Only a key when the namespace is known too: across namespaces a name is no single key.
  const pinned = !r.namespaced || ns !== undefined ? pinnedName(fields) : undefined;
  if (pinned !== undefined && !opts.continue) {
    const { revision: at, kv } = await storeCall(() => ctx.store.get(prefix + pinned, revision || undefined), opts.continue);
    const items: Entry[] = [];
    if (kv) {
      const o = decodeKV(kv);
      if (match(o)) items.push({ key: kv.key, object: o });
    }
    return { items, resourceVersion: String(at) };
  }

  // Consistent lists (no resourceVersion) and NotOlderThan pages come from the watch cache once it holds every
  // write this server made, as upstream's ConsistentListFromCache serves them; a continue token is served there
  // while the cache is still at the token's revision. Storage answers the rest (an older revision, Exact, a
  // cache that cannot catch up), where each page would also count every remaining key.
  if (cached && rv !== '0' && rvMatch !== 'Exact' && (!opts.continue || revision > 0)) {
    const atLeast = opts.continue ? revision : rv ? parseRV(rv) : 0;
    const c = ctx.cache(r);
    await c.start();
    if ((await c.waitFresh()) && c.revision >= atLeast && (!opts.continue || c.revision === revision)) {
      return pageFromCache(c.list(prefix, startAfter), c.revision, prefix, match, limit, labels.length === 0 && fields.length === 0);
    }
  }

  const items: Entry[] = [];
  let more = false;
  let remaining = 0;
  let lastKey = startAfter;
  let listRevision = revision;
  for (;;) {
    const want = limit ? limit - items.length : 0;
    // With a selector, over-read so a page still fills; storage is asked again when it does not.
    const batch = limit ? (labels.length || fields.length ? Math.max(want, 100) : want) : 0;
    const listOpts: StoreListOptions = {};
    if (batch) listOpts.limit = batch;
    // A filtered page reports no remainingItemCount: storage need not count what follows.
    if (labels.length || fields.length) listOpts.countRemaining = false;
    if (lastKey) listOpts.startAfter = lastKey;
    if (listRevision) listOpts.revision = listRevision;
    const res = await storeCall(() => ctx.store.list(prefix, listOpts), opts.continue);
    listRevision = res.revision;
    let i = 0;
    const filtered = labels.length > 0 || fields.length > 0;
    for (; i < res.items.length; i++) {
      const kv = res.items[i]!;
      lastKey = kv.key;
      // Without selectors nothing needs the parsed object: the stored JSON goes out with its resourceVersion spliced in.
      const raw = filtered ? null : rawEntry(kv);
      if (raw) items.push(raw);
      else {
        const o = decodeKV(kv);
        if (match(o)) items.push({ key: kv.key, object: o });
      }
      if (limit && items.length >= limit) {
        i++;
        break;
      }
    }
    const storeHasMore = res.more || i < res.items.length;
    if (!limit || !storeHasMore) break;
    if (items.length >= limit) {
      more = true;
      remaining = res.remaining + (res.items.length - i);
      break;
    }
  }
  const out: ListResult = { items, resourceVersion: String(listRevision) };
  if (more && lastKey) {
    out.continue = encodeContinue(listRevision, lastKey, prefix);
    if (labels.length === 0 && fields.length === 0) out.remainingItemCount = remaining;
  }
  return out;
}

/** One page of a list from the cache's sorted entries (those after the continue key), with a continue token when more keys follow. */
function pageFromCache(
  all: Entry[], revision: number, prefix: string, match: (o: KubeObject) => boolean, limit: number, unfiltered: boolean,
): ListResult {
  let i = 0;
  const items: Entry[] = [];
  for (; i < all.length && (!limit || items.length < limit); i++) if (match(all[i]!.object)) items.push(all[i]!);
  const out: ListResult = { items, resourceVersion: String(revision) };
  if (limit && i < all.length && items.length >= limit) {
    out.continue = encodeContinue(revision, all[i - 1]!.key, prefix);
    if (unfiltered) out.remainingItemCount = all.length - i;
  }
  return out;
}

/** Storage errors that are API answers: compaction (410) and future revisions (504 as upstream's timeout). */
async function storeCall<T>(fn: () => Promise<T>, continueToken?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CompactedError) {
      if (continueToken) {
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
      throw expired(`too old resource version: ${err.requested} (${err.compacted})`);
    }
    if (err instanceof FutureRevisionError) throw timeout(`Too large resource version: ${err.requested}, current: ${err.current}`);
    throw err;
  }
}
