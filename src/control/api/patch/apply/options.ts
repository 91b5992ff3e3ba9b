/**
 * PATCH options as upstream validates them (ValidatePatchOptions), and the manager name a write gets when the
 * client names none (derived from its User-Agent).
 */
import type { FieldError } from '../../resource.js';

/** metav1's FieldManagerMaxLength. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

/** Unicode "printable" as Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space. */
const printable = (ch: string): boolean => ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);

/**
 * Field errors for PatchOptions (reported as `PatchOptions.meta.k8s.io "" is invalid: …`, 422 Invalid):
 * fieldManager required for apply, force only for apply, fieldManager at most 128 printable characters.
 */
export function validatePatchOptions(isApply: boolean, fieldManager: string | undefined, force: boolean | undefined): FieldError[] {
  const errs: FieldError[] = [];
  if (!isApply && force !== undefined) {
    errs.push({ type: 'FieldValueForbidden', field: 'force', message: 'Forbidden: may not be specified for non-apply patch' });
  }
  if (isApply && !fieldManager) {
    errs.push({ type: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' });
  }
  errs.push(...validateFieldManager(fieldManager));
  return errs;
}

/** The fieldManager checks every write (create, update, patch) makes. */
export function validateFieldManager(fieldManager: string | undefined): FieldError[] {
  if (!fieldManager) return [];
  const errs: FieldError[] = [];
  if (Buffer.byteLength(fieldManager) > FIELD_MANAGER_MAX_LENGTH) {
    errs.push({ type: 'FieldValueTooLong', field: 'fieldManager', message: `Too long: may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes` });
  }
  let i = 0;
  for (const ch of fieldManager) {
    if (!printable(ch)) {
      errs.push({ type: 'FieldValueInvalid', field: 'fieldManager', message: `Invalid value: ${JSON.stringify(fieldManager)}: invalid characters at ${i}` });
      break;
    }
    i += Buffer.byteLength(ch);
  }
  return errs;
}

/**
 * The manager of a write that names none: the User-Agent up to its first `/`, unprintable characters dropped,
 * cut at 128 bytes (`kubectl/v1.32.0 (linux/amd64) kubernetes/abc` → `kubectl`).
 */
export function managerFromUserAgent(userAgent: string | undefined): string {
  let out = '';
  for (const ch of (userAgent ?? '').split('/')[0]!) {
    if (!printable(ch)) continue;
    if (Buffer.byteLength(out + ch) > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
  }
  return out;
}

/** The manager of a write: the fieldManager parameter, else derived from the User-Agent. */
export const managerOf = (fieldManager: string | undefined, userAgent: string | undefined): string =>
  fieldManager || managerFromUserAgent(userAgent);
