/**
 * Value transformers as kube-apiserver's storage/value package has them: each key of each provider is a prefix
 * (`k8s:enc:<provider>:v1:<key name>:`) followed by that provider's ciphertext; identity has the empty prefix and
 * stores plaintext. A resource's transformer writes with its first provider's first key and reads with whichever
 * prefix the stored value carries; a value read with anything but the first is stale (rewritten on next update).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import type { EncryptionKey, KeyedProviderType, ProviderConfig } from './config.js';

/** The key's authenticated data: AES-GCM binds a value to its storage key, so it cannot be moved to another. */
export interface Cipher {
  encrypt(plain: Uint8Array, storageKey: string): Uint8Array;
  decrypt(data: Uint8Array, storageKey: string): Uint8Array;
}

const ENCRYPTED_PREFIX = Buffer.from('k8s:enc:');

export class TransformError extends Error {
  constructor(readonly storageKey: string, why: string) {
    super(`unable to transform key ${JSON.stringify(storageKey)}: ${why}`);
    this.name = 'TransformError';
  }
}

const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function aescbc(key: Buffer): Cipher {
  const algo = `aes-${key.length * 8}-cbc`;
  return {
    encrypt(plain) {
      const iv = randomBytes(16);
      const c = createCipheriv(algo, key, iv);
      return Buffer.concat([iv, c.update(plain), c.final()]);
    },
    decrypt(data) {
      if (data.byteLength < 32 || data.byteLength % 16 !== 0) throw new Error('the stored data is not a multiple of the block size');
      const d = createDecipheriv(algo, key, view(data).subarray(0, 16));
      try {
        return Buffer.concat([d.update(view(data).subarray(16)), d.final()]);
      } catch {
        throw new Error('invalid PKCS7 data (empty or not padded)');
      }
    },
  };
}

function aesgcm(key: Buffer): Cipher {
  const algo = `aes-${key.length * 8}-gcm` as 'aes-256-gcm';
  return {
    encrypt(plain, storageKey) {
      const nonce = randomBytes(12);
      const c = createCipheriv(algo, key, nonce);
      c.setAAD(Buffer.from(storageKey));
      const body = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([nonce, body, c.getAuthTag()]);
    },
    decrypt(data, storageKey) {
      const b = view(data);
      if (b.length < 12 + 16) throw new Error('the stored data was shorter than the required size');
      const d = createDecipheriv(algo, key, b.subarray(0, 12));
      d.setAAD(Buffer.from(storageKey));
      d.setAuthTag(b.subarray(b.length - 16));
      try {
        return Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]);
      } catch {
        throw new Error('cipher: message authentication failed');
      }
    },
  };
}

function secretbox(key: Buffer): Cipher {
  const k = new Uint8Array(key);
  return {
    encrypt(plain) {
      const nonce = randomBytes(nacl.secretbox.nonceLength);
      return Buffer.concat([nonce, nacl.secretbox(plain, nonce, k)]);
    },
    decrypt(data) {
      const n = nacl.secretbox.nonceLength;
      if (data.byteLength < n) throw new Error('the stored data was shorter than the required size');
      const out = nacl.secretbox.open(data.subarray(n), data.subarray(0, n), k);
      if (!out) throw new Error('output array was not large enough for encryption');
      return out;
    },
  };
}

const CIPHERS: Record<KeyedProviderType, (key: Buffer) => Cipher> = { aescbc, aesgcm, secretbox };

interface Prefixed {
  prefix: Buffer;
  /** null: identity (plaintext). */
  cipher: Cipher | null;
}

export interface ReadResult {
  value: Uint8Array;
  /** Read with anything but the writing key: an update rewrites it even when the object is unchanged. */
  stale: boolean;
}

/** One resource's providers: write with the first, read with any. */
export class ResourceTransformer {
  private readonly chain: Prefixed[];

  constructor(providers: readonly ProviderConfig[]) {
    this.chain = providers.flatMap((p): Prefixed[] => p.type === 'identity'
      ? [{ prefix: Buffer.alloc(0), cipher: null }]
      : p.keys.map((k: EncryptionKey) => ({ prefix: Buffer.from(`k8s:enc:${p.type}:v1:${k.name}:`), cipher: CIPHERS[p.type](k.secret) })));
    if (this.chain.length === 0) throw new Error('a resource transformer needs at least one provider');
  }

  /** True when writes store plaintext (identity first): nothing to do on the way in. */
  get writesPlaintext(): boolean {
    return this.chain[0]!.cipher === null;
  }

  toStorage(plain: Uint8Array, storageKey: string): Uint8Array {
    const { prefix, cipher } = this.chain[0]!;
    if (!cipher) return plain;
    return Buffer.concat([prefix, cipher.encrypt(plain, storageKey)]);
  }

  fromStorage(data: Uint8Array, storageKey: string): ReadResult {
    const b = view(data);
    for (let i = 0; i < this.chain.length; i++) {
      const { prefix, cipher } = this.chain[i]!;
      if (!cipher) {
        // Identity reads plaintext only: encrypted data falls through to the providers after it (upstream lets an
        // identity placed first migrate data back to plaintext).
        if (b.subarray(0, ENCRYPTED_PREFIX.length).equals(ENCRYPTED_PREFIX)) continue;
        return { value: data, stale: i !== 0 };
      }
      if (b.length < prefix.length || !b.subarray(0, prefix.length).equals(prefix)) continue;
      try {
        return { value: cipher.decrypt(b.subarray(prefix.length), storageKey), stale: i !== 0 };
      } catch (err) {
        throw new TransformError(storageKey, (err as Error).message);
      }
    }
    // Name the provider and key the value was written with (never any key material), so the fix is obvious.
    const head = b.subarray(0, ENCRYPTED_PREFIX.length).equals(ENCRYPTED_PREFIX) ? /^k8s:enc:[^:]*:v1:[^:]*/.exec(b.subarray(0, 300).toString('latin1'))?.[0] : undefined;
    throw new TransformError(storageKey, head ? `no matching prefix found: the value is encrypted with ${head}, which is not configured` : 'no matching prefix found');
  }
}
