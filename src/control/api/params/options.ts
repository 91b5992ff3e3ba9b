/**
 * The option structs of every verb, decoded from the query (and a DELETE's body) and validated as kube-apiserver's
 * handlers do: a value that does not convert is 400 BadRequest (params/convert.ts); a combination upstream's
 * meta/v1 and meta/internalversion validation refuses is 422 Invalid on `ListOptions.meta.k8s.io ""` (or
 * CreateOptions, UpdateOptions, PatchOptions, DeleteOptions) with upstream's field paths and wording.
 * Every route reads its parameters through here; nothing else looks at the query.
 */
import type { FieldError } from '../resource.js';
import type { FieldValidation } from '../routes/unknown-fields.js';
import { badRequest, invalid } from '../status.js';
import { goQuote, queryBool, queryInt64, queryString, queryValues, type QueryValues } from './convert.js';

export type { QueryValues } from './convert.js';

const META = 'meta.k8s.io';

/** ListOptions (list, watch, deletecollection) after conversion; empty strings read as unset, as upstream's len() checks. */
export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  watch: boolean;
  allowWatchBookmarks: boolean;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  timeoutSeconds?: number;
  limit?: number;
  continue?: string;
  sendInitialEvents?: boolean;
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

/** url.Values → ListOptions (conversion errors are 400). */
export function decodeListOptions(query: QueryValues): ListQuery {
  const o: ListQuery = { watch: queryBool(query, 'watch') === true, allowWatchBookmarks: queryBool(query, 'allowWatchBookmarks') === true };
  const set = <K extends keyof ListQuery>(k: K, v: ListQuery[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set('labelSelector', nonEmpty(queryString(query, 'labelSelector')));
  set('fieldSelector', nonEmpty(queryString(query, 'fieldSelector')));
  set('resourceVersion', nonEmpty(queryString(query, 'resourceVersion')));
  set('resourceVersionMatch', nonEmpty(queryString(query, 'resourceVersionMatch')));
  set('continue', nonEmpty(queryString(query, 'continue')));
  set('timeoutSeconds', queryInt64(query, 'timeoutSeconds'));
  set('limit', queryInt64(query, 'limit'));
  set('sendInitialEvents', queryBool(query, 'sendInitialEvents'));
  return o;
}

const forbidden = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });
const notSupported = (field: string, shown: string, allowed: readonly string[]): FieldError => ({
  type: 'FieldValueNotSupported', field, message: `Unsupported value: ${shown}: supported values: ${allowed.map(goQuote).join(', ')}`,
});

/** meta/internalversion ValidateListOptions, with the WatchList feature on (Skiff serves sendInitialEvents). */
export function validateListOptions(o: ListQuery): FieldError[] {
  const errs: FieldError[] = [];
  const match = o.resourceVersionMatch;
  if (o.watch) {
    if (o.sendInitialEvents !== undefined && match !== 'NotOlderThan') {
      errs.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    }
    if (match !== undefined) {
      if (o.sendInitialEvents === undefined) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      if (match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', goQuote(match), ['NotOlderThan']));
      if (o.continue !== undefined) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
    return errs;
  }
  if (match !== undefined) {
    if (o.resourceVersion === undefined) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (o.continue !== undefined) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', goQuote(match), ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && o.resourceVersion === '0') {
      errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
  }
  if (o.sendInitialEvents !== undefined) errs.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return errs;
}

/** Decoded and validated ListOptions; `forceWatch` for requests that are watches whatever `watch` says. */
export function listOptions(query: QueryValues, forceWatch = false): ListQuery {
  const o = decodeListOptions(query);
  if (forceWatch) o.watch = true;
  const errs = validateListOptions(o);
  if (errs.length) throw invalid(META, 'ListOptions', '', errs);
  return o;
}

/** GetOptions: only resourceVersion; a true `export` is refused as upstream still does (removed in 1.18). */
export function getOptions(query: QueryValues): { resourceVersion?: string } {
  if (queryBool(query, 'export')) throw badRequest('the export parameter, deprecated since v1.14, is no longer supported');
  const rv = nonEmpty(queryString(query, 'resourceVersion'));
  return rv === undefined ? {} : { resourceVersion: rv };
}


/** Create, update and patch options once validated; fieldValidation defaulted to Warn as upstream's handlers do. */
export interface WriteQuery {
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: FieldValidation;
}

export interface PatchQuery extends WriteQuery {
  force?: boolean;
}

/** metav1's FieldManagerMaxLength. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

/** ValidateDryRun: every value must be "All"; the bad value shows as Go's %#v of the []string. */
export function validateDryRun(values: readonly string[]): FieldError[] {
  if (values.every((v) => v === 'All')) return [];
  return [notSupported('dryRun', `[]string{${values.map(goQuote).join(', ')}}`, ['All'])];
}

/** ValidateFieldManager: at most 128 bytes, printable characters only. */
export function validateFieldManager(fieldManager: string | undefined): FieldError[] {
  if (!fieldManager) return [];
  const errs: FieldError[] = [];
  if (Buffer.byteLength(fieldManager) > FIELD_MANAGER_MAX_LENGTH) {
    errs.push({ type: 'FieldValueTooLong', field: 'fieldManager', message: `Too long: may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes` });
  }
  let i = 0;
  for (const ch of fieldManager) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) {
      errs.push({ type: 'FieldValueInvalid', field: 'fieldManager', message: `Invalid value: ${goQuote(fieldManager)}: invalid character ${goRune(ch)} (at position ${i})` });
    }
    i += Buffer.byteLength(ch);
  }
  return errs;
}

