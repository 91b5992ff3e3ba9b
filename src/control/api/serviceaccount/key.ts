/**
 * The ServiceAccount token signing key, as kubeadm makes it for kube-apiserver's --service-account-signing-key-file
 * and --service-account-key-file: `sa.key` (the private key, PEM) and `sa.pub` (its public key, PEM) in the data
 * dir, RSA 2048, made once on the first start and reused after. An ECDSA P-256 key is read as well (ES256), as
 * upstream accepts either. A key file that does not parse counts as missing and is made again (tokens signed with
 * the old key stop verifying, as they would upstream with a new key file).
 *
 * The key id is upstream's keyIDFromPublicKey: base64url (no padding) of the SHA-256 of the public key's PKIX DER,
 * so tokens and the JWKS name the key as a kube-apiserver with the same key would.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SA_KEY_FILE = 'sa.key';
export const SA_PUB_FILE = 'sa.pub';

export type SigningAlgorithm = 'RS256' | 'ES256';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** upstream's key id of the public key. */
  keyId: string;
  alg: SigningAlgorithm;
}

/** base64url(sha256(PKIX DER of the public key)), as upstream's keyIDFromPublicKey. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

/** The JWS algorithm a key signs with: RS256 for RSA, ES256 for ECDSA P-256; anything else is refused. */
export function algorithmOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`service account signing key: unsupported key type ${key.asymmetricKeyType ?? 'unknown'} (RSA or ECDSA P-256 are)`);
}

export function signingKeyFrom(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey), alg: algorithmOf(privateKey) };
}

/** A new key: RSA 2048 by default (kubeadm's), ECDSA P-256 when asked (tests: much faster to make). */
export function newSigningKey(type: 'rsa' | 'ec' = 'rsa'): SigningKey {
  const { privateKey } = type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return signingKeyFrom(privateKey);
}

function readKey(path: string): SigningKey | null {
  if (!existsSync(path)) return null;
  try {
    return signingKeyFrom(createPrivateKey(readFileSync(path, 'utf8')));
  } catch {
    return null;
  }
}

/** Writes a file through a temporary name, so a crash never leaves half a key. */
function writeAtomic(path: string, text: string, mode: number): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

/** `sa.key` and `sa.pub` in `dir`: read when present and valid, otherwise made (RSA 2048) and written. */
export function loadOrCreateSigningKey(dir: string): SigningKey & { created: boolean } {
  const keyPath = join(dir, SA_KEY_FILE);
  const found = readKey(keyPath);
  if (found) {
    // sa.pub is derived: rewrite it if it went missing.
    const pubPath = join(dir, SA_PUB_FILE);
    if (!existsSync(pubPath)) writeAtomic(pubPath, found.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 0o644);
    return { ...found, created: false };
  }
  mkdirSync(dir, { recursive: true });
  const key = newSigningKey('rsa');
  writeAtomic(keyPath, key.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), 0o600);
  writeAtomic(join(dir, SA_PUB_FILE), key.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 0o644);
  return { ...key, created: true };
}
