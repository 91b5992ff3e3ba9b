import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/control/storage/sqlite.js';
import { openStore } from '../../../src/control/storage/index.js';
import { storeConformance, TEST_WATCH_BUFFER } from './conformance.js';

const root = mkdtempSync(join(tmpdir(), 'skiff-sqlite-test-'));
let n = 0;
const freshFile = () => join(root, `t${++n}`, 'state.db');
afterAll(() => rmSync(root, { recursive: true, force: true }));

storeConformance('sqlite', {
  open: async () => ({ store: SqliteStore.open(freshFile(), { watchBuffer: TEST_WATCH_BUFFER, synchronous: 'normal' }), prefix: '/registry/test/' }),
});
// The default durability acknowledges through the off-thread WAL sync: the same contract must hold.
storeConformance('sqlite (synchronous full)', {
  open: async () => ({ store: SqliteStore.open(freshFile(), { watchBuffer: TEST_WATCH_BUFFER }), prefix: '/registry/test/' }),
});

const enc = new TextEncoder();
const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

describe('sqlite storage on disk', () => {
  it('keeps data and continues revisions across close and reopen', async () => {
    const dir = join(root, 'durable');
    let store = await openStore({ backend: 'sqlite', dataDir: dir });
    const a = await store.create('/registry/pods/default/a', enc.encode('A'));
    const b = await store.create('/registry/pods/default/b', enc.encode('B'));
    if (!a.ok || !b.ok) throw new Error('create failed');
    const u = await store.update('/registry/pods/default/a', enc.encode('A2'), a.revision);
    if (!u.ok) throw new Error('update failed');
    const del = await store.delete('/registry/pods/default/b');
    if (!del.ok) throw new Error('delete failed');
    await store.close();

    store = await openStore({ backend: 'sqlite', dataDir: dir });
    expect(await store.currentRevision()).toBe(del.revision);
    const list = await store.list('/registry/pods/');
    expect(list.items.map((kv) => [kv.key, text(kv.value), kv.createRevision, kv.modRevision])).toEqual([
      ['/registry/pods/default/a', 'A2', a.revision, u.revision],
    ]);
    expect(text((await store.get('/registry/pods/default/b', b.revision)).kv?.value)).toBe('B');
    const next = await store.create('/registry/pods/default/c', enc.encode('C'));
    expect(next.ok && next.revision).toBe(del.revision + 1);

    // History written by the previous process is watchable.
    const w = store.watch('/registry/pods/', 0);
    const it = w[Symbol.asyncIterator]();
    const types: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await it.next();
      if (!r.done) types.push(`${r.value.type}@${r.value.revision}`);
    }
    w.close();
    expect(types).toEqual([
      `PUT@${a.revision}`,
      `PUT@${b.revision}`,
      `PUT@${u.revision}`,
      `DELETE@${del.revision}`,
      `PUT@${del.revision + 1}`,
    ]);
    await store.close();
  });

  it('a new file has 16 KiB pages; a file made with 4 KiB pages keeps them and its data', async () => {
    const pageSize = (file: string): number => {
      const db = new Database(file, { readonly: true });
      try {
        return db.pragma('page_size', { simple: true }) as number;
      } finally {
        db.close();
      }
    };
    const fresh = freshFile();
    const store = SqliteStore.open(fresh);
    await store.create('/registry/pods/default/a', enc.encode('A'));
    await store.close();
    expect(pageSize(fresh)).toBe(16384);

    // As an earlier build made it: SQLite's default page size, WAL, the same schema and a row.
    const old = freshFile();
    mkdirSync(dirname(old), { recursive: true });
    const made = new Database(old);
    made.pragma('journal_mode = WAL');
    made.close();
    expect(pageSize(old)).toBe(4096);
    let reopened = SqliteStore.open(old);
    const put = await reopened.create('/registry/pods/default/old', enc.encode('kept'));
    await reopened.close();
    reopened = SqliteStore.open(old);
    expect(text((await reopened.get('/registry/pods/default/old')).kv?.value)).toBe('kept');
    expect(put.ok).toBe(true);
    await reopened.close();
    expect(pageSize(old)).toBe(4096);
  });

  it('compaction removes superseded rows and survives reopen', async () => {
    const file = freshFile();
    let store = SqliteStore.open(file);
    const c = await store.create('/k', enc.encode('0'));
    if (!c.ok) throw new Error('create failed');
    let rev = c.revision;
    for (let i = 1; i <= 9; i++) {
      const u = await store.update('/k', enc.encode(String(i)), rev);
      if (!u.ok) throw new Error('update failed');
      rev = u.revision;
    }
    await store.create('/gone', enc.encode('x'));
    await store.delete('/gone');
    const last = await store.update('/k', enc.encode('10'), rev);
    if (!last.ok) throw new Error('update failed');
    await store.compact(last.revision - 1);
    await store.close();

    const raw = new Database(file, { readonly: true });
    const rows = raw.prepare('SELECT id, name, deleted FROM kine ORDER BY id').all() as { id: number; name: string; deleted: number }[];
    raw.close();
    // Kept: /k's row that is its state at the compacted revision, and the newer one; /gone's create and
    // tombstone are both gone.
    expect(rows.map((r) => `${r.name}@${r.id}${r.deleted ? '-' : ''}`)).toEqual([`/k@${rev}`, `/k@${last.revision}`]);

    store = SqliteStore.open(file);
    await expect(store.get('/k', rev - 1)).rejects.toThrow(/compacted/);
    expect(text((await store.get('/k', last.revision - 1)).kv?.value)).toBe('9');
    await store.close();
  });

  it('group commit: writes issued while a WAL sync runs are acknowledged in order and kept', async () => {
    const file = freshFile();
    let store = SqliteStore.open(file);
    const events: number[] = [];
    const w = store.watch('/g/', 1);
    const seen = (async () => {
      for await (const ev of w) if (events.push(ev.revision) === 200) return;
    })();
    const acked: number[] = [];
    const writes: Promise<void>[] = [];
    // Spread over many turns of the event loop, so several batches commit while one sync is in flight.
    for (let i = 0; i < 200; i++) {
      writes.push(
        store.create(`/g/${i}`, enc.encode(String(i))).then((r) => {
          if (!r.ok) throw new Error('create failed');
          acked.push(r.revision);
        }),
      );
      if (i % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writes);
    await seen;
    w.close();
    expect(acked).toEqual([...acked].sort((a, b) => a - b));
    expect(new Set(acked).size).toBe(200);
    expect(events).toEqual(acked);
    await store.close();
    store = SqliteStore.open(file);
    expect((await store.list('/g/')).items).toHaveLength(200);
    await store.close();
  });

  it('keeps each stored value in a buffer of its own (a small value never holds a shared pool slab)', async () => {
    const store = SqliteStore.open(freshFile(), { synchronous: 'normal' });
    try {
      const events: Uint8Array[] = [];
      const w = store.watch('/registry/pods/', await store.currentRevision());
      const seen = (async () => {
        for await (const ev of w) if (events.push(ev.kv.value) === 2) return;
      })();
      // Buffers under 4 KB come from Node's shared pool, as the API server's encoded objects do.
      const a = await store.create('/registry/pods/default/a', Buffer.from('{"kind":"Pod","a":1}'));
      if (!a.ok) throw new Error('create failed');
      const u = await store.update('/registry/pods/default/a', Buffer.from('{"kind":"Pod","a":2}'), a.revision);
      if (!u.ok) throw new Error('update failed');
      await seen;
      w.close();
      const { kv } = await store.get('/registry/pods/default/a');
      for (const v of [kv!.value, u.kv.value, ...events]) expect(v.buffer.byteLength).toBe(v.byteLength);
      expect(text(kv!.value)).toBe('{"kind":"Pod","a":2}');
      expect(events.map(text)).toEqual(['{"kind":"Pod","a":1}', '{"kind":"Pod","a":2}']);
    } finally {
      await store.close();
    }
  });

  it('refuses a second opener of the same file while the first holds it', async () => {
    const file = freshFile();
    const first = SqliteStore.open(file);
    expect(() => SqliteStore.open(file)).toThrow(/in use by another process/);
    await first.close();
    const again = SqliteStore.open(file);
    await again.close();
  });
});