/** Go's %#U: U+0007 followed by the quoted character when it is printable. */
function goRune(ch: string): string {
  const hex = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch) ? `U+${hex} '${ch}'` : `U+${hex}`;
}

const FIELD_VALIDATIONS = ['', 'Ignore', 'Strict', 'Warn'];

export function validateFieldValidation(v: string): FieldError[] {
  return FIELD_VALIDATIONS.includes(v) ? [] : [notSupported('fieldValidation', goQuote(v), FIELD_VALIDATIONS)];
}

function writeQuery(query: QueryValues): { dryRun: string[]; fieldManager: string; fieldValidation: string } {
  return {
    dryRun: queryValues(query, 'dryRun'),
    fieldManager: queryString(query, 'fieldManager') ?? '',
    fieldValidation: queryString(query, 'fieldValidation') ?? '',
  };
}

function toWriteQuery(w: { dryRun: string[]; fieldManager: string; fieldValidation: string }): WriteQuery {
  const out: WriteQuery = { dryRun: w.dryRun.length > 0, fieldValidation: (w.fieldValidation || 'Warn') as FieldValidation };
  if (w.fieldManager) out.fieldManager = w.fieldManager;
  return out;
}

/** CreateOptions or UpdateOptions (ValidateCreateOptions / ValidateUpdateOptions: fieldManager, dryRun, fieldValidation). */
export function writeOptions(query: QueryValues, kind: 'CreateOptions' | 'UpdateOptions'): WriteQuery {
  const w = writeQuery(query);
  const errs = [...validateFieldManager(w.fieldManager), ...validateDryRun(w.dryRun), ...validateFieldValidation(w.fieldValidation)];
  if (errs.length) throw invalid(META, kind, '', errs);
  return toWriteQuery(w);
}

