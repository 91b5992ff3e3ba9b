/** A write's body against its path: apiVersion and kind checked, unknown fields dropped and reported. */
import type { KubeObject, ResourceType } from '../../resource.js';
import { groupVersion } from '../../resource.js';
import { badRequest } from '../../status.js';
import { isPlainObject } from '../../content.js';
import { checkUnknownFields, reportUnknownFields } from '../unknown-fields.js';
import type { WriteOptions } from './write-options.js';

/**
 * Drops fields the kind's schema lacks, reporting them per opts.fieldValidation. `stored`: the stored object a
 * patch was applied to (members `obj` shares with it are not walked again).
 */
export function unknownFields(r: ResourceType, obj: KubeObject, opts: WriteOptions, stored?: KubeObject): void {
  const mode = opts.fieldValidation ?? 'Warn';
  const prune = r.strategy.prune;
  const warnings = prune ? reportUnknownFields(prune(obj), mode) : checkUnknownFields(obj, r.definition, mode, stored);
  if (warnings.length) opts.warnings?.push(...warnings);
}

/** Checks the body's apiVersion/kind against the path and returns it as a KubeObject. */
export function checkBody(r: ResourceType, body: unknown): KubeObject {
  if (!isPlainObject(body)) throw badRequest('the body of the request must be a JSON or YAML object');
  const obj = body as KubeObject;
  const gv = groupVersion(r);
  if (obj.apiVersion !== undefined && obj.apiVersion !== gv) {
    throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${gv})`);
  }
  if (obj.kind !== undefined && obj.kind !== r.kind) {
    throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${r.kind})`);
  }
  if (obj.metadata !== undefined && !isPlainObject(obj.metadata)) throw badRequest('metadata must be an object');
  obj.apiVersion = gv;
  obj.kind = r.kind;
  obj.metadata = obj.metadata ?? {};
  return obj;
}
