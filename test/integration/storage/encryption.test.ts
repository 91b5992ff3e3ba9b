/**
 * Secrets encrypted at rest through the API: the bytes in the sqlite file and under the etcd key are ciphertext,
 * plaintext written before encryption still reads, key rotation by rewriting, and a missing key is a clear 500.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { Etcd3 } from 'etcd3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildServer, type ApiServer } from '../../../src/control/api/server.js';
import { bootstrap } from '../../../src/control/bootstrap.js';
import { SqliteStore } from '../../../src/control/storage/sqlite.js';
import { EtcdStore } from '../../../src/control/storage/etcd.js';
import type { Store } from '../../../src/control/storage/store.js';
import type { EncryptionConfig, ProviderConfig } from '../../../src/control/storage/encryption/config.js';

const PASSWORD = 'correct-horse-battery-staple';
const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { password: PASSWORD } });
const aescbc = (name: string, fill: number): ProviderConfig => ({ type: 'aescbc', keys: [{ name, secret: Buffer.alloc(32, fill) }] });
const secretsWith = (...providers: ProviderConfig[]): EncryptionConfig => ({ resources: [{ resources: ['secrets'], providers }] });

async function serve(store: Store, encryption?: EncryptionConfig): Promise<ApiServer> {
  const server = await buildServer({ store, compactIntervalMs: 0, namespaceSweepMs: 60_000, metrics: false, ...(encryption ? { encryption } : {}) });
  await bootstrap(server.engine, { host: '127.0.0.1', port: 6443 });
  return server;
}

async function call(server: ApiServer, method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await server.app.inject({ method: method as 'GET', url, ...(body ? { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
}

const base = '/api/v1/namespaces/default/secrets';

describe('encryption at rest on sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-enc-'));
  const file = join(dir, 'state.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The newest stored value of a key, read from the file itself. */
  const rawRow = (key: string): Buffer => {
    const db = new Database(file, { readonly: true });
    try {
      const row = db.prepare('SELECT value FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1').get(key) as { value: Buffer } | undefined;
      if (!row) throw new Error(`no row for ${key}`);
      return row.value;
    } finally {
      db.close();
    }
  };

  /** One server life on the file (the store holds sqlite's exclusive lock, so the file is read between lives). */
  async function life(encryption: EncryptionConfig | undefined, fn: (server: ApiServer) => Promise<void>): Promise<void> {
    const store = SqliteStore.open(file);
    const server = await serve(store, encryption);
    try {
      await fn(server);
    } finally {
      await server.close();
      await store.close();
    }
  }

  it('stores ciphertext, reads old plaintext, rotates by rewriting, and fails clearly without the key', async () => {
    // Before encryption: plaintext in the file.
    await life(undefined, async (server) => {
      expect((await call(server, 'POST', base, secret('plain'))).status).toBe(201);
    });
    expect(rawRow('/registry/secrets/default/plain').toString()).toContain(Buffer.from(PASSWORD).toString('base64'));

    // Encryption on with key1: new secrets are ciphertext; the old plaintext one still reads.
    await life(secretsWith(aescbc('key1', 1), { type: 'identity' }), async (server) => {
      expect((await call(server, 'POST', base, secret('s1'))).status).toBe(201);
      const got = await call(server, 'GET', `${base}/s1`);
      expect(Buffer.from(got.body.data.password, 'base64').toString()).toBe(PASSWORD);
      expect(Buffer.from((await call(server, 'GET', `${base}/plain`)).body.data.password, 'base64').toString()).toBe(PASSWORD);
    });
    const raw = rawRow('/registry/secrets/default/s1');
    expect(raw.subarray(0, 23).toString()).toBe('k8s:enc:aescbc:v1:key1:');
    expect(raw.includes(Buffer.from(Buffer.from(PASSWORD).toString('base64')))).toBe(false);
    expect(raw.includes(Buffer.from(PASSWORD))).toBe(false);

    // Rotation: key2 first, key1 still readable; replacing every secret unchanged (kubectl get -o json |
    // kubectl replace -f -) rewrites each with key2.
    await life(secretsWith(aescbc('key2', 2), aescbc('key1', 1), { type: 'identity' }), async (server) => {
      const list = await call(server, 'GET', base);
      expect(list.body.items.map((s: { metadata: { name: string } }) => s.metadata.name).sort()).toEqual(['plain', 's1']);
      for (const item of list.body.items) {
        const put = await call(server, 'PUT', `${base}/${item.metadata.name}`, { apiVersion: 'v1', kind: 'Secret', ...item });
        expect(put.status).toBe(200);
        expect(Number(put.body.metadata.resourceVersion)).toBeGreaterThan(Number(item.metadata.resourceVersion));
      }
      // Once rewritten, an unchanged replace is a no-op again (no new revision).
      const again = (await call(server, 'GET', `${base}/s1`)).body;
      expect((await call(server, 'PUT', `${base}/s1`, again)).body.metadata.resourceVersion).toBe(again.metadata.resourceVersion);
    });
    for (const name of ['plain', 's1']) expect(rawRow(`/registry/secrets/default/${name}`).subarray(0, 23).toString()).toBe('k8s:enc:aescbc:v1:key2:');

    // key1 and identity removed: everything still reads.
    await life(secretsWith(aescbc('key2', 2)), async (server) => {
      for (const name of ['plain', 's1']) expect(Buffer.from((await call(server, 'GET', `${base}/${name}`)).body.data.password, 'base64').toString()).toBe(PASSWORD);
    });

    // A configuration without the key: a clear 500 naming the key in storage, and the server keeps serving.
    await life(secretsWith(aescbc('key3', 3)), async (server) => {
      const bad = await call(server, 'GET', `${base}/s1`);
      expect(bad.status).toBe(500);
      expect(bad.body.reason).toBe('InternalError');
      expect(bad.body.message).toContain('unable to transform key "/registry/secrets/default/s1": no matching prefix found: the value is encrypted with k8s:enc:aescbc:v1:key2');
      expect(JSON.stringify(bad.body)).not.toContain(PASSWORD);
      expect((await call(server, 'GET', '/api/v1/namespaces/default')).status).toBe(200);
      expect((await call(server, 'GET', '/api/v1/namespaces/default/configmaps')).status).toBe(200);
    });
  });
});

