import type { KubeObject } from '../../resource.js';

/**
 * Stored form: apiVersion, kind and metadata first (so lists can splice resourceVersion into the bytes, see
 * rawEntry), without metadata.resourceVersion, which reads derive from the key's modRevision.
 */
export const encode = (obj: KubeObject): Uint8Array => encodeText(obj).bytes;

/** `encode` with the JSON text too (the watch cache splices resourceVersion into it for the event). */
export function encodeText(obj: KubeObject): { text: string; bytes: Buffer } {
  const { apiVersion, kind, metadata, ...body } = obj;
  const { resourceVersion: _rv, ...meta } = metadata ?? {};
  const text = JSON.stringify({ apiVersion, kind, metadata: meta, ...body });
  return { text, bytes: Buffer.from(text) };
}
