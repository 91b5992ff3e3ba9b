/**
 * The pod-template-hash: upstream's controller.ComputeHash is fnv-1a (32 bit) over the template, then over the
 * collision count as 8 bytes (the low 4 little-endian), its decimal value rendered with SafeEncodeString (no
 * vowels, no 0/1/3, so it never spells words). Upstream prints the template with go-spew (Go's type-annotated
 * printer); Go's struct layout is not available here, so the template is printed as canonical JSON (keys
 * sorted). The hash is therefore stable and unique per template, but not the number a stock cluster computes.
 */

import { fnv32a } from '../../../client/fnv.js';
import { safeEncodeString } from '../../../client/safe-alphabet.js';

/** JSON with object keys sorted at every level: one text per value, whatever order the keys arrived in. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/**
 * The value with null, empty maps and empty lists dropped: Go decodes all three to the zero value, so
 * `creationTimestamp: null` (which kubectl sends in templates) and a missing field are the same template.
 */
export function semanticForm(v: unknown): unknown {
  if (v === null) return undefined;
  if (Array.isArray(v)) return v.length ? v.map((x) => semanticForm(x) ?? null) : undefined;
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const y = semanticForm(x);
      if (y !== undefined) out[k] = y;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

const encoder = new TextEncoder();

export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(encoder.encode(canonicalJson(semanticForm(template) ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}
