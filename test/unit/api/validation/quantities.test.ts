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

  test('messages print quantities as Quantity.String() does, not as written', () => {
    const over = validateResourceRequirements({ limits: { cpu: '1000m', memory: '1024Mi' }, requests: { cpu: '1500m', memory: '2Gi' } }, 'c');
    expect(over.map((e) => e.message)).toEqual([
      'Invalid value: "1500m": must be less than or equal to cpu limit of 1',
      'Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi',
    ]);
    const unequal = validateResourceRequirements({ limits: { 'example.com/gpu': '2000m' }, requests: { 'example.com/gpu': '1' } }, 'c');
    expect(unequal).toEqual([{ type: 'FieldValueInvalid', field: 'c.requests', message: 'Invalid value: "1": must be equal to example.com/gpu limit of 2' }]);
    const negative = validateResourceRequirements({ limits: { cpu: '-2000m' }, requests: { memory: -1 } }, 'c');
    expect(negative).toEqual([
      { type: 'FieldValueInvalid', field: 'c.limits[cpu]', message: 'Invalid value: "-2": must be greater than or equal to 0' },
      { type: 'FieldValueInvalid', field: 'c.requests[memory]', message: 'Invalid value: "-1": must be greater than or equal to 0' },
    ]);
  });

  test('requests and limits compare exactly, across suffix families', () => {
    expect(validateResourceRequirements({ limits: { memory: '1Gi' }, requests: { memory: '1073741824' } }, 'c')).toEqual([]);
    expect(validateResourceRequirements({ limits: { 'example.com/gpu': '1' }, requests: { 'example.com/gpu': '1000m' } }, 'c')).toEqual([]);
    // Doubles would call these equal (both round to 2^53); Quantity.Cmp does not.
    const errs = validateResourceRequirements({ limits: { cpu: '9007199254740992' }, requests: { cpu: '9007199254740993' } }, 'c');
    expect(errs.map((e) => e.message)).toEqual(['Invalid value: "9007199254740993": must be less than or equal to cpu limit of 9007199254740992']);
    // Text upstream's parser keeps prints as written ("1.000000001"); other text prints canonically.
    const kept = validateResourceRequirements({ limits: { cpu: '1' }, requests: { cpu: '1.000000001' } }, 'c');
    expect(kept.map((e) => e.message)).toEqual(['Invalid value: "1.000000001": must be less than or equal to cpu limit of 1']);
    const canonical = validateResourceRequirements({ limits: { cpu: '1' }, requests: { cpu: '1.0000000010' } }, 'c');
    expect(canonical.map((e) => e.message)).toEqual(['Invalid value: "1000000001n": must be less than or equal to cpu limit of 1']);
  });
});
