/** ConfigMap and Secret data keys. */
import { maxLenError, regexError, DNS1123_SUBDOMAIN_MAX } from './names.js';

const keyFmt = '[-._a-zA-Z0-9]+';
const keyRe = new RegExp(`^${keyFmt}$`);

export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX));
  if (!keyRe.test(value)) errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", keyFmt, 'key.name', 'KEY_NAME', 'key-name'));
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}
