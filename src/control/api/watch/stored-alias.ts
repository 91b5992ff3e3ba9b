/**
 * Objects stored before Skiff mirrored v1 PodSpec's deprecated spec.serviceAccount (see mirrorServiceAccount) gain
 * it when read from storage, as upstream's gain derived fields by being decoded through conversion: else an old
 * Deployment would get it only at its next write (a label), its template would then differ from its ReplicaSet's,
 * and its pods would be rolled once. Only this derived field, only where storage bytes are decoded (decodeKV and
 * the watch cache's decodes; its objects are those or the write path's), at a few property reads per object; a
 * storage list sending stored bytes as they are checks their text instead (storedMayLackAlias).
 */
import type { KubeObject } from '../resource.js';
import { mirrorServiceAccount } from '../kinds/strategies/podspec.js';
import type { Json } from '../kinds/strategies/json.js';

/** Where each stored kind holding a pod spec keeps it, by the key's resource (group-prefixed outside core). */
const POD_SPEC_PATHS = new Map<string, readonly string[]>([
  ['pods', ['spec']],
  ['podtemplates', ['template', 'spec']],
  ['replicationcontrollers', ['spec', 'template', 'spec']],
  ['apps/deployments', ['spec', 'template', 'spec']],
  ['apps/replicasets', ['spec', 'template', 'spec']],
  ['apps/statefulsets', ['spec', 'template', 'spec']],
  ['apps/daemonsets', ['spec', 'template', 'spec']],
  ['batch/jobs', ['spec', 'template', 'spec']],
  ['batch/cronjobs', ['spec', 'jobTemplate', 'spec', 'template', 'spec']],
]);

const REGISTRY = '/registry/';

/** The pod spec path for objects under `key` (storageKey's layout), undefined for kinds without one. */
function podSpecPath(key: string): readonly string[] | undefined {
  if (!key.startsWith(REGISTRY)) return undefined;
  let end = key.indexOf('/', REGISTRY.length);
  if (end < 0) return undefined;
  // apps/… and batch/…: the group is part of the resource's name here.
  if (end - REGISTRY.length <= 5 && (key.startsWith('apps/', REGISTRY.length) || key.startsWith('batch/', REGISTRY.length))) {
    end = key.indexOf('/', end + 1);
    if (end < 0) return undefined;
  }
  return POD_SPEC_PATHS.get(key.slice(REGISTRY.length, end));
}

/** Gives a decoded object stored under `key` the alias a write would have given it; true when it changed. */
export function aliasStored(key: string, obj: KubeObject): boolean {
  const path = podSpecPath(key);
  if (!path) return false;
  let spec: unknown = obj;
  for (const p of path) {
    spec = spec !== null && typeof spec === 'object' ? (spec as Record<string, unknown>)[p] : undefined;
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return false;
  }
  const s = spec as Json;
  const name = s.serviceAccountName;
  const alias = s.serviceAccount;
  mirrorServiceAccount(s);
  return s.serviceAccountName !== name || s.serviceAccount !== alias;
}

/** What both keys begin with; the next characters tell them apart (and from serviceAccountToken). */
const KEY_HEAD = '"serviceAccount';

/**
 * Whether the stored JSON under `key` may lack the alias (or hold one that does not follow the name), read from
 * the text without parsing it, for lists that send stored bytes as they are (rawEntry). False only when the text
 * shows the written form: neither key, or each key once, in the same object, with the same non-empty value (then
 * that object is the pod spec, or the spec has neither). Anything else is decoded.
 */
export function storedMayLackAlias(key: string, text: string): boolean {
  if (!podSpecPath(key)) return false;
  // One pass over the text: every `"serviceAccount…` sorted into the alias key, the name key or neither.
  let n = -1;
  let a = -1;
  for (let i = text.indexOf(KEY_HEAD); i >= 0; i = text.indexOf(KEY_HEAD, i + KEY_HEAD.length)) {
    const next = i + KEY_HEAD.length;
    if (text.charCodeAt(next) === 0x22) {
      if (a >= 0) return true;
      a = i;
    } else if (text.startsWith('Name"', next)) {
      if (n >= 0) return true;
      n = i;
    }
  }
  if (n < 0 && a < 0) return false;
  if (n < 0 || a < 0) return true;
  const name = stringValue(text, n + KEY_HEAD.length + 5);
  if (name === null || name === '' || name !== stringValue(text, a + KEY_HEAD.length + 1)) return true;
  return !sameObject(text, Math.min(n, a), Math.max(n, a));
}

/** The string value after a key ending at `at` (`:"…"`, no escapes: account names are DNS subdomains); null if not that form. */
function stringValue(text: string, at: number): string | null {
  if (text[at] !== ':' || text[at + 1] !== '"') return null;
  const end = text.indexOf('"', at + 2);
  if (end < 0) return null;
  const v = text.slice(at + 2, end);
  return v.includes('\\') ? null : v;
}

/** Whether the JSON between `from` and `to` (both outside strings) neither leaves nor opens an object or array. */
function sameObject(text: string, from: number, to: number): boolean {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: to its closing quote, past escaped characters.
      for (i++; i < to && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if ((c === 0x7d || c === 0x5d) && --depth < 0) return false;
  }
  return depth === 0;
}
