import { describe, expect, test } from 'vitest';
import { parseQuantity, validateResourceRequirements } from '../../../../src/control/api/validation/quantities.js';

describe('quantities', () => {
  test('parse decimal, binary and exponent forms', () => {
    expect(parseQuantity('500m')).toBeCloseTo(0.5);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('2k')).toBe(2000);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('128974848')).toBe(128974848);
    expect(parseQuantity('1.5Mi')).toBe(1.5 * 2 ** 20);
    expect(parseQuantity('12 apples')).toBeNull();
    expect(parseQuantity('1Qi')).toBeNull();
  });

  test('requests above limits are invalid at resources.requests', () => {
    const errs = validateResourceRequirements({ limits: { cpu: '1' }, requests: { cpu: '2' } }, 'spec.containers[0].resources');
    expect(errs).toEqual([{ type: 'FieldValueInvalid', field: 'spec.containers[0].resources.requests', message: 'Invalid value: "2": must be less than or equal to cpu limit of 1' }]);
  });

  test('negative, malformed and unknown resources', () => {
    const errs = validateResourceRequirements({ requests: { memory: '-1', cpu: 'lots', gpu: '1' } }, 'r');
    expect(errs.map((e) => e.field)).toEqual(['r.requests[memory]', 'r.requests[cpu]', 'r.requests[gpu]']);
    expect(errs[2]!.message).toBe('Invalid value: "gpu": must be a standard resource for containers');
    expect(validateResourceRequirements({ limits: { 'example.com/gpu': '1' }, requests: { 'example.com/gpu': '1' } }, 'r')).toEqual([]);
  });
});
