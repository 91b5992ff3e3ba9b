/**
 * Key rotation on an EncryptionConfiguration file's text (k3s's `secrets-encrypt rotate-keys`): a new key goes
 * first, so it writes, and every older key stays, so existing data still reads until it is rewritten.
 */
import { randomBytes } from 'node:crypto';
import { isMap, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { parseEncryptionConfig, type KeyedProviderType } from './config.js';

export interface NewKey {
  type: KeyedProviderType;
  name: string;
  secret?: Buffer;
}

/** The file's text with `key` first for `resource`'s rule (comments and the rest kept); validated before and after. */
export function withNewKey(text: string, key: NewKey, resource = 'secrets', source = 'encryption provider config'): string {
  const before = parseEncryptionConfig(text, source);
  const index = before.resources.findIndex((r) => r.resources.includes(resource));
  if (index < 0) throw new Error(`${source}: no rule names ${resource}`);
  const rule = before.resources[index]!;
  const names = rule.providers.flatMap((p) => (p.type === key.type ? p.keys.map((k) => k.name) : []));
  if (names.includes(key.name)) throw new Error(`${source}: ${key.type} already has a key named ${key.name}`);
  const doc = parseDocument(text);
  const providers = doc.getIn(['resources', index, 'providers']) as YAMLSeq;
  const secret = (key.secret ?? randomBytes(32)).toString('base64');
  const entry = { name: key.name, secret };
  const first = providers.items[0];
  const firstKeys = isMap(first) ? (first as YAMLMap).getIn([key.type, 'keys']) : undefined;
  // The first provider is already of this type: the key joins it, first. Otherwise a provider of its own, first.
  if (isSeq(firstKeys)) (firstKeys as YAMLSeq).items.unshift(doc.createNode(entry));
  else providers.items.unshift(doc.createNode({ [key.type]: { keys: [entry] } }));
  const out = doc.toString();
  parseEncryptionConfig(out, source);
  return out;
}
