/** Label keys and values, annotations: upstream's rules and messages. */
import type { FieldError } from '../resource.js';
import { invalid, tooLong } from './errors.js';
import { emptyError, isDNS1123Subdomain, maxLenError, regexError } from './names.js';

const keyCharFmt = '[A-Za-z0-9]';
const keyFmt = `(${keyCharFmt}[-A-Za-z0-9_.]*)?${keyCharFmt}`;
const keyMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const keyRe = new RegExp(`^${keyFmt}$`);
const valueFmt = `(${keyFmt})?`;
const valueRe = new RegExp(`^${valueFmt}$`);
const KEY_NAME_MAX = 63;
export const LABEL_VALUE_MAX = 63;
/** Total size of all annotation keys and values (256 KiB), as upstream. */
export const ANNOTATIONS_SIZE_LIMIT = 256 * 1024;

/** A "qualified name" (label keys, annotation keys, finalizers): optional DNS subdomain prefix, '/', name. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`);
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [`a valid label key ${regexError(keyMsg, keyFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`);
  else if (name.length > KEY_NAME_MAX) errs.push(`name part ${maxLenError(KEY_NAME_MAX)}`);
  if (!keyRe.test(name)) errs.push(`name part ${regexError(keyMsg, keyFmt, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > LABEL_VALUE_MAX) errs.push(maxLenError(LABEL_VALUE_MAX));
  if (!valueRe.test(value)) {
    errs.push(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
      valueFmt, 'MyValue', 'my_value', '12345'));
  }
  return errs;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Labels (or any string map held to label rules, e.g. a Service selector). Errors point at the map itself. */
export function validateLabels(labels: unknown, field: string): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (!isRecord(labels)) return [invalid(field, labels, 'must be a map of string keys to string values')];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    for (const m of isQualifiedName(k)) errs.push(invalid(field, k, m));
    if (typeof v !== 'string') errs.push(invalid(field, v, 'label values must be strings'));
    else for (const m of isValidLabelValue(v)) errs.push(invalid(field, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, field: string): FieldError[] {
  if (annotations === undefined || annotations === null) return [];
  if (!isRecord(annotations)) return [invalid(field, annotations, 'must be a map of string keys to string values')];
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    // Annotation keys follow label-key rules except that case does not matter.
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(field, k, m));
    if (typeof v !== 'string') errs.push(invalid(field, v, 'annotation values must be strings'));
    size += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  }
  if (size > ANNOTATIONS_SIZE_LIMIT) errs.push(tooLong(field, ANNOTATIONS_SIZE_LIMIT));
  return errs;
}
