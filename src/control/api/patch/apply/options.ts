/**
 * PATCH options as upstream validates them (ValidatePatchOptions), and the manager name a write gets when the
 * client names none (derived from its User-Agent).
 */
import { FIELD_MANAGER_MAX_LENGTH } from '../../params/options.js';

export { FIELD_MANAGER_MAX_LENGTH };

/** Unicode "printable" as Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space. */
const printable = (ch: string): boolean => ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);

/** PatchOptions and fieldManager are validated with every other request option, in params/options.ts. */
export { validatePatchOptions, validateFieldManager } from '../../params/options.js';

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
