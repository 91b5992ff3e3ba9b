/**
 * kube-apiserver's EncryptionConfiguration (apiserver.config.k8s.io/v1): which resources are encrypted at rest,
 * and with which providers (the first writes, all read). Parsing checks every field and names it on error; a
 * key's secret is never echoed back.
 */
import { randomBytes } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { aggregateErrors } from '../../aggregate-errors.js';

export type KeyedProviderType = 'aescbc' | 'aesgcm' | 'secretbox';

export interface EncryptionKey {
  name: string;
  /** The decoded key bytes. */
  secret: Buffer;
}

export type ProviderConfig = { type: KeyedProviderType; keys: EncryptionKey[] } | { type: 'identity' };

export interface ResourceConfig {
  /** `secrets`, `deployments.apps`, `*.apps`, `*.` (every core resource) or `*.*` (every resource). */
  resources: string[];
  providers: ProviderConfig[];
}

export interface EncryptionConfig {
  resources: ResourceConfig[];
}

export const ENCRYPTION_API_VERSION = 'apiserver.config.k8s.io/v1';
export const ENCRYPTION_KIND = 'EncryptionConfiguration';

/** Key lengths each provider accepts (upstream: AES-CBC 32, AES-GCM 16/24/32, secretbox 32). */
const KEY_LENGTHS: Record<KeyedProviderType, number[]> = { aescbc: [32], aesgcm: [16, 24, 32], secretbox: [32] };
const PROVIDER_FIELDS = ['aescbc', 'aesgcm', 'secretbox', 'identity', 'kms'] as const;
const KEY_NAME = /^[^:]+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class EncryptionConfigError extends Error {
  constructor(source: string, readonly errors: string[]) {
    super(`${source}: ${aggregateErrors(errors)}`);
    this.name = 'EncryptionConfigError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and validates a configuration file's text (YAML or JSON); throws EncryptionConfigError naming each bad field. */
export function parseEncryptionConfig(text: string, source = 'encryption provider config'): EncryptionConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new EncryptionConfigError(source, [`not valid YAML or JSON: ${(err as Error).message}`]);
  }
  const errs: string[] = [];
  if (!isObject(doc)) throw new EncryptionConfigError(source, ['expected an EncryptionConfiguration object']);
  if (doc.kind !== ENCRYPTION_KIND) errs.push(`kind: Invalid value: ${JSON.stringify(doc.kind ?? '')}: must be ${ENCRYPTION_KIND}`);
  if (doc.apiVersion !== ENCRYPTION_API_VERSION) errs.push(`apiVersion: Invalid value: ${JSON.stringify(doc.apiVersion ?? '')}: must be ${ENCRYPTION_API_VERSION}`);
  const resources: ResourceConfig[] = [];
  if (!Array.isArray(doc.resources) || doc.resources.length === 0) errs.push('resources: Required value: resources is a required field that must contain at least one entry');
  else {
    const seen = new Map<string, string>();
    doc.resources.forEach((entry: unknown, i: number) => {
      const at = `resources[${i}]`;
      if (!isObject(entry)) return void errs.push(`${at}: Invalid value: expected an object`);
      const names: string[] = [];
      if (!Array.isArray(entry.resources) || entry.resources.length === 0) errs.push(`${at}.resources: Required value: resources is a required field that must contain at least one entry`);
      else entry.resources.forEach((r: unknown, j: number) => {
        const field = `${at}.resources[${j}]`;
        if (typeof r !== 'string' || r === '') return void errs.push(`${field}: Required value: resource name must not be empty`);
        if (r !== r.toLowerCase()) return void errs.push(`${field}: Invalid value: ${JSON.stringify(r)}: resource name must be lowercase`);
        if (r.startsWith('*') && r !== '*.*' && !r.startsWith('*.')) return void errs.push(`${field}: Invalid value: ${JSON.stringify(r)}: use '*.' for all core resources, '*.<group>' for a group or '*.*' for all`);
        const first = seen.get(r);
        if (first) return void errs.push(`${field}: Duplicate value: ${JSON.stringify(r)} (already in ${first})`);
        seen.set(r, field);
        names.push(r);
      });
      const providers: ProviderConfig[] = [];
      if (!Array.isArray(entry.providers) || entry.providers.length === 0) errs.push(`${at}.providers: Required value: providers is a required field that must contain at least one entry`);
      else entry.providers.forEach((p: unknown, j: number) => {
        const parsed = parseProvider(p, `${at}.providers[${j}]`, errs);
        if (parsed) providers.push(parsed);
      });
      resources.push({ resources: names, providers });
    });
  }
  if (errs.length) throw new EncryptionConfigError(source, errs);
  return { resources };
}

