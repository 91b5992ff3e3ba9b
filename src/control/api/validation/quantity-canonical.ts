/**
 * resource.Quantity as apimachinery holds it: an exact decimal (never a float), the format its suffix chose
 * (DecimalSI, BinarySI, DecimalExponent), and the text its String() prints. Validation messages print
 * Quantity.String(), so "2000m" reads "2", "1024Mi" reads "1Gi" and "0.5" reads "500m".
 *
 * Upstream's parser, on its int64 fast path, keeps the input text when the input already looks canonical
 * (no trailing "000", a suffix on a multiple of three, …) and String() hands that text back unchanged; that is
 * why "1e3" prints "1e3" and "+1" prints "+1". `quantityString` reproduces this; `canonicalQuantity` is the
 * canonical form alone.
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** A parsed quantity: the value is `digits` × 10^`exp10`, exactly. */
export interface ExactQuantity {
  readonly digits: bigint;
  readonly exp10: number;
  readonly format: QuantityFormat;
  /** The input text String() returns as is, when upstream's parser would have kept it. */
  readonly remembered?: string;
}

const DECIMAL_SI: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SI: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIX = new Map(Object.entries(DECIMAL_SI).map(([s, e]) => [e, s]));
const BINARY_SUFFIX = new Map(Object.entries(BINARY_SI).map(([s, e]) => [e / 10, s]));
const SUFFIX_LETTERS = 'eEinumkKMGTP';
const MAX_INT64 = (1n << 63n) - 1n;
// Exponents are int32 upstream; one whose negation would not fit is refused rather than wrapped.
const MAX_EXPONENT = 2 ** 31 - 1;
// The int64 fast path takes at most this many digits (a longer number goes the arbitrary-precision way).
const MAX_INT64_DIGITS = 19;
const NANO = -9;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

interface Scanned { negative: boolean; num: string; denom: string; suffix: string }

/** Splits "<sign><number><suffix>" the way upstream's scanner does (leading zeros dropped, "." and "-" allowed). */
function scan(text: string): Scanned | null {
  let pos = 0;
  let negative = false;
  if (text[0] === '-') { negative = true; pos++; } else if (text[0] === '+') pos++;
  while (text[pos] === '0') pos++;
  if (pos >= text.length) return { negative, num: '0', denom: '', suffix: '' };
  const numStart = pos;
  while (isDigit(text[pos])) pos++;
  const num = text.slice(numStart, pos) || '0';
  let denom = '';
  if (text[pos] === '.') {
    const start = ++pos;
    while (isDigit(text[pos])) pos++;
    denom = text.slice(start, pos);
  }
  const suffixStart = pos;
  while (pos < text.length && SUFFIX_LETTERS.includes(text[pos]!)) pos++;
  if (text[pos] === '-' || text[pos] === '+') pos++;
  while (isDigit(text[pos])) pos++;
  if (pos < text.length) return null;
  return { negative, num, denom, suffix: text.slice(suffixStart) };
}

/** Base, exponent and format a suffix stands for; null when it is none of the three families. */
function interpret(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } | null {
  if (Object.hasOwn(DECIMAL_SI, suffix)) return { base: 10, exponent: DECIMAL_SI[suffix]!, format: 'DecimalSI' };
  if (Object.hasOwn(BINARY_SI, suffix)) return { base: 2, exponent: BINARY_SI[suffix]!, format: 'BinarySI' };
  const e = /^[eE]([+-]?\d+)$/.exec(suffix);
  if (!e) return null;
  const exponent = Number(e[1]);
  if (!(Math.abs(exponent) <= MAX_EXPONENT)) return null;
  return { base: 10, exponent, format: 'DecimalExponent' };
}

const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/** Rounds digits × 10^exp10 away from zero to whole nano units (upstream never keeps less than 1n). */
function roundUpToNano(digits: bigint, exp10: number): { digits: bigint; exp10: number } {
  if (exp10 >= NANO || digits === 0n) return { digits, exp10 };
  const sign = digits < 0n ? -1n : 1n;
  const magnitude = abs(digits);
  const drop = NANO - exp10;
  // Dropping more places than there are digits leaves only the rounding unit; never build 10^drop for it.
  if (drop > magnitude.toString().length) return { digits: sign, exp10: NANO };
  const unit = 10n ** BigInt(drop);
  const q = magnitude / unit;
  return { digits: sign * (magnitude % unit === 0n ? q : q + 1n), exp10: NANO };
}

/** Parses a quantity string exactly as apimachinery's ParseQuantity does; null when upstream would refuse it. */
export function parseExactQuantity(input: string): ExactQuantity | null {
  if (input === '') return null;
  if (input === '0') return { digits: 0n, exp10: 0, format: 'DecimalSI', remembered: '0' };
  const s = scan(input);
  if (!s) return null;
  const suffix = interpret(s.suffix);
  if (!suffix) return null;
  const { base, exponent } = suffix;
  let format = suffix.format;
  const shifted = s.num + s.denom;
  const unsigned = base === 10 ? BigInt(shifted) : BigInt(shifted) << BigInt(exponent);
  const digits = s.negative ? -unsigned : unsigned;
  const exp10 = (base === 10 ? exponent : 0) - s.denom.length;

  // Upstream's int64 fast path: it decides whether the input text is kept, and refuses a 19-digit overflow.
  const precision = base === 10
    ? MAX_INT64_DIGITS - shifted.length
    : s.denom.length === 0 ? 15 - s.num.length - Math.trunc((exponent * 3) / 10) - 1 : -1;
  if (precision >= 0 && exp10 >= NANO) {
    const value = BigInt(shifted);
    if (value > MAX_INT64) return null; // "unable to parse numeric part of quantity"
    if (unsigned <= MAX_INT64) {
      const keep = base === 2
        ? (value & 7n) !== 0n
        : exp10 % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
      return keep ? { digits, exp10, format, remembered: input } : { digits, exp10, format };
    }
  }

  let exact = roundUpToNano(digits, exp10);
  if (format === 'BinarySI') {
    // Binary quantities are capped at the largest int64; below one they are shown as decimal.
    if (abs(exact.digits) > MAX_INT64 * 10n ** BigInt(-exact.exp10)) exact = { digits: digits < 0n ? -MAX_INT64 : MAX_INT64, exp10: 0 };
    if (exact.digits !== 0n && compareExact(abs(exact.digits), exact.exp10, 1n, 0) < 0) format = 'DecimalSI';
  }
  return { ...exact, format };
}

