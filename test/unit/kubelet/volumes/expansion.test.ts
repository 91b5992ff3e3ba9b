import { describe, expect, it } from 'vitest';
import { expand, expandCommandAndArgs, expandSubPathExpr, mappingFuncFor } from '../../../../src/dataplane/kubelet/volumes/expansion.js';

const ctx = new Map([
  ['VAR_A', 'A'],
  ['VAR_B', 'B'],
  ['VAR_C', 'C'],
  ['VAR_REF', '$(VAR_A)'],
  ['VAR_EMPTY', ''],
]);
const mapping = mappingFuncFor(ctx, new Map([['SVC', 'svc'], ['VAR_A', 'shadowed']]));

describe('expand ($(VAR) as the kubelet does it)', () => {
  it.each([
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_A)', 'A-A'],
    ['$(VAR_A)$(VAR_B)$(VAR_C)', 'ABC'],
    ['$(VAR_REF)', '$(VAR_A)'], // no second pass
    ['$(VAR_EMPTY)', ''],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$(SVC)', 'svc'], // later context
    ['$$(VAR_B)_$(VAR_A)', '$(VAR_B)_A'],
    ['$$$$$$(BIG_MONEY)', '$$$(BIG_MONEY)'],
    ['$$$$$$$(VAR_A)', '$$$A'],
    ['f000-$$VAR_A', 'f000-$VAR_A'],
    ['foo\\$(VAR_A)bar', 'foo\\Abar'],
    ['$VAR_A', '$VAR_A'],
    ['$(VAR_A', '$(VAR_A'],
    ['$(VAR_A$(VAR_B)', '$(VAR_A$(VAR_B)'],
    ['$()', '$()'],
    ['$', '$'],
    ['abc$', 'abc$'],
    ['$(VAR_A)$', 'A$'],
    ['', ''],
  ])('%s → %s', (input, want) => {
    expect(expand(input, mapping)).toBe(want);
  });

  it('expands command and args against the container env only', () => {
    const r = expandCommandAndArgs(['sh', '-c', 'echo $(MSG)'], ['$(MSG)', '$$(MSG)', '$(NOPE)'], new Map([['MSG', 'hi']]));
    expect(r).toEqual({ command: ['sh', '-c', 'echo hi'], args: ['hi', '$(MSG)', '$(NOPE)'] });
    expect(expandCommandAndArgs(undefined, undefined, new Map())).toEqual({ command: [], args: [] });
  });

  it('subPathExpr: missing or empty variables are an error naming them, sorted', () => {
    const env = new Map([['POD_NAME', 'web-0'], ['EMPTY', '']]);
    expect(expandSubPathExpr('logs/$(POD_NAME)', env)).toBe('logs/web-0');
    expect(() => expandSubPathExpr('$(ZED)/$(EMPTY)/$(POD_NAME)/$(ALPHA)', env)).toThrow('missing value for ALPHA, EMPTY, ZED');
  });
});
