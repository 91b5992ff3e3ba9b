/**
 * PATCH bodies, by Content-Type, applied to a stored object. Pure: `original` and `patch` are never changed.
 * The result's metadata and every top-level member the patch names are its own; other top-level members (a
 * pod's spec under a status patch) are shared with `original`, which callers treat as read-only. Server-side
 * apply (application/apply-patch+yaml) is apply/'s serverSideApply, which the routes call for that type.
 */
import type { KubeObject } from '../resource.js';
import { definitionSchema } from '../schema/index.js';
import { PatchError, cloneJson, isObject } from './errors.js';
import { cloneMetadata } from '../clone.js';
import { applyJsonPatch } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { strategicMerge } from './strategic.js';

export { PatchError } from './errors.js';
export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
/** Server-side apply's type: routes send it to apply/'s serverSideApply; applyPatch refuses it (415). */
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** The patch types applyPatch accepts, in the order upstream lists them for built-in kinds. */
export const supportedPatchTypes: readonly string[] = [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH];
/** Every patch type the API serves on a main resource (routes and OpenAPI both read this). */
export const servedPatchTypes: readonly string[] = [...supportedPatchTypes, APPLY_PATCH];

/** The media type without parameters (`application/merge-patch+json; charset=utf-8` → `application/merge-patch+json`). */
export function patchType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

/**
 * Applies `patch` (already parsed from JSON) to `original`.
 * @param definition the OpenAPI definition of the object (ResourceType.definition): its schema supplies the
 *   strategic-merge list keys and strategies; an unknown definition merges with no list metadata.
 * @throws PatchError with `code` 400 (malformed), 415 (unsupported type) or 422 (JSON patch does not apply).
 */
export function applyPatch(contentType: string, original: KubeObject, patch: unknown, definition: string): KubeObject {
  const type = patchType(contentType);
  let result: unknown;
  switch (type) {
    case JSON_PATCH:
      result = applyJsonPatch(original, patch);
      break;
    case MERGE_PATCH:
      if (!isObject(patch)) throw new PatchError('Invalid JSON Patch');
      result = applyMergePatch(writableFor(original, patch), patch);
      break;
    case STRATEGIC_MERGE_PATCH:
      if (!isObject(patch)) throw new PatchError('invalid JSON document');
      result = strategicMerge(writableFor(original, patch), cloneJson(patch), definitionSchema(definition));
      break;
    default:
      throw new PatchError(
        `the body of the request was in an unknown format - accepted media types include: ${supportedPatchTypes.join(', ')}`,
        415,
      );
  }
  if (!isObject(result)) throw new PatchError('the patched document is not a JSON object', 422);
  return result as KubeObject;
}

/**
 * A shallow copy of `original` that merging `patch` into may modify: metadata (which every write sets) and each
 * top-level member the patch names, directly or through a directive such as `$setElementOrder/<field>`, are deep
 * copies; the rest are shared, as a merge never reaches them. A status patch thus copies metadata and status, not
 * the spec, which is most of a pod.
 */
function writableFor(original: KubeObject, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...original };
  const copy = (k: string) => {
    if (Object.prototype.hasOwnProperty.call(out, k)) out[k] = cloneJson(out[k]);
  };
  // Metadata's managedFields (most of it) stay shared unless the patch names them: a merge never reaches them then.
  if (Object.prototype.hasOwnProperty.call(out, 'metadata')) out['metadata'] = namesManagedFields(patch['metadata']) ? cloneJson(out['metadata']) : cloneMetadata(out['metadata']);
  for (const k of Object.keys(patch)) if (k !== 'metadata') copy(memberOf(k));
  return out;
}

/** The member a top-level key of a patch names, directly or through a directive such as `$setElementOrder/<field>`. */
const memberOf = (k: string): string => (k.startsWith('$') && k.includes('/') ? k.slice(k.indexOf('/') + 1) : k);

/** Whether a patch's metadata names managedFields (or replaces metadata whole, or is not an object at all). */
function namesManagedFields(meta: unknown): boolean {
  if (!isObject(meta)) return meta !== undefined;
  for (const k of Object.keys(meta)) if (k.startsWith('$') || memberOf(k) === 'managedFields') return true;
  return false;
}
