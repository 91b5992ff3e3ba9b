import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, type StoreSpec } from '../../../src/control/storage/index.js';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { SqliteStore } from '../../../src/control/storage/sqlite.js';

describe('openStore', () => {
  it('picks the backend from the spec', async () => {
    const mem = await openStore({ backend: 'memory' });
    expect(mem).toBeInstanceOf(MemoryStore);
    await mem.close();
    const dir = mkdtempSync(join(tmpdir(), 'skiff-openstore-'));
    try {
      const sql = await openStore({ backend: 'sqlite', dataDir: join(dir, 'nested') });
      expect(sql).toBeInstanceOf(SqliteStore);
      expect(await sql.currentRevision()).toBe(1);
      await sql.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what is missing or wrong', async () => {
    await expect(openStore({ backend: 'sqlite' })).rejects.toThrow(/data directory/);
    await expect(openStore({ backend: 'etcd', etcdEndpoints: [] })).rejects.toThrow(/endpoint/);
    await expect(openStore({ backend: 'etcd', etcdEndpoints: ['http://127.0.0.1:1'] })).rejects.toThrow(/cannot reach etcd at http:\/\/127\.0\.0\.1:1/);
    await expect(openStore({ backend: 'mongo' } as unknown as StoreSpec)).rejects.toThrow(/unknown storage backend "mongo"/);
  });
});
