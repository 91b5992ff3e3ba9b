import { describe, expect, test } from 'vitest';
import {
  canonicalQuantity, compareQuantities, formatExactQuantity, parseExactQuantity, quantityString,
} from '../../../../src/control/api/validation/quantity-canonical.js';

// [input, canonical form (CanonicalizeBytes), format the suffix chose]; cases restated from apimachinery's
// TestQuantityParse, TestQuantityString and TestQuantityParseEmit behaviour.
const CANONICAL: [string, string, string][] = [
  // DecimalSI: fractions become milli/micro/nano, the largest suffix without a fraction wins.
  ['2000m', '2', 'DecimalSI'],
  ['0.5', '500m', 'DecimalSI'],
  ['1.5', '1500m', 'DecimalSI'],
  ['100M', '100M', 'DecimalSI'],
  ['1000M', '1G', 'DecimalSI'],
  ['1000000k', '1G', 'DecimalSI'],
  ['1.08', '1080m', 'DecimalSI'],
  ['1.5k', '1500', 'DecimalSI'],
  ['50k', '50k', 'DecimalSI'],
  ['0.001T', '1G', 'DecimalSI'],
  ['1000u', '1m', 'DecimalSI'],
  ['0.0005k', '500m', 'DecimalSI'],
  ['6.987654321G', '6987654321', 'DecimalSI'],
  ['2.5P', '2500T', 'DecimalSI'],
  ['12E', '12E', 'DecimalSI'],
  ['1.', '1', 'DecimalSI'],
  ['1.G', '1G', 'DecimalSI'],
  // DecimalSI has no suffix past "E": the exponent form keeps the magnitude (upstream's fix for "1000E" → "1").
  ['1000E', '1e21', 'DecimalSI'],
  ['5000000E', '5e24', 'DecimalSI'],
  // BinarySI: whole multiples of 1024 take the largest binary suffix; small or fractional values print decimal.
  ['1024Mi', '1Gi', 'BinarySI'],
  ['1.5Gi', '1536Mi', 'BinarySI'],
  ['0.5Mi', '512Ki', 'BinarySI'],
  ['300Mi', '300Mi', 'BinarySI'],
  ['307200Ki', '300Mi', 'BinarySI'],
  ['2000Ki', '2000Ki', 'BinarySI'],
  ['1Ei', '1Ei', 'BinarySI'],
  ['.001Ki', '1024m', 'BinarySI'],
  ['100.035Ki', '102435840m', 'BinarySI'],
  // Binary quantities cap at the largest int64.
  ['9Ei', '9223372036854775807', 'BinarySI'],
  ['9223372036854775807Ki', '9223372036854775807', 'BinarySI'],
  // DecimalExponent: the exponent stays, lowered to a multiple of three.
  ['1e3', '1e3', 'DecimalExponent'],
  ['1E6', '1e6', 'DecimalExponent'],
  ['1.2e3', '1200', 'DecimalExponent'],
  ['1e14', '100e12', 'DecimalExponent'],
  ['1.53E12', '1530e9', 'DecimalExponent'],
  ['0.5e-1', '50e-3', 'DecimalExponent'],
  ['1E-3', '1e-3', 'DecimalExponent'],
  ['1e+3', '1e3', 'DecimalExponent'],
  // Below one nano the value rounds up (away from zero) to whole nanos.
  ['3.001n', '4n', 'DecimalSI'],
  ['0.0000000001', '1n', 'DecimalSI'],
  ['0.00000012345', '124n', 'DecimalSI'],
  ['0.9n', '1n', 'DecimalSI'],
  ['1.1E-9', '2e-9', 'DecimalExponent'],
  ['.000000000001Ki', '2n', 'DecimalSI'],
  ['0.1m', '100u', 'DecimalSI'],
  // Zero never keeps a suffix or a sign.
  ['0', '0', 'DecimalSI'],
  ['0m', '0', 'DecimalSI'],
  ['0Gi', '0', 'BinarySI'],
  ['-0', '0', 'DecimalSI'],
  ['0e3', '0', 'DecimalExponent'],
  ['.', '0', 'DecimalSI'],
  // Negative values canonicalise as their magnitude does, with a sign.
  ['-2000m', '-2', 'DecimalSI'],
  ['-1024Mi', '-1Gi', 'BinarySI'],
  ['-9.01', '-9010m', 'DecimalSI'],
  ['-1e3', '-1e3', 'DecimalExponent'],
  ['-0.0000000001', '-1n', 'DecimalSI'],
  ['-.001Ki', '-1024m', 'BinarySI'],
];

