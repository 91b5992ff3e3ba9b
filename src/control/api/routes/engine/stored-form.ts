import type { KubeObject } from '../../resource.js';
import { sharedJsonOf, type SharedJson } from '../../shared-json.js';

/**
 * Stored form: apiVersion, kind and metadata first (so lists can splice resourceVersion into the bytes, see
 * rawEntry), without metadata.resourceVersion, which reads derive from the key's modRevision.
 */
export const encode = (obj: KubeObject): Uint8Array => encodeText(obj).bytes;

/** `encode` with the JSON text too (the watch cache splices resourceVersion into it for the event). */
export function encodeText(obj: KubeObject): { text: string; bytes: Buffer } {
  const text = inStoredOrder(obj) ? stringifyWithoutResourceVersion(obj) : reorderedText(obj);
  return { text, bytes: Buffer.from(text) };
}

/**
 * Whether `obj`'s own keys already begin apiVersion, kind, metadata (what decoded bodies and stored objects
 * hold): then JSON.stringify of the object itself has the stored form's order, with no copies made.
 */
const STORED_FIRST = ['apiVersion', 'kind', 'metadata'];

function inStoredOrder(obj: KubeObject): boolean {
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string' || obj.metadata === null || typeof obj.metadata !== 'object') return false;
  let i = 0;
  for (const k in obj) {
    if (k !== STORED_FIRST[i]) return false;
    if (++i === 3) return true;
  }
  return false;
}

/** JSON of `obj` with metadata.resourceVersion left out: hidden for the call, then put back in its place. */
function stringifyWithoutResourceVersion(obj: KubeObject): string {
  const meta = obj.metadata as Record<string, unknown>;
  const rv = meta['resourceVersion'];
  if (rv === undefined || Object.isFrozen(meta)) return rv === undefined ? stringify(obj, obj) : reorderedText(obj);
  // JSON.stringify leaves out a key whose value is undefined; the key keeps its position for the restore.
  meta['resourceVersion'] = undefined;
  try {
    return stringify(obj, obj);
  } finally {
    meta['resourceVersion'] = rv;
  }
}

function reorderedText(obj: KubeObject): string {
  const { apiVersion, kind, metadata, ...body } = obj;
  const { resourceVersion: _rv, ...meta } = metadata ?? {};
  return stringify({ apiVersion, kind, metadata: meta, ...body }, obj);
}

type Volume = { projected?: unknown };

/**
 * JSON.stringify(value), where `value` is `obj` or its reordered copy (the same spec): a pod's projected volume
 * sources that are shared values (ServiceAccount admission's token volume, shared-json.ts) are spliced in as
 * their text made once, the placeholder standing in for each while the rest is serialised.
 */
function stringify(value: object, obj: KubeObject): string {
  const volumes = obj.kind === 'Pod' ? (obj['spec'] as { volumes?: unknown } | undefined)?.volumes : undefined;
  if (!Array.isArray(volumes)) return JSON.stringify(value);
  let held: { volume: Volume; source: unknown; shared: SharedJson }[] | undefined;
  for (const v of volumes as (Volume | null)[]) {
    const shared = v !== null && typeof v === 'object' ? sharedJsonOf(v.projected) : undefined;
    if (!shared || Object.isFrozen(v)) continue;
    (held ??= []).push({ volume: v!, source: v!.projected, shared });
    v!.projected = shared.placeholder;
  }
  if (!held) return JSON.stringify(value);
  let text: string;
  try {
    text = JSON.stringify(value);
  } finally {
    for (const h of held) h.volume.projected = h.source;
  }
  // In volume order: the first placeholder left is this volume's (the id is random: nothing else holds it).
  for (const h of held) {
    const at = text.indexOf(h.shared.quoted);
    text = text.slice(0, at) + h.shared.json + text.slice(at + h.shared.quoted.length);
  }
  return text;
}
