import { describe, expect, test } from 'vitest';
import { isQualifiedName, isValidLabelValue, validateAnnotations, validateLabels } from '../../../../src/control/api/validation/labels.js';
import { selectorMatches, selectorString, validateLabelSelector, formatLabels } from '../../../../src/control/api/validation/selectors.js';

describe('label keys and values', () => {
  test('qualified names with and without prefix', () => {
    expect(isQualifiedName('app')).toEqual([]);
    expect(isQualifiedName('app.kubernetes.io/name')).toEqual([]);
    expect(isQualifiedName('/name')).toEqual(['prefix part must be non-empty']);
    expect(isQualifiedName('Bad_Prefix/name')[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain/);
    expect(isQualifiedName('a/b/c')[0]).toMatch(/^a valid label key must consist of .* with an optional DNS subdomain prefix and '\/'/);
    expect(isQualifiedName('x/')).toContain('name part must be non-empty');
  });

  test('label values may be empty but not malformed or long', () => {
    expect(isValidLabelValue('')).toEqual([]);
    expect(isValidLabelValue('v1.2_3')).toEqual([]);
    expect(isValidLabelValue('-bad')).toHaveLength(1);
    expect(isValidLabelValue('a'.repeat(64))).toContain('must be no more than 63 characters');
  });

  test('validateLabels reports at the map path, as upstream', () => {
    const errs = validateLabels({ good: 'x', 'bad key!': 'y', k: '-v' }, 'metadata.labels');
    expect(errs.map((e) => [e.field, e.type])).toEqual([
      ['metadata.labels', 'FieldValueInvalid'],
      ['metadata.labels', 'FieldValueInvalid'],
    ]);
    expect(errs[0]!.message).toMatch(/^Invalid value: "bad key!": name part must consist of/);
  });

  test('annotations: case-insensitive keys and a 256 KiB total', () => {
    expect(validateAnnotations({ 'Example.COM/Key': 'v' }, 'metadata.annotations')).toEqual([]);
    const big = validateAnnotations({ a: 'x'.repeat(256 * 1024) }, 'metadata.annotations');
    expect(big).toEqual([{ type: 'FieldValueTooLong', field: 'metadata.annotations', message: 'Too long: must have at most 262144 bytes' }]);
  });
});

describe('label selectors', () => {
  const sel = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }, { key: 'canary', operator: 'DoesNotExist' }] };

  test('matching', () => {
    expect(selectorMatches(sel, { app: 'web', tier: 'a' })).toBe(true);
    expect(selectorMatches(sel, { app: 'web', tier: 'c' })).toBe(false);
    expect(selectorMatches(sel, { app: 'web', tier: 'a', canary: '' })).toBe(false);
    expect(selectorMatches({}, { any: 'thing' })).toBe(true);
  });

  test('string form sorts requirements by key and values', () => {
    expect(selectorString(sel)).toBe('app=web,!canary,tier in (a,b)');
    expect(formatLabels({ b: '2', a: '1' })).toBe('a=1,b=2');
    expect(formatLabels({})).toBe('<none>');
  });

  test('validation of operators and values', () => {
    const errs = validateLabelSelector({ matchExpressions: [{ key: 'k', operator: 'In' }, { key: 'k', operator: 'Exists', values: ['x'] }, { key: 'k', operator: 'Near' }] }, 'spec.selector');
    expect(errs.map((e) => `${e.field} ${e.type}`)).toEqual([
      'spec.selector.matchExpressions[0].values FieldValueRequired',
      'spec.selector.matchExpressions[1].values FieldValueForbidden',
      'spec.selector.matchExpressions[2].operator FieldValueInvalid',
    ]);
  });
});
