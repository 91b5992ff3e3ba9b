/**
 * String formats a custom resource's schema may name, checked as kube-openapi's strfmt registry checks them
 * (apiextensions' supported formats). A format Skiff does not know is not checked, as upstream ignores it.
 */
import { isIP } from 'node:net';

const HOSTNAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID_V = (v: number) => new RegExp(`^[0-9a-f]{8}-?[0-9a-f]{4}-?${v}[0-9a-f]{3}-?${v === 3 ? '[0-9a-f]' : '[89ab]'}[0-9a-f]{3}-?[0-9a-f]{12}$`, 'i');
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;
const MAC = /^(?:[0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$|^(?:[0-9a-fA-F]{2}[:-]){7}[0-9a-fA-F]{2}$|^(?:[0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** RFC 3339 date-time, with the variants strfmt.DateTime parses (space or 'T', optional fraction, Z or offset). */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$/;
const DURATION = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*(?:ns|us|µs|ms|s|m|h|d|w)\s*)+$/;
const HEXCOLOR = /^#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const RGBCOLOR = /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/;
const BSON = /^[0-9a-fA-F]{24}$/;
const SSN = /^\d{3}[- ]?\d{2}[- ]?\d{4}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function validDate(y: string, m: string, d: string): boolean {
  const mm = Number(m);
  const dd = Number(d);
  if (mm < 1 || mm > 12 || dd < 1) return false;
  const days = new Date(Date.UTC(Number(y), mm, 0)).getUTCDate();
  return dd <= days;
}

function isbn10(s: string): boolean {
  const t = s.replace(/[- ]/g, '');
  if (!/^\d{9}[\dX]$/.test(t)) return false;
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += (t[i] === 'X' ? 10 : Number(t[i])) * (10 - i);
  return sum % 11 === 0;
}

function isbn13(s: string): boolean {
  const t = s.replace(/[- ]/g, '');
  if (!/^\d{13}$/.test(t)) return false;
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(t[i]) * (i % 2 ? 3 : 1);
  return sum % 10 === 0;
}

function luhn(s: string): boolean {
  const t = s.replace(/[- ]/g, '');
  if (!/^\d{12,19}$/.test(t)) return false;
  let sum = 0;
  for (let i = 0; i < t.length; i++) {
    let d = Number(t[t.length - 1 - i]);
    if (i % 2) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function cidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  const v = isIP(ip);
  if (!v || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (v === 4 ? 32 : 128);
}

function uri(s: string): boolean {
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

/** Checks per format name; a name not here is not checked. */
const STRING_FORMATS: Record<string, (s: string) => boolean> = {
  bsonobjectid: (s) => BSON.test(s),
  uri,
  email: (s) => EMAIL.test(s),
  hostname: (s) => s.length <= 255 && HOSTNAME.test(s),
  ipv4: (s) => isIP(s) === 4,
  ipv6: (s) => isIP(s) === 6,
  cidr,
  mac: (s) => MAC.test(s),
  uuid: (s) => UUID.test(s),
  uuid3: (s) => UUID_V(3).test(s),
  uuid4: (s) => UUID_V(4).test(s),
  uuid5: (s) => UUID_V(5).test(s),
  isbn: (s) => isbn10(s) || isbn13(s),
  isbn10,
  isbn13,
  creditcard: luhn,
  ssn: (s) => SSN.test(s),
  hexcolor: (s) => HEXCOLOR.test(s),
  rgbcolor: (s) => {
    const m = RGBCOLOR.exec(s);
    return !!m && [m[1], m[2], m[3]].every((x) => Number(x) <= 255);
  },
  byte: (s) => BASE64.test(s.replace(/\s/g, '')),
  password: () => true,
  date: (s) => {
    const m = DATE.exec(s);
    return !!m && validDate(m[1]!, m[2]!, m[3]!);
  },
  datetime: dateTime,
  'date-time': dateTime,
  duration: (s) => DURATION.test(s.trim()),
};

function dateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (!m || !validDate(m[1]!, m[2]!, m[3]!)) return false;
  return Number(m[4]) < 24 && Number(m[5]) < 60 && (m[6] === undefined || Number(m[6]) < 61);
}

const INT_RANGES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [-(2 ** 63), 2 ** 63],
};

/** Whether `value` satisfies `format`; true for formats that are not checked and for values of other types. */
export function matchesFormat(format: string, value: unknown): boolean {
  if (typeof value === 'string') {
    const check = STRING_FORMATS[format];
    return check ? check(value) : true;
  }
  if (typeof value === 'number') {
    const range = INT_RANGES[format];
    if (range) return Number.isInteger(value) && value >= range[0] && value < range[1] + (format === 'int32' ? 1 : 0);
  }
  return true;
}

/** Formats upstream knows (a CRD naming another gets no check, as there). */
export const KNOWN_FORMATS: ReadonlySet<string> = new Set([...Object.keys(STRING_FORMATS), 'int32', 'int64', 'float', 'double']);
