import { describe, expect, it } from 'vitest';
import { managerFromUserAgent, managerOf, validatePatchOptions } from '../../../../../src/control/api/patch/apply/index.js';

describe('patch options', () => {
  it('requires fieldManager for apply and refuses force elsewhere', () => {
    expect(validatePatchOptions(true, undefined, undefined)).toEqual([
      { type: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' },
    ]);
    expect(validatePatchOptions(false, undefined, true)).toEqual([
      { type: 'FieldValueForbidden', field: 'force', message: 'Forbidden: may not be specified for non-apply patch' },
    ]);
    expect(validatePatchOptions(true, 'kubectl', true)).toEqual([]);
    expect(validatePatchOptions(true, 'x'.repeat(129), false).map((e) => e.type)).toEqual(['FieldValueTooLong']);
    expect(validatePatchOptions(true, 'bad\u0007name', false)[0]!.message).toBe('Invalid value: "bad\\aname": invalid character U+0007 (at position 3)');
  });

  it('derives the default manager from the User-Agent as upstream does', () => {
    expect(managerFromUserAgent('kubectl/v1.32.0 (linux/amd64) kubernetes/abcdef')).toBe('kubectl');
    expect(managerFromUserAgent('kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/x/system:serviceaccount')).toBe('kube-controller-manager');
    expect(managerFromUserAgent('we\u0001ird/1')).toBe('weird');
    expect(managerFromUserAgent('a'.repeat(200))).toHaveLength(128);
    expect(managerFromUserAgent(undefined)).toBe('');
    expect(managerOf('mine', 'kubectl/v1')).toBe('mine');
    expect(managerOf(undefined, 'kubectl/v1')).toBe('kubectl');
  });
});
