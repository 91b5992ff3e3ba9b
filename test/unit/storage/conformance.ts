/**
 * The Store contract (src/control/storage/store.ts) as tests, registered once per backend.
 * Tests use only keys under their own prefix and assert revisions relative to what they observed, so they
 * also hold on a store shared with other writers (a shared etcd).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CompactedError, FutureRevisionError, type Store, type Watch, type WatchEvent } from '../../../src/control/storage/store.js';

export interface StoreUnderTest {
  store: Store;
  /** Key prefix no other test uses. */
  prefix: string;
  /** Releases whatever the harness started besides the store (closing the store is the suite's job). */
  cleanup?: () => Promise<void>;
}

/** Harnesses open stores with this watch buffer, so the slow-consumer path is exercised. */
export const TEST_WATCH_BUFFER = 16;

export interface StoreHarness {
  /** Opens a store (with `watchBuffer: TEST_WATCH_BUFFER`) for one test. */
  open(): Promise<StoreUnderTest>;
  /** A store no other test or suite uses, for compaction (store-wide); defaults to open(). */
  openPrivate?(): Promise<StoreUnderTest>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string) => enc.encode(s);
const text = (b: Uint8Array | undefined | null) => (b ? dec.decode(b) : null);

export function storeConformance(name: string, harness: StoreHarness): void {
  describe(`Store conformance: ${name}`, () => {
    const opened: StoreUnderTest[] = [];
    const open = async (isolated = false) => {
      const t = await (isolated && harness.openPrivate ? harness.openPrivate() : harness.open());
      opened.push(t);
      return t;
    };
    afterEach(async () => {
      for (const t of opened.splice(0)) {
        await t.store.close();
        await t.cleanup?.();
      }
    });

    it('creates, gets and refuses to create an existing key', async () => {
      const { store, prefix: p } = await open();
      const before = await store.currentRevision();
      const created = await store.create(`${p}a`, bytes('one'));
      expect(created.ok).toBe(true);
      if (!created.ok) return;
      expect(created.revision).toBeGreaterThan(before);
      expect(created.kv).toMatchObject({ key: `${p}a`, createRevision: created.revision, modRevision: created.revision });
      expect(await store.currentRevision()).toBeGreaterThanOrEqual(created.revision);

      const got = await store.get(`${p}a`);
      expect(text(got.kv?.value)).toBe('one');
      expect(got.kv?.modRevision).toBe(created.revision);
      expect(got.revision).toBeGreaterThanOrEqual(created.revision);

      const again = await store.create(`${p}a`, bytes('two'));
      expect(again.ok).toBe(false);
      if (again.ok) return;
      expect(text(again.current?.value)).toBe('one');
      expect(again.current?.modRevision).toBe(created.revision);
      expect((await store.get(`${p}missing`)).kv).toBeNull();
    });

    it('updates by compare-and-swap on modRevision', async () => {
      const { store, prefix: p } = await open();
      const c = await store.create(`${p}k`, bytes('v1'));
      if (!c.ok) throw new Error('create failed');
      const u1 = await store.update(`${p}k`, bytes('v2'), c.kv.modRevision);
      expect(u1.ok).toBe(true);
      if (!u1.ok) return;
      expect(u1.kv.createRevision).toBe(c.revision);
      expect(u1.kv.modRevision).toBe(u1.revision);
      expect(u1.revision).toBeGreaterThan(c.revision);

      const stale = await store.update(`${p}k`, bytes('v3'), c.kv.modRevision);
      expect(stale.ok).toBe(false);
      if (stale.ok) return;
      expect(text(stale.current?.value)).toBe('v2');
      expect(stale.current?.modRevision).toBe(u1.revision);
      expect(text((await store.get(`${p}k`)).kv?.value)).toBe('v2');

      const missing = await store.update(`${p}nope`, bytes('x'), u1.revision);
      expect(missing).toMatchObject({ ok: false, current: null });
      expect((await store.get(`${p}nope`)).kv).toBeNull();
    });

    it('rejects bad arguments with clear errors and stores nothing', async () => {
      const { store, prefix: p } = await open();
      await expect(store.update(`${p}k`, bytes('x'), 0)).rejects.toThrow(/modRevision/);
      await expect(store.create('', bytes('x'))).rejects.toThrow(/key/);
      await expect(store.create(`${p}k`, 'text' as unknown as Uint8Array)).rejects.toThrow(/Uint8Array/);
      await expect(store.list(p, { limit: -1 })).rejects.toThrow(/limit/);
      const future = (await store.currentRevision()) + 1000;
      await expect(store.get(`${p}k`, future)).rejects.toBeInstanceOf(FutureRevisionError);
      expect((await store.list(p)).items).toHaveLength(0);
    });

    it('deletes with and without an expected revision', async () => {
      const { store, prefix: p } = await open();
      const a = await store.create(`${p}a`, bytes('A'));
      const b = await store.create(`${p}b`, bytes('B'));
      if (!a.ok || !b.ok) throw new Error('create failed');

      const plain = await store.delete(`${p}a`);
      expect(plain.ok).toBe(true);
      if (!plain.ok) return;
      expect(text(plain.kv.value)).toBe('A');
      expect(plain.kv.modRevision).toBe(plain.revision);
      expect((await store.get(`${p}a`)).kv).toBeNull();
      expect(await store.delete(`${p}a`)).toMatchObject({ ok: false, current: null });

      const u = await store.update(`${p}b`, bytes('B2'), b.revision);
      if (!u.ok) throw new Error('update failed');
      const stale = await store.delete(`${p}b`, b.revision);
      expect(stale.ok).toBe(false);
      if (stale.ok) return;
      expect(stale.current?.modRevision).toBe(u.revision);
      expect(text((await store.get(`${p}b`)).kv?.value)).toBe('B2');
      const exact = await store.delete(`${p}b`, u.revision);
      expect(exact.ok).toBe(true);
      expect((await store.get(`${p}b`)).kv).toBeNull();

      // A deleted key can be created again, with a fresh createRevision.
      const again = await store.create(`${p}a`, bytes('A2'));
      expect(again.ok).toBe(true);
      if (!again.ok) return;
      expect(again.kv.createRevision).toBe(again.revision);
    });

    it('lists under a prefix in key order, and only that prefix', async () => {
      const { store, prefix: p } = await open();
      for (const k of ['c', 'a', 'b', 'sub/x']) await store.create(`${p}${k}`, bytes(k));
      await store.create(`${p.slice(0, -1)}~outside`, bytes('no'));
      const all = await store.list(p);
      expect(all.items.map((kv) => kv.key)).toEqual(['a', 'b', 'c', 'sub/x'].map((k) => `${p}${k}`));
      expect(all.items.map((kv) => text(kv.value))).toEqual(['a', 'b', 'c', 'sub/x']);
      expect(all).toMatchObject({ more: false, remaining: 0 });
      expect((await store.list(`${p}sub/`)).items.map((kv) => kv.key)).toEqual([`${p}sub/x`]);
    });

    it('pages with limit and startAfter at a fixed revision', async () => {
      const { store, prefix: p } = await open();
      const names = Array.from({ length: 10 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      for (const n of names) await store.create(`${p}${n}`, bytes(`${n}@1`));

      const first = await store.list(p, { limit: 4 });
      expect(first.items.map((kv) => kv.key)).toEqual(names.slice(0, 4).map((n) => `${p}${n}`));
      expect(first).toMatchObject({ more: true, remaining: 6 });

      // Writes after the first page must not show in later pages read at its revision.
      await store.create(`${p}k05a`, bytes('new'));
      await store.create(`${p}k99`, bytes('new'));
      const k06 = await store.get(`${p}k06`);
      await store.update(`${p}k06`, bytes('k06@2'), k06.kv!.modRevision);
      await store.delete(`${p}k07`);

      const seen = [...first.items];
      let page = first;
      while (page.more) {
        page = await store.list(p, { limit: 4, startAfter: page.items[page.items.length - 1]!.key, revision: first.revision });
        expect(page.revision).toBe(first.revision);
        seen.push(...page.items);
      }
      expect(seen.map((kv) => kv.key)).toEqual(names.map((n) => `${p}${n}`));
      expect(seen.map((kv) => text(kv.value))).toEqual(names.map((n) => `${n}@1`));
      expect(page).toMatchObject({ more: false, remaining: 0 });

      // The current state shows them all, with remaining counted against it.
      const now = await store.list(p, { limit: 3, startAfter: `${p}k04` });
      expect(now.items.map((kv) => kv.key)).toEqual([`${p}k05`, `${p}k05a`, `${p}k06`]);
      expect(text(now.items[2]!.value)).toBe('k06@2');
      expect(now).toMatchObject({ more: true, remaining: 3 }); // k08, k09, k99
    });

    it('pages without counting the rest still say exactly whether more keys follow', async () => {
      const { store, prefix: p } = await open();
      for (const n of ['a', 'b', 'c', 'd', 'e']) await store.create(`${p}${n}`, bytes(n));
      await store.delete(`${p}e`);
      const first = await store.list(p, { limit: 2, countRemaining: false });
      expect(first.items.map((kv) => kv.key)).toEqual([`${p}a`, `${p}b`]);
      expect(first.more).toBe(true);
      expect(first.remaining).toBeGreaterThanOrEqual(1);
      // d is the last live key: a page ending on it has nothing after it (the deleted e does not count).
      const last = await store.list(p, { limit: 2, countRemaining: false, startAfter: `${p}b`, revision: first.revision });
      expect(last.items.map((kv) => kv.key)).toEqual([`${p}c`, `${p}d`]);
      expect(last).toMatchObject({ more: false, remaining: 0 });
    });

    it('lists and gets at an old revision', async () => {
      const { store, prefix: p } = await open();
      const a = await store.create(`${p}a`, bytes('a1'));
      await store.create(`${p}b`, bytes('b1'));
      if (!a.ok) throw new Error('create failed');
      const old = await store.list(p);
      await store.update(`${p}a`, bytes('a2'), a.revision);
      await store.delete(`${p}b`);
      await store.create(`${p}c`, bytes('c1'));

      const then = await store.list(p, { revision: old.revision });
      expect(then.revision).toBe(old.revision);
      expect(then.items.map((kv) => `${kv.key.slice(p.length)}=${text(kv.value)}`)).toEqual(['a=a1', 'b=b1']);
      expect(text((await store.get(`${p}a`, old.revision)).kv?.value)).toBe('a1');
      expect(text((await store.get(`${p}b`, old.revision)).kv?.value)).toBe('b1');
      expect((await store.get(`${p}c`, old.revision)).kv).toBeNull();
      const nowList = await store.list(p);
      expect(nowList.items.map((kv) => `${kv.key.slice(p.length)}=${text(kv.value)}`)).toEqual(['a=a2', 'c=c1']);
    });

    it('watches from a past revision: every event once, in order, with previous values, then live ones', async () => {
      const { store, prefix: p } = await open();
      const start = await store.currentRevision();
      const x = await store.create(`${p}x`, bytes('x1'));
      if (!x.ok) throw new Error('create failed');
      const x2 = await store.update(`${p}x`, bytes('x2'), x.revision);
      if (!x2.ok) throw new Error('update failed');
      await store.create(`${p}y`, bytes('y1'));
      await store.create(`${p.slice(0, -1)}~other`, bytes('not watched'));
      await store.delete(`${p}x`);

      const w = store.watch(p, start);
      const events: WatchEvent[] = [];
      const reader = collect(w, events, 6);
      // Live writes, including ones racing the history read.
      await store.create(`${p}z`, bytes('z1'));
      const y = await store.get(`${p}y`);
      await store.update(`${p}y`, bytes('y2'), y.kv!.modRevision);
      await reader;
      w.close();

      const shown = events.map((e) => `${e.type} ${e.kv.key.slice(p.length)}=${text(e.kv.value)} prev=${text(e.prev?.value)}`);
      expect(shown).toEqual([
        'PUT x=x1 prev=null',
        'PUT x=x2 prev=x1',
        'PUT y=y1 prev=null',
        'DELETE x=x2 prev=x2',
        'PUT z=z1 prev=null',
        'PUT y=y2 prev=y1',
      ]);
      const revs = events.map((e) => e.revision);
      expect([...revs].sort((a, b) => a - b)).toEqual(revs);
      expect(new Set(revs).size).toBe(revs.length);
      expect(events[1]!.prev?.modRevision).toBe(x.revision);
      expect(events[3]!.kv.modRevision).toBe(events[3]!.revision);
      expect(events.every((e) => e.kv.modRevision === e.revision)).toBe(true);

      // Watching from the middle starts right after that revision.
      const mid = store.watch(p, x2.revision);
      const tail: WatchEvent[] = [];
      await collect(mid, tail, 1);
      mid.close();
      expect(tail[0]!.revision).toBeGreaterThan(x2.revision);
      expect(tail[0]!.kv.key).toBe(`${p}y`);
    });

    it('ends a watch on close, and a slow consumer still sees every event', async () => {
      const { store, prefix: p } = await open();
      const start = await store.currentRevision();
      const w = store.watch(p, start);
      const events: WatchEvent[] = [];
      await store.create(`${p}n0`, bytes('0'));
      await collect(w, events, 1); // now live
      // Far more writes than a watch buffers (harnesses open stores with a small watch buffer) pile up unread.
      for (let i = 1; i < 300; i++) await store.create(`${p}n${i}`, bytes(String(i)));
      await collect(w, events, 300);
      expect(events.map((e) => text(e.kv.value))).toEqual(Array.from({ length: 300 }, (_, i) => String(i)));
      const it = w[Symbol.asyncIterator]();
      const pending = it.next();
      w.close();
      expect((await pending).done).toBe(true);

      // Closed before it ever started: ends cleanly, also once a backend's late set-up completes.
      const quick = store.watch(p, start);
      quick.close();
      expect((await quick[Symbol.asyncIterator]().next()).done).toBe(true);
      await new Promise((r) => setTimeout(r, 100));

      // Closing the store ends its watches.
      const last = store.watch(p, await store.currentRevision());
      const waiting = last[Symbol.asyncIterator]().next();
      await store.close();
      expect((await waiting).done).toBe(true);
    });

    it('fails a watch from a compacted revision with CompactedError; reads below it too', async () => {
      const { store, prefix: p } = await open(true);
      const a = await store.create(`${p}a`, bytes('1'));
      if (!a.ok) throw new Error('create failed');
      const early = a.revision;
      let rev = early;
      for (let i = 2; i <= 4; i++) {
        const u = await store.update(`${p}a`, bytes(String(i)), rev);
        if (!u.ok) throw new Error('update failed');
        rev = u.revision;
      }
      await store.create(`${p}b`, bytes('b'));
      await store.delete(`${p}b`);
      await store.compact(rev);
      await store.compact(early); // at or below the compacted revision: no-op

      const w = store.watch(p, early - 1);
      const it = w[Symbol.asyncIterator]();
      const err = await it.next().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CompactedError);
      expect((err as CompactedError).compacted).toBe(rev);
      expect((await it.next()).done).toBe(true);
      w.close();

      await expect(store.list(p, { revision: early })).rejects.toBeInstanceOf(CompactedError);
      await expect(store.get(`${p}a`, rev - 1)).rejects.toBeInstanceOf(CompactedError);
      await expect(store.compact((await store.currentRevision()) + 10)).rejects.toBeInstanceOf(FutureRevisionError);

      // Just below the compacted revision is compacted too.
      const edge = store.watch(p, rev - 1);
      await expect(edge[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(CompactedError);
      edge.close();

      // The state at the compacted revision and every event after it stay available, with previous values.
      expect(text((await store.get(`${p}a`, rev)).kv?.value)).toBe('4');
      expect((await store.list(p, { revision: rev })).items.map((kv) => text(kv.value))).toEqual(['4']);
      const u = await store.update(`${p}a`, bytes('5'), rev);
      expect(u.ok).toBe(true);
      const ok = store.watch(p, rev);
      const events: WatchEvent[] = [];
      await collect(ok, events, 3);
      ok.close();
      expect(events.map((e) => `${e.type} ${e.kv.key.slice(p.length)}`)).toEqual(['PUT b', 'DELETE b', 'PUT a']);
      expect(text(events[1]!.prev?.value)).toBe('b');
      expect(text(events[2]!.prev?.value)).toBe('4');
      expect(events[2]!.prev?.modRevision).toBe(rev);
    });

    it('never loses an update under concurrent compare-and-swap writers', async () => {
      const { store, prefix: p } = await open();
      await store.create(`${p}counter`, bytes('0'));
      let conflicts = 0;
      const increment = async () => {
        for (;;) {
          const { kv } = await store.get(`${p}counter`);
          const next = Number(text(kv!.value)) + 1;
          const r = await store.update(`${p}counter`, bytes(String(next)), kv!.modRevision);
          if (r.ok) return;
          conflicts++;
          expect(r.current).not.toBeNull();
        }
      };
      await Promise.all(Array.from({ length: 20 }, increment));
      expect(text((await store.get(`${p}counter`)).kv?.value)).toBe('20');
      expect(conflicts).toBeGreaterThan(0); // the writers really raced
    });
  });
}

/** Reads `n` events from a watch (fails the test rather than hanging). */
async function collect(w: Watch, into: WatchEvent[], n: number): Promise<void> {
  const it = w[Symbol.asyncIterator]();
  const timeout = setTimeout(() => w.close(), 10_000);
  try {
    while (into.length < n) {
      const r = await it.next();
      if (r.done) throw new Error(`watch ended after ${into.length} of ${n} events`);
      into.push(r.value);
    }
  } finally {
    clearTimeout(timeout);
  }
}
