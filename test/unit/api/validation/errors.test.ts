import { describe, expect, test } from 'vitest';
import { duplicate, formatValue, forbidden, invalid, notSupported, required, immutable } from '../../../../src/control/api/validation/errors.js';

describe('field error bodies match upstream', () => {
  test('each cause type', () => {
    expect(required('spec.containers[0].image')).toEqual({ type: 'FieldValueRequired', field: 'spec.containers[0].image', message: 'Required value' });
    expect(required('metadata.name', 'name or generateName is required').message).toBe('Required value: name or generateName is required');
    expect(invalid('spec.replicas', -1, 'must be greater than or equal to 0').message).toBe('Invalid value: -1: must be greater than or equal to 0');
    expect(notSupported('spec.restartPolicy', 'Sometimes', ['Always', 'OnFailure', 'Never']).message)
      .toBe('Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"');
    expect(duplicate('spec.containers[1].name', 'web').message).toBe('Duplicate value: "web"');
    expect(forbidden('metadata.namespace', 'not allowed on this type').message).toBe('Forbidden: not allowed on this type');
  });

  test('values print as Go would', () => {
    expect(formatValue({ b: 'y', a: 'x' })).toBe('map[string]string{"a":"x", "b":"y"}');
    expect(formatValue(['a', 'b'])).toBe('[]string{"a", "b"}');
    expect(formatValue(null)).toBe('null');
  });

  test('immutable compares structurally', () => {
    expect(immutable('spec.selector', { matchLabels: { a: '1' } }, { matchLabels: { a: '1' } })).toEqual([]);
    expect(immutable('spec.selector', { matchLabels: { a: '2' } }, { matchLabels: { a: '1' } })[0]!.message).toMatch(/: field is immutable$/);
  });
});
