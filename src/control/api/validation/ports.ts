/** Port numbers, IANA service names and protocols, as upstream validates them. */
import type { FieldError } from '../resource.js';
import { invalid, notSupported, required } from './errors.js';
import { inclusiveRangeError, maxLenError } from './names.js';

export const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/** IANA_SVC_NAME: 1-15 chars of [-a-z0-9], at least one letter, no leading/trailing or double hyphen. */
export function isValidPortName(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.length > 0 && (name.startsWith('-') || name.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

export function validatePortNumber(port: unknown, field: string): FieldError[] {
  if (typeof port !== 'number') return [invalid(field, port, inclusiveRangeError(1, 65535))];
  return isValidPortNum(port).map((m) => invalid(field, port, m));
}

/** An IntOrString port: a number in range or an IANA service name. */
export function validatePortNumOrName(port: unknown, field: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(field, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(field, port, m));
  return [invalid(field, port, 'must be an integer or a string')];
}

export function validateProtocol(protocol: unknown, field: string): FieldError[] {
  if (protocol === undefined || protocol === '') return [required(field, '')];
  return (PROTOCOLS as readonly unknown[]).includes(protocol) ? [] : [notSupported(field, protocol, PROTOCOLS)];
}
