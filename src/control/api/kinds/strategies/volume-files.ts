/**
 * The file-projecting volume types (secret, configMap, downwardAPI, projected) as upstream defaults and validates
 * them: each file's path stays inside the volume, modes are 0-0777, a projected volume's sources each name one type
 * and never write the same path twice, and a projected token lives 10 minutes to 2^32 seconds (default 3600).
 * Every pod of a cluster with ServiceAccount admission carries a projected token volume through here on create,
 * so these are plain loops that allocate only for what they find.
 */
import type { FieldError } from '../../resource.js';
import { forbidden, invalid, required } from '../../validation/errors.js';
import { isRecord, rec, setDefault, type Json } from './json.js';
import { VOLUME_FIELD_PATHS, validateFieldRef, validateResourceFieldRef } from './downward-api.js';
import { sharedJsonOf } from '../../shared-json.js';

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
const TOKEN_DEFAULT_SECONDS = 3600;
const TOKEN_MIN_SECONDS = 600;
const TOKEN_MAX_SECONDS = 2 ** 32;

/** Upstream's defaults inside a volume's file sources: a projected token's expirationSeconds, fieldRef's apiVersion. */
export function defaultVolumeFiles(v: Json): void {
  defaultDownwardItems(rec(v.downwardAPI));
  const projected = rec(v.projected);
  if (!projected || !Array.isArray(projected.sources)) return;
  for (const source of projected.sources) {
    if (!isRecord(source)) continue;
    const token = rec(source.serviceAccountToken);
    if (token && (token.expirationSeconds === undefined || token.expirationSeconds === null)) token.expirationSeconds = TOKEN_DEFAULT_SECONDS;
    defaultDownwardItems(rec(source.downwardAPI));
  }
}

function defaultDownwardItems(src: Json | undefined): void {
  if (!src || !Array.isArray(src.items)) return;
  for (const item of src.items) {
    const fieldRef = isRecord(item) ? rec(item.fieldRef) : undefined;
    if (fieldRef) setDefault(fieldRef, 'apiVersion', 'v1');
  }
}

/** The errors of a volume's configMap, secret, downwardAPI and projected sources (`path` is the volume's). */
export function validateVolumeFiles(v: Json, path: string, errs: FieldError[]): void {
  const configMap = rec(v.configMap);
  if (configMap) {
    if (typeof configMap.name !== 'string' || configMap.name === '') errs.push(required(`${path}.configMap.name`, ''));
    validateMode(configMap.defaultMode, `${path}.configMap.defaultMode`, errs);
    validateKeyToPaths(configMap.items, `${path}.configMap.items`, undefined, undefined, errs);
  }
  const secret = rec(v.secret);
  if (secret) {
    if (typeof secret.secretName !== 'string' || secret.secretName === '') errs.push(required(`${path}.secret.secretName`, ''));
    validateMode(secret.defaultMode, `${path}.secret.defaultMode`, errs);
    validateKeyToPaths(secret.items, `${path}.secret.items`, undefined, undefined, errs);
  }
  const downwardAPI = rec(v.downwardAPI);
  if (downwardAPI) {
    validateMode(downwardAPI.defaultMode, `${path}.downwardAPI.defaultMode`, errs);
    validateDownwardFiles(downwardAPI.items, `${path}.downwardAPI`, undefined, errs);
  }
  const projected = rec(v.projected);
  if (projected && !validShared.has(projected)) {
    const before = errs.length;
    validateProjected(projected, `${path}.projected`, errs);
    if (errs.length === before && sharedJsonOf(projected)) validShared.add(projected);
  }
}

/**
 * Shared projected sources (ServiceAccount admission's token volume, in every pod: shared-json.ts) found valid:
 * deep-frozen, so valid for good, and checked once rather than on every pod create. Their errors would name the
 * volume's path, so only a clean result is remembered.
 */
const validShared = new WeakSet<object>();