function parseProvider(p: unknown, at: string, errs: string[]): ProviderConfig | null {
  if (!isObject(p)) {
    errs.push(`${at}: Invalid value: expected one of ${PROVIDER_FIELDS.join(', ')}`);
    return null;
  }
  const present = PROVIDER_FIELDS.filter((f) => p[f] !== undefined && p[f] !== null);
  const unknown = Object.keys(p).filter((k) => !(PROVIDER_FIELDS as readonly string[]).includes(k));
  if (unknown.length) errs.push(`${at}: Invalid value: unknown provider ${unknown.map((u) => JSON.stringify(u)).join(', ')}: expected one of ${PROVIDER_FIELDS.join(', ')}`);
  if (present.length !== 1) {
    if (!unknown.length) errs.push(`${at}: Invalid value: ${present.length === 0 ? 'no provider' : 'more than one provider'} specified in a single element, should split into different list elements`);
    return null;
  }
  const type = present[0]!;
  if (type === 'identity') return { type };
  if (type === 'kms') {
    errs.push(`${at}.kms: Unsupported value: skiff has no KMS plugin support: use aescbc, aesgcm or secretbox`);
    return null;
  }
  const body = p[type];
  const keys: EncryptionKey[] = [];
  if (!isObject(body) || !Array.isArray(body.keys) || body.keys.length === 0) {
    errs.push(`${at}.${type}.keys: Required value: keys is a required field that must contain at least one entry`);
    return null;
  }
  const names = new Set<string>();
  body.keys.forEach((k: unknown, i: number) => {
    const field = `${at}.${type}.keys[${i}]`;
    if (!isObject(k)) return void errs.push(`${field}: Invalid value: expected an object with name and secret`);
    if (typeof k.name !== 'string' || k.name === '') errs.push(`${field}.name: Required value: key name is required`);
    else if (!KEY_NAME.test(k.name)) errs.push(`${field}.name: Invalid value: ${JSON.stringify(k.name)}: key name must not contain ':'`);
    else if (names.has(k.name)) errs.push(`${field}.name: Duplicate value: ${JSON.stringify(k.name)}`);
    // The secret's value is never put in a message, even a wrong one.
    if (typeof k.secret !== 'string' || k.secret === '') return void errs.push(`${field}.secret: Required value: secret is required`);
    if (!BASE64.test(k.secret) || k.secret.length % 4 !== 0) return void errs.push(`${field}.secret: Invalid value: "REDACTED": secrets must be base64 encoded`);
    const secret = Buffer.from(k.secret, 'base64');
    const lengths = KEY_LENGTHS[type];
    if (!lengths.includes(secret.length)) return void errs.push(`${field}.secret: Invalid value: "REDACTED": secret is not of the expected length, got ${secret.length}, expected one of [${lengths.join(' ')}]`);
    if (typeof k.name === 'string' && KEY_NAME.test(k.name) && !names.has(k.name)) {
      names.add(k.name);
      keys.push({ name: k.name, secret });
    }
  });
  return { type, keys };
}

/**
 * The configuration `skiff server` makes on first start when none is given (k3s's --secrets-encryption): secrets
 * written with AES-CBC under a fresh random key, and plaintext (identity) still readable for older data.
 */
export function defaultEncryptionConfigYaml(keyName = 'aescbckey', secret: Buffer = randomBytes(32)): string {
  return [
    `apiVersion: ${ENCRYPTION_API_VERSION}`,
    `kind: ${ENCRYPTION_KIND}`,
    'resources:',
    '- resources:',
    '  - secrets',
    '  providers:',
    '  - aescbc:',
    '      keys:',
    `      - name: ${keyName}`,
    `        secret: ${secret.toString('base64')}`,
    '  - identity: {}',
    '',
  ].join('\n');
}