/** ValidatePatchOptions: `force` only with apply, which needs a fieldManager; then the checks every write makes. */
export function validatePatchOptions(
  isApply: boolean, fieldManager: string | undefined, force: boolean | undefined, dryRun: readonly string[] = [], fieldValidation = '',
): FieldError[] {
  const errs: FieldError[] = [];
  if (!isApply && force !== undefined) errs.push(forbidden('force', 'may not be specified for non-apply patch'));
  if (isApply && !fieldManager) errs.push({ type: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' });
  errs.push(...validateFieldManager(fieldManager), ...validateDryRun(dryRun), ...validateFieldValidation(fieldValidation));
  return errs;
}

/** PatchOptions (ValidatePatchOptions): `force` only with apply, which needs a fieldManager. */
export function patchOptions(query: QueryValues, isApply: boolean): PatchQuery {
  const w = writeQuery(query);
  const force = queryBool(query, 'force');
  const errs = validatePatchOptions(isApply, w.fieldManager, force, w.dryRun, w.fieldValidation);
  if (errs.length) throw invalid(META, 'PatchOptions', '', errs);
  const out: PatchQuery = toWriteQuery(w);
  if (force !== undefined) out.force = force;
  return out;
}

export interface DeleteQuery {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

/** The fields of a DeleteOptions body and the JSON type each must have (the body decodes into Go's struct). */
const BODY_FIELDS: Record<string, { go: string; ok: (v: unknown) => boolean }> = {
  gracePeriodSeconds: { go: 'int64', ok: (v) => typeof v === 'number' && Number.isInteger(v) },
  propagationPolicy: { go: 'v1.DeletionPropagation', ok: (v) => typeof v === 'string' },
  orphanDependents: { go: 'bool', ok: (v) => typeof v === 'boolean' },
  preconditions: { go: 'v1.Preconditions', ok: (v) => typeof v === 'object' && !Array.isArray(v) },
  dryRun: { go: '[]string', ok: (v) => Array.isArray(v) && v.every((s) => typeof s === 'string') },
};

const jsonType = (v: unknown): string => (Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v);

/**
 * DeleteOptions of a delete or deletecollection: from the body when there is one (the query is then not read,
 * as upstream), else from the query; then ValidateDeleteOptions (422). `body` is the decoded body, or
 * undefined when the request has none.
 */
export function deleteOptions(query: QueryValues, body: unknown): DeleteQuery {
  let o: DeleteQuery = {};
  if (body !== undefined && body !== null) {
    if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of a delete must be a DeleteOptions object');
    const b = body as Record<string, unknown>;
    if (b['kind'] !== undefined && b['kind'] !== 'DeleteOptions') {
      throw badRequest(`the kind in the data (${String(b['kind'])}) does not match the expected kind (DeleteOptions)`);
    }
    for (const [k, spec] of Object.entries(BODY_FIELDS)) {
      const v = b[k];
      if (v === undefined || v === null) continue;
      if (!spec.ok(v)) throw badRequest(`json: cannot unmarshal ${jsonType(v)} into Go struct field DeleteOptions.${k} of type ${spec.go}`);
    }
    o = b as DeleteQuery;
    for (const k of Object.keys(BODY_FIELDS) as (keyof DeleteQuery)[]) if (o[k] === null) delete o[k];
  } else {
    const grace = queryInt64(query, 'gracePeriodSeconds');
    if (grace !== undefined) o.gracePeriodSeconds = grace;
    const policy = queryString(query, 'propagationPolicy');
    if (policy !== undefined) o.propagationPolicy = policy;
    const orphan = queryBool(query, 'orphanDependents');
    if (orphan !== undefined) o.orphanDependents = orphan;
    const dryRun = queryValues(query, 'dryRun');
    if (dryRun.length) o.dryRun = dryRun;
  }
  const errs = validateDeleteOptions(o);
  if (errs.length) throw invalid(META, 'DeleteOptions', '', errs);
  return o;
}

const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'];

export function validateDeleteOptions(o: DeleteQuery): FieldError[] {
  const errs: FieldError[] = [];
  if (o.orphanDependents !== undefined && o.propagationPolicy !== undefined) {
    errs.push({
      type: 'FieldValueInvalid', field: 'propagationPolicy',
      message: `Invalid value: ${goQuote(o.propagationPolicy)}: orphanDependents and deletionPropagation cannot be both set`,
    });
  }
  if (o.propagationPolicy !== undefined && !PROPAGATION_POLICIES.includes(o.propagationPolicy)) {
    errs.push(notSupported('propagationPolicy', goQuote(o.propagationPolicy), [...PROPAGATION_POLICIES, 'nil']));
  }
  errs.push(...validateDryRun(o.dryRun ?? []));
  return errs;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** TableOptions (read only when the response is a Table): a bad includeObject is 400, as upstream's transform. */
export function tableOptions(query: QueryValues): { includeObject: IncludeObject } {
  const v = queryString(query, 'includeObject') ?? '';
  if (v === '') return { includeObject: 'Metadata' };
  if (v === 'None' || v === 'Metadata' || v === 'Object') return { includeObject: v };
  throw badRequest(`Unable to convert to Table as requested: includeObject: Invalid value: ${goQuote(v)}: must be 'Metadata', 'Object', 'None', or empty`);
}

/** strconv.ParseBool: 1, t, T, TRUE, true, True are true; 0, f, F, FALSE, false, False false; anything else none. */
export function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/**
 * Upstream's isPrettyPrint: the deprecated `pretty` parameter (strconv.ParseBool, a bad value is false), else
 * indented for curl, Wget and browsers, whose users read the JSON themselves.
 */
export function prettyPrint(query: QueryValues, userAgent: string | undefined): boolean {
  const v = queryString(query, 'pretty');
  if (v) return parseGoBool(v) === true;
  const ua = userAgent ?? '';
  return ua.startsWith('curl') || ua.startsWith('Wget') || ua.startsWith('Mozilla/5.0');
}