/** digits × 10^exp10 with trailing zeros moved into the exponent, then the exponent lowered to a multiple of 3. */
function decimalMantissa(digits: bigint, exp10: number): { mantissa: bigint; exponent: number } {
  let mantissa = digits;
  let exponent = exp10;
  while (mantissa % 10n === 0n) { mantissa /= 10n; exponent++; }
  const r = ((exponent % 3) + 3) % 3;
  return { mantissa: mantissa * 10n ** BigInt(r), exponent: exponent - r };
}

const exponentSuffix = (exponent: number): string => (exponent === 0 ? '' : `e${exponent}`);

/** The canonical text of a quantity: upstream's CanonicalizeBytes (no fraction, the largest suffix, its family kept). */
export function formatExactQuantity(q: ExactQuantity): string {
  if (q.digits === 0n) return '0';
  let format = q.format;
  let integer: bigint | null = null;
  if (format === 'BinarySI') {
    // Small or fractional binary values print as decimal, so nothing is rounded away.
    if (compareExact(abs(q.digits), q.exp10, 1024n, 0) < 0) format = 'DecimalSI';
    else {
      integer = integerValue(q.digits, q.exp10);
      if (integer === null) format = 'DecimalSI';
    }
  }
  if (format === 'BinarySI' && integer !== null) {
    let mantissa = abs(integer);
    let times = 0;
    while (mantissa >= 1024n && mantissa % 1024n === 0n) { mantissa /= 1024n; times++; }
    const suffix = times === 0 ? '' : BINARY_SUFFIX.get(times);
    const sign = integer < 0n ? '-' : '';
    // Past "Ei" there is no binary suffix: the exact decimal exponent form keeps the magnitude.
    if (suffix === undefined) return formatDecimal(q.digits, q.exp10, 'DecimalExponent');
    return `${sign}${mantissa}${suffix}`;
  }
  return formatDecimal(q.digits, q.exp10, format);
}

function formatDecimal(digits: bigint, exp10: number, format: QuantityFormat): string {
  const { mantissa, exponent } = decimalMantissa(digits, exp10);
  // DecimalSI has no suffix past "E" or below "n": those fall back to the exponent form.
  const suffix = format === 'DecimalSI' ? DECIMAL_SUFFIX.get(exponent) ?? exponentSuffix(exponent) : exponentSuffix(exponent);
  return `${mantissa}${suffix}`;
}

/** The value as an integer, or null when it has a fractional part. */
function integerValue(digits: bigint, exp10: number): bigint | null {
  if (exp10 >= 0) return digits * 10n ** BigInt(exp10);
  const unit = 10n ** BigInt(-exp10);
  return digits % unit === 0n ? digits / unit : null;
}

/** Compares a × 10^ea with b × 10^eb exactly, without building powers of ten for far-apart exponents. */
function compareExact(a: bigint, ea: number, b: bigint, eb: number): -1 | 0 | 1 {
  const sa = a === 0n ? 0 : a < 0n ? -1 : 1;
  const sb = b === 0n ? 0 : b < 0n ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  // Same sign: compare magnitudes by order first (digit count + exponent), aligning only when they are close.
  const oa = abs(a).toString().length + ea;
  const ob = abs(b).toString().length + eb;
  if (oa !== ob) return ((oa > ob ? 1 : -1) * sa) as -1 | 1;
  const lo = Math.min(ea, eb);
  const x = a * 10n ** BigInt(ea - lo);
  const y = b * 10n ** BigInt(eb - lo);
  return x === y ? 0 : x > y ? 1 : -1;
}

/** Upstream's Quantity.Cmp: -1, 0 or 1. */
export function compareQuantities(a: ExactQuantity, b: ExactQuantity): -1 | 0 | 1 {
  return compareExact(a.digits, a.exp10, b.digits, b.exp10);
}

/** A quantity as the API receives it (a JSON string, or a number) parsed exactly; null when it is not a quantity. */
export function toExactQuantity(v: unknown): ExactQuantity | null {
  // Quantity's JSON decoder trims surrounding space; a JSON number has lost its literal, so JS's own text stands in.
  if (typeof v === 'number') return Number.isFinite(v) ? parseExactQuantity(String(v)) : null;
  return typeof v === 'string' ? parseExactQuantity(v.trim()) : null;
}

/** What upstream's Quantity.String() prints for a parsed quantity: the kept input text, else the canonical form. */
export function printQuantity(q: ExactQuantity): string {
  return q.remembered ?? formatExactQuantity(q);
}

/** What upstream's Quantity.String() prints for this value; null when it is not a quantity. */
export function quantityString(v: unknown): string | null {
  const q = toExactQuantity(v);
  return q === null ? null : printQuantity(q);
}

/** The canonical form of a quantity ("2000m" → "2", "1024Mi" → "1Gi"); null when it is not a quantity. */
export function canonicalQuantity(v: unknown): string | null {
  const q = toExactQuantity(v);
  return q === null ? null : formatExactQuantity(q);
}