function validateProjected(projected: Json, field: string, errs: FieldError[]): void {
  validateMode(projected.defaultMode, `${field}.defaultMode`, errs);
  const sources = projected.sources;
  if (!Array.isArray(sources)) return;
  const seen: PathsSeen = { paths: new Set(), field };
  for (let i = 0; i < sources.length; i++) {
    const source: unknown = sources[i];
    if (!isRecord(source)) continue;
    const at = `${field}.sources[${i}]`;
    let types = 0;
    const secret = rec(source.secret);
    if (secret) {
      types++;
      if (typeof secret.name !== 'string' || secret.name === '') errs.push(required(`${at}.secret.name`, ''));
      validateKeyToPaths(secret.items, `${at}.secret.items`, seen, secret.name, errs);
    }
    const configMap = rec(source.configMap);
    if (configMap) {
      types++;
      if (typeof configMap.name !== 'string' || configMap.name === '') errs.push(required(`${at}.configMap.name`, ''));
      validateKeyToPaths(configMap.items, `${at}.configMap.items`, seen, configMap.name, errs);
    }
    const downwardAPI = rec(source.downwardAPI);
    if (downwardAPI) {
      types++;
      validateDownwardFiles(downwardAPI.items, `${at}.downwardAPI`, seen, errs);
    }
    const token = rec(source.serviceAccountToken);
    if (token) {
      types++;
      const exp = token.expirationSeconds;
      if (typeof exp === 'number') {
        if (exp < TOKEN_MIN_SECONDS) errs.push(invalid(`${at}.serviceAccountToken.expirationSeconds`, exp, 'may not specify a duration less than 10 minutes'));
        if (exp > TOKEN_MAX_SECONDS) errs.push(invalid(`${at}.serviceAccountToken.expirationSeconds`, exp, 'may not specify a duration larger than 2^32 seconds'));
      }
      // Upstream reports a missing token path at the projected volume's own path field, not the source's.
      if (typeof token.path !== 'string' || token.path === '') errs.push(required(`${field}.path`, ''));
      else validateLocalNonReservedPath(token.path, `${field}.path`, errs);
    }
    if (source.clusterTrustBundle !== undefined && source.clusterTrustBundle !== null) types++;
    if (types > 1) errs.push(forbidden(at, 'may not specify more than 1 volume type'));
  }
}

/** A projected volume's file paths so far (one per volume), to refuse the same path written by two sources. */
interface PathsSeen {
  paths: Set<string>;
  /** The projected volume's field, where upstream reports a duplicate. */
  field: string;
}

/** `owner`: what a duplicate is reported with (the source's name; the path itself when there is none). */
function seenPath(p: string, seen: PathsSeen | undefined, owner: unknown, errs: FieldError[]): void {
  if (!seen || p === '') return;
  if (seen.paths.has(p)) errs.push(invalid(seen.field, owner ?? p, 'conflicting duplicate paths'));
  else seen.paths.add(p);
}

function validateKeyToPaths(items: unknown, field: string, seen: PathsSeen | undefined, owner: unknown, errs: FieldError[]): void {
  if (!Array.isArray(items)) return;
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    if (!isRecord(item)) continue;
    const at = `${field}[${i}]`;
    if (typeof item.key !== 'string' || item.key === '') errs.push(required(`${at}.key`, ''));
    const p = typeof item.path === 'string' ? item.path : '';
    if (p === '') errs.push(required(`${at}.path`, ''));
    validateLocalNonReservedPath(p, `${at}.path`, errs);
    validateMode(item.mode, `${at}.mode`, errs);
    seenPath(p, seen, owner, errs);
  }
}

/** A downward API volume's files; upstream reports their errors at the source's field, not at the item's index. */
function validateDownwardFiles(items: unknown, field: string, seen: PathsSeen | undefined, errs: FieldError[]): void {
  if (!Array.isArray(items)) return;
  for (const item of items) {
    if (!isRecord(item)) continue;
    const p = typeof item.path === 'string' ? item.path : '';
    if (p === '') errs.push(required(`${field}.path`, ''));
    validateLocalNonReservedPath(p, `${field}.path`, errs);
    if (isRecord(item.fieldRef)) {
      validateFieldRef(item.fieldRef, VOLUME_FIELD_PATHS, `${field}.fieldRef`, errs);
      if (isRecord(item.resourceFieldRef)) errs.push(invalid(field, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
    } else if (isRecord(item.resourceFieldRef)) {
      validateResourceFieldRef(item.resourceFieldRef, `${field}.resourceFieldRef`, true, errs);
    } else {
      errs.push(required(field, 'one of fieldRef and resourceFieldRef is required'));
    }
    validateMode(item.mode, `${field}.mode`, errs);
    seenPath(p, seen, p, errs);
  }
}

function validateMode(mode: unknown, field: string, errs: FieldError[]): void {
  if (typeof mode === 'number' && (mode < 0 || mode > 0o777)) errs.push(invalid(field, mode, FILE_MODE_ERROR));
}

/** Upstream's ValidateLocalNonReservedPath: relative, no '..' element, not starting with '..'. */
function validateLocalNonReservedPath(p: string, field: string, errs: FieldError[]): void {
  if (p.startsWith('/')) errs.push(invalid(field, p, 'must be a relative path'));
  if (!p.includes('..')) return;
  if (p.split('/').includes('..')) errs.push(invalid(field, p, "must not contain '..'"));
  // '../x' was refused just above; '..x' (and '..x/../y', twice) is refused here.
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(invalid(field, p, "must not start with '..'"));
}