const endpoint = inject('etcdEndpoint');

describe.skipIf(!endpoint)('encryption at rest on etcd', () => {
  it('the etcd key holds ciphertext; the API reads plaintext', async () => {
    const store = await EtcdStore.connect([endpoint!]);
    const etcd = new Etcd3({ hosts: endpoint! });
    const ns = `enc-${randomUUID().slice(0, 8)}`;
    const server = await buildServer({ store, compactIntervalMs: 0, namespaceSweepMs: 60_000, metrics: false, encryption: { resources: [{ resources: ['secrets'], providers: [{ type: 'aesgcm', keys: [{ name: 'g1', secret: Buffer.alloc(32, 9) }] }] }] } });
    try {
      expect((await call(server, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status).toBe(201);
      expect((await call(server, 'POST', `/api/v1/namespaces/${ns}/secrets`, secret('s'))).status).toBe(201);
      const raw = await etcd.get(`/registry/secrets/${ns}/s`).buffer();
      expect(raw).not.toBeNull();
      expect(raw!.subarray(0, 21).toString()).toBe('k8s:enc:aesgcm:v1:g1:');
      expect(raw!.includes(Buffer.from(Buffer.from(PASSWORD).toString('base64')))).toBe(false);
      // Namespaces are not configured: stored as plain JSON.
      expect((await etcd.get(`/registry/namespaces/${ns}`).string())).toContain(`"name":"${ns}"`);
      const got = await call(server, 'GET', `/api/v1/namespaces/${ns}/secrets/s`);
      expect(Buffer.from(got.body.data.password, 'base64').toString()).toBe(PASSWORD);
    } finally {
      await server.close();
      await store.close();
      etcd.close();
    }
  });
});

describe('skiff secrets reencrypt', () => {
  it('writes every secret back so the new first key holds it', async () => {
    const { MemoryStore } = await import('../../../src/control/storage/memory.js');
    const { RestClient } = await import('../../../src/client/rest.js');
    const { reencryptSecrets } = await import('../../../src/cli/secrets-reencrypt.js');
    const inner = new MemoryStore();
    let server = await serve(inner, secretsWith(aescbc('key1', 1)));
    for (const name of ['a', 'b', 'c']) expect((await call(server, 'POST', base, secret(name))).status).toBe(201);
    await server.close();
    server = await serve(inner, secretsWith(aescbc('key2', 2), aescbc('key1', 1)));
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = server.app.server.address();
    const client = new RestClient({ server: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` });
    try {
      const res = await reencryptSecrets(client);
      expect(res.rewritten).toBeGreaterThanOrEqual(3);
      for (const name of ['a', 'b', 'c']) {
        const { kv } = await inner.get(`/registry/secrets/default/${name}`);
        expect(Buffer.from(kv!.value).subarray(0, 23).toString()).toBe('k8s:enc:aescbc:v1:key2:');
      }
    } finally {
      client.close();
      await server.close();
      await inner.close();
    }
  });
});