describe('canonical quantity form', () => {
  test.each(CANONICAL)('%s canonicalises to %s (%s)', (input, expected, format) => {
    const q = parseExactQuantity(input);
    expect(q).not.toBeNull();
    expect(q!.format).toBe(format);
    expect(formatExactQuantity(q!)).toBe(expected);
    expect(canonicalQuantity(input)).toBe(expected);
  });

  test('the canonical form parses back to the same value and prints itself', () => {
    for (const [input, expected] of CANONICAL) {
      const back = parseExactQuantity(expected)!;
      expect(compareQuantities(back, parseExactQuantity(input)!), input).toBe(0);
      expect(quantityString(expected), input).toBe(expected);
    }
  });
});

describe('Quantity.String()', () => {
  test('prints the canonical form when the input is not canonical', () => {
    expect(quantityString('2000m')).toBe('2');
    expect(quantityString('1024Mi')).toBe('1Gi');
    expect(quantityString('0.5')).toBe('500m');
    expect(quantityString('8Ki')).toBe('8Ki');
  });

  test('hands back the input text upstream keeps because it already looks canonical', () => {
    // The int64 fast path remembers the text: no trailing "000", a suffix on a multiple of three, no leading 0.
    expect(quantityString('1E3')).toBe('1E3');
    expect(quantityString('1e+3')).toBe('1e+3');
    expect(quantityString('+1')).toBe('+1');
    expect(quantityString('1.500k')).toBe('1.500k');
    expect(quantityString('010')).toBe('010');
    expect(quantityString('+100Ki')).toBe('+100Ki');
    // … and not when a trailing "000", a leading zero, a binary multiple of eight or a fraction rules it out.
    expect(quantityString('+1000')).toBe('1k');
    expect(quantityString('+0.5')).toBe('500m');
    expect(quantityString('+1024Ki')).toBe('1Mi');
    expect(quantityString('+1.5Ki')).toBe('1536');
  });

  test('JSON numbers and surrounding space are read as the decoder reads them', () => {
    expect(quantityString(0.5)).toBe('500m');
    expect(quantityString(2)).toBe('2');
    expect(quantityString(-1)).toBe('-1');
    expect(quantityString(' 100m ')).toBe('100m');
    expect(quantityString(Number.NaN)).toBeNull();
    expect(quantityString(true)).toBeNull();
    expect(quantityString(null)).toBeNull();
  });
});

describe('what upstream refuses', () => {
  test.each([
    '', 'aoeu', '1.1.M', '1+1.0M', '0.1mi', '0.1am', '.5i', '1i', '-3.01e-', '1 2', '1Qi', '1e', 'ki',
    // 19 digits past int64 fail the fast path's integer parse ("unable to parse numeric part of quantity").
    '9999999999999999999',
    // exponents outside int32 are refused, not wrapped.
    '1e4294967297', '1E-2147483648',
  ])('%j is not a quantity', (input) => {
    expect(parseExactQuantity(input)).toBeNull();
    expect(quantityString(input)).toBeNull();
  });

  test('extreme exponents within int32 stay exact and never build huge numbers', () => {
    expect(canonicalQuantity('1e2147483647')).toBe('10e2147483646');
    expect(canonicalQuantity('1e-2147483647')).toBe('1e-9');
    expect(canonicalQuantity('99999999999999999999')).toBe('99999999999999999999');
  });
});

describe('compareQuantities', () => {
  const cmp = (a: string, b: string) => compareQuantities(parseExactQuantity(a)!, parseExactQuantity(b)!);
  test('is exact across suffix families and far-apart exponents', () => {
    expect(cmp('100m', '50m')).toBe(1);
    expect(cmp('50m', '100m')).toBe(-1);
    expect(cmp('1Gi', '1024Mi')).toBe(0);
    expect(cmp('10000T', '100Gi')).toBe(1);
    expect(cmp('1.0000000001', '1')).toBe(1);
    expect(cmp('1e-2147483647', '1n')).toBe(0);
    expect(cmp('1e2147483647', '9Ei')).toBe(1);
    expect(cmp('-1', '0')).toBe(-1);
    expect(cmp('-2', '-1')).toBe(-1);
    expect(cmp('0', '-0')).toBe(0);
  });
});
