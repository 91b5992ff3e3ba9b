import { describe, expect, it } from 'vitest';
import { parseEncryptionConfig, EncryptionConfigError, defaultEncryptionConfigYaml, type ProviderConfig } from '../../../src/control/storage/encryption/config.js';
import { ResourceTransformer, TransformError } from '../../../src/control/storage/encryption/transformer.js';
import { EncryptedStore, matchesResource, resourcePrefixOf } from '../../../src/control/storage/encryption/store.js';
import { MemoryStore } from '../../../src/control/storage/memory.js';

const k32 = (fill: number) => Buffer.alloc(32, fill);
const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const cfg = (resources: string[], ...providers: ProviderConfig[]) => ({ resources: [{ resources, providers }] });
const aes = (type: 'aescbc' | 'aesgcm' | 'secretbox', name: string, fill: number): ProviderConfig => ({ type, keys: [{ name, secret: k32(fill) }] });

describe('EncryptionConfiguration parsing', () => {
  it('reads upstream\'s file with every provider', () => {
    const c = parseEncryptionConfig(`
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets, configmaps]
    providers:
      - aesgcm: {keys: [{name: key1, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]}
      - aescbc: {keys: [{name: key2, secret: ${k32(1).toString('base64')}}]}
      - secretbox: {keys: [{name: key3, secret: ${k32(2).toString('base64')}}]}
      - identity: {}
`);
    expect(c.resources[0]!.resources).toEqual(['secrets', 'configmaps']);
    expect(c.resources[0]!.providers.map((p) => p.type)).toEqual(['aesgcm', 'aescbc', 'secretbox', 'identity']);
  });

  it('names the bad field and never echoes a secret', () => {
    const secret = Buffer.alloc(10, 7).toString('base64');
    let err: unknown;
    try {
      parseEncryptionConfig(`{apiVersion: apiserver.config.k8s.io/v1, kind: EncryptionConfiguration, resources: [{resources: [secrets], providers: [{aescbc: {keys: [{name: k, secret: "${secret}"}]}}]}]}`, 'enc.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EncryptionConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('enc.yaml: resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 10, expected one of [32]');
    expect(msg).not.toContain(secret);
  });

  it('rejects two providers in one element, a wrong kind and an empty list', () => {
    expect(() => parseEncryptionConfig('{apiVersion: apiserver.config.k8s.io/v1, kind: EncryptionConfiguration, resources: [{resources: [secrets], providers: [{identity: {}, aescbc: {keys: []}}]}]}'))
      .toThrow('resources[0].providers[0]: Invalid value: more than one provider specified in a single element');
    expect(() => parseEncryptionConfig('{apiVersion: v1, kind: EncryptionConfig, resources: []}')).toThrow(/kind: Invalid value.*apiVersion: Invalid value.*resources: Required value/);
  });

  it('the generated default encrypts secrets with AES-CBC and still reads plaintext', () => {
    const c = parseEncryptionConfig(defaultEncryptionConfigYaml());
    expect(c.resources).toHaveLength(1);
    expect(c.resources[0]!.resources).toEqual(['secrets']);
    expect(c.resources[0]!.providers.map((p) => p.type)).toEqual(['aescbc', 'identity']);
  });
});

describe('value transformers', () => {
  for (const type of ['aescbc', 'aesgcm', 'secretbox'] as const) {
    it(`${type}: prefix k8s:enc:${type}:v1:<key>:, ciphertext, round trip`, () => {
      const t = new ResourceTransformer([aes(type, 'key1', 1)]);
      const stored = t.toStorage(enc('{"data":"hunter2"}'), '/registry/secrets/ns/a');
      expect(text(stored).startsWith(`k8s:enc:${type}:v1:key1:`)).toBe(true);
      expect(text(stored)).not.toContain('hunter2');
      // Random IV/nonce: the same plaintext never gives the same bytes twice.
      expect(Buffer.from(t.toStorage(enc('{"data":"hunter2"}'), '/registry/secrets/ns/a')).equals(Buffer.from(stored))).toBe(false);
      const back = t.fromStorage(stored, '/registry/secrets/ns/a');
      expect([text(back.value), back.stale]).toEqual(['{"data":"hunter2"}', false]);
    });
  }

  it('aesgcm binds the value to its storage key', () => {
    const t = new ResourceTransformer([aes('aesgcm', 'k', 1)]);
    const stored = t.toStorage(enc('x'), '/registry/secrets/ns/a');
    expect(() => t.fromStorage(stored, '/registry/secrets/ns/b')).toThrow('unable to transform key "/registry/secrets/ns/b": cipher: message authentication failed');
  });

  it('reads with every listed key and provider; anything but the first is stale', () => {
    const old = new ResourceTransformer([aes('aescbc', 'old', 1)]);
    const rotated = new ResourceTransformer([aes('secretbox', 'new', 2), aes('aescbc', 'old', 1), { type: 'identity' }]);
    const key = '/registry/secrets/ns/a';
    expect(rotated.fromStorage(old.toStorage(enc('v1'), key), key)).toEqual({ value: Buffer.from('v1'), stale: true });
    expect(rotated.fromStorage(enc('{"plain":1}'), key)).toEqual({ value: enc('{"plain":1}'), stale: true });
    expect(rotated.fromStorage(rotated.toStorage(enc('v2'), key), key).stale).toBe(false);
  });

  it('identity first writes plaintext and still reads encrypted data after it', () => {
    const t = new ResourceTransformer([{ type: 'identity' }, aes('aescbc', 'k', 1)]);
    const key = '/registry/secrets/ns/a';
    expect(text(t.toStorage(enc('{}'), key))).toBe('{}');
    const encrypted = new ResourceTransformer([aes('aescbc', 'k', 1)]).toStorage(enc('s'), key);
    expect(t.fromStorage(encrypted, key)).toEqual({ value: Buffer.from('s'), stale: true });
  });

  it('a value under a key that is not configured is a clear error naming the key, not the secret', () => {
    const key = '/registry/secrets/ns/a';
    const stored = new ResourceTransformer([aes('aescbc', 'gone', 1)]).toStorage(enc('s'), key);
    const t = new ResourceTransformer([aes('aescbc', 'other', 2), { type: 'identity' }]);
    expect(() => t.fromStorage(stored, key)).toThrow(TransformError);
    expect(() => t.fromStorage(stored, key)).toThrow('unable to transform key "/registry/secrets/ns/a": no matching prefix found: the value is encrypted with k8s:enc:aescbc:v1:gone, which is not configured');
    // The same key name with other key bytes: an authenticated cipher always refuses (aescbc cannot: about one
    // wrong key in 256 yields valid PKCS#7 padding, and upstream's aescbc returns those bytes too).
    const sealed = new ResourceTransformer([aes('aesgcm', 'gone', 1)]).toStorage(enc('s'), key);
    expect(() => new ResourceTransformer([aes('aesgcm', 'gone', 3)]).fromStorage(sealed, key)).toThrow(/unable to transform key "\/registry\/secrets\/ns\/a"/);
  });
});

describe('resource matching', () => {
  it('finds the resource segment of core and group keys', () => {
    expect(resourcePrefixOf('/registry/secrets/ns/a')).toEqual({ prefix: '/registry/secrets/', group: '', resource: 'secrets' });
    expect(resourcePrefixOf('/registry/apps/deployments/ns/a')).toEqual({ prefix: '/registry/apps/deployments/', group: 'apps', resource: 'deployments' });
    expect(resourcePrefixOf('/registry/example.com/widgets/')).toEqual({ prefix: '/registry/example.com/widgets/', group: 'example.com', resource: 'widgets' });
    expect(resourcePrefixOf('/registry/apps/')).toBeNull();
    expect(resourcePrefixOf('/other/x')).toBeNull();
  });

  it('matches upstream\'s resource names and wildcards', () => {
    expect(matchesResource('secrets', '', 'secrets')).toBe(true);
    expect(matchesResource('secrets', 'example.com', 'secrets')).toBe(false);
    expect(matchesResource('deployments.apps', 'apps', 'deployments')).toBe(true);
    expect(matchesResource('*.apps', 'apps', 'statefulsets')).toBe(true);
    expect(matchesResource('*.', '', 'configmaps')).toBe(true);
    expect(matchesResource('*.', 'apps', 'deployments')).toBe(false);
    expect(matchesResource('*.*', 'example.com', 'widgets')).toBe(true);
  });
});

describe('EncryptedStore', () => {
  it('encrypts only configured resources; gets, lists and watch events are plaintext', async () => {
    const inner = new MemoryStore();
    const store = new EncryptedStore(inner, cfg(['secrets'], aes('aescbc', 'k', 1)));
    const from = await store.currentRevision();
    const w = store.watch('/registry/', from);
    const it = w[Symbol.asyncIterator]();
    await store.create('/registry/secrets/ns/a', enc('{"s":1}'));
    await store.create('/registry/configmaps/ns/a', enc('{"c":1}'));
    expect(text((await inner.get('/registry/secrets/ns/a')).kv!.value).startsWith('k8s:enc:aescbc:v1:k:')).toBe(true);
    expect(text((await inner.get('/registry/configmaps/ns/a')).kv!.value)).toBe('{"c":1}');
    expect(text((await store.get('/registry/secrets/ns/a')).kv!.value)).toBe('{"s":1}');
    expect((await store.list('/registry/')).items.map((kv) => text(kv.value))).toEqual(['{"c":1}', '{"s":1}']);
    expect(text((await it.next()).value.kv.value)).toBe('{"s":1}');
    expect(text((await it.next()).value.kv.value)).toBe('{"c":1}');
    const cur = (await store.get('/registry/secrets/ns/a')).kv!;
    const upd = await store.update('/registry/secrets/ns/a', enc('{"s":2}'), cur.modRevision);
    expect(upd.ok && text(upd.kv.value)).toBe('{"s":2}');
    const ev = (await it.next()).value;
    expect([text(ev.kv.value), text(ev.prev!.value)]).toEqual(['{"s":2}', '{"s":1}']);
    const del = await store.delete('/registry/secrets/ns/a');
    expect(del.ok && text(del.kv.value)).toBe('{"s":2}');
    expect(text((await it.next()).value.kv.value)).toBe('{"s":2}');
    w.close();
    await store.close();
  });

  it('marks values read with an old key stale until they are written again', async () => {
    const inner = new MemoryStore();
    const before = new EncryptedStore(inner, cfg(['secrets'], aes('aescbc', 'old', 1)));
    await before.create('/registry/secrets/ns/a', enc('{}'));
    const after = new EncryptedStore(inner, cfg(['secrets'], aes('aesgcm', 'new', 2), aes('aescbc', 'old', 1)));
    const { kv } = await after.get('/registry/secrets/ns/a');
    expect(after.isStale('/registry/secrets/ns/a', kv!.modRevision)).toBe(true);
    const res = await after.update('/registry/secrets/ns/a', kv!.value, kv!.modRevision);
    expect(res.ok).toBe(true);
    expect(after.isStale('/registry/secrets/ns/a', res.revision)).toBe(false);
    expect(text((await inner.get('/registry/secrets/ns/a')).kv!.value).startsWith('k8s:enc:aesgcm:v1:new:')).toBe(true);
    await after.close();
  });
});

describe('key rotation on the file', () => {
  it('puts the new key first, keeps the old ones and the rest of the file', async () => {
    const { withNewKey } = await import('../../../src/control/storage/encryption/rotate.js');
    const text = `# skiff's key\n${defaultEncryptionConfigYaml('old', k32(1))}`;
    const out = withNewKey(text, { type: 'aescbc', name: 'new', secret: k32(2) });
    expect(out).toContain("# skiff's key");
    const c = parseEncryptionConfig(out);
    const p = c.resources[0]!.providers;
    expect(p.map((x) => x.type)).toEqual(['aescbc', 'identity']);
    expect(p[0]!.type === 'aescbc' && p[0]!.keys.map((k) => [k.name, k.secret[0]])).toEqual([['new', 2], ['old', 1]]);
    // Another provider type becomes a provider of its own, first.
    const gcm = parseEncryptionConfig(withNewKey(out, { type: 'aesgcm', name: 'g' }));
    expect(gcm.resources[0]!.providers.map((x) => x.type)).toEqual(['aesgcm', 'aescbc', 'identity']);
    expect(() => withNewKey(out, { type: 'aescbc', name: 'old' })).toThrow('aescbc already has a key named old');
  });
});
