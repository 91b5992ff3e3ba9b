/**
 * Deep-frozen values that many stored objects hold by reference (ServiceAccount admission's token volume source,
 * in every pod it mounts the token into), each with its JSON text made once: the stored form's encoder splices
 * the text in instead of serialising the same tree for every pod (about a third of a secure pod's JSON).
 *
 * While an object is encoded, the property holding a shared value holds its placeholder instead: a string with a
 * random id made at start, which no request can name, so the placeholder's JSON appears in the text only where it
 * was put. Frozen values cannot change, so the text made once stays the value's JSON.
 */
import { randomUUID } from 'node:crypto';

export interface SharedJson {
  /** What the holding property carries while the holder is encoded. */
  readonly placeholder: string;
  /** JSON.stringify(placeholder): what the encoder replaces in the holder's text. */
  readonly quoted: string;
  /** JSON.stringify(value). */
  readonly json: string;
}

const shared = new WeakMap<object, SharedJson>();

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** Freezes `value` all through and remembers its JSON text; returns `value`. */
export function shareJson<T extends object>(value: T): T {
  deepFreeze(value);
  const placeholder = `skiff-shared-json:${randomUUID()}`;
  shared.set(value, { placeholder, quoted: JSON.stringify(placeholder), json: JSON.stringify(value) });
  return value;
}

/** The text of a value made with shareJson, or undefined for any other value. */
export function sharedJsonOf(value: unknown): SharedJson | undefined {
  return typeof value === 'object' && value !== null ? shared.get(value) : undefined;
}
