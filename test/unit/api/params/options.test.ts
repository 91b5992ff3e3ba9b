/**
 * Request options as apimachinery decodes and validates them: every accepted spelling of a bool, Go's integer
 * errors, and each refused combination with upstream's Status (code, reason, message, causes).
 */
import { describe, expect, test } from 'vitest';
import { goQuote, parseInt64, parseQueryBool, queryBool, queryInt64 } from '../../../../src/control/api/params/convert.js';
import {
  deleteOptions, getOptions, listOptions, parseGoBool, patchOptions, prettyPrint, tableOptions, writeOptions,
} from '../../../../src/control/api/params/options.js';
import { ApiError, type Status } from '../../../../src/control/api/status.js';

/** The Status a call fails with. */
function statusOf(f: () => unknown): Status {
  try {
    f();
  } catch (err) {
    if (err instanceof ApiError) return err.toStatus();
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('query conversion (runtime/conversion.go)', () => {
  test('a bool is false only for "0" and "false" in any case; every other value, even empty, is true', () => {
    for (const v of ['0', 'false', 'False', 'FALSE', 'fAlSe']) expect(parseQueryBool(v), v).toBe(false);
    for (const v of ['1', 'true', 'True', 'TRUE', 't', 'T', 'yes', '', 'anything']) expect(parseQueryBool(v), v).toBe(true);
    expect(queryBool({}, 'watch')).toBeUndefined();
    expect(queryBool({ watch: 'True' }, 'watch')).toBe(true);
    // The first of repeated values wins.
    expect(queryBool({ watch: ['false', 'true'] }, 'watch')).toBe(false);
  });

  test('integers are strconv.ParseInt(s, 10, 64); failures are 400 with Go\'s text', () => {
    expect(parseInt64('42')).toBe(42);
    expect(parseInt64('+7')).toBe(7);
    expect(parseInt64('-3')).toBe(-3);
    expect(parseInt64('9223372036854775807')).toBe(9223372036854775807);
    expect(queryInt64({}, 'limit')).toBeUndefined();
    for (const [v, why] of [['abc', 'invalid syntax'], ['', 'invalid syntax'], ['1.5', 'invalid syntax'], [' 1', 'invalid syntax'], ['0x10', 'invalid syntax'], ['9223372036854775808', 'value out of range']]) {
      const s = statusOf(() => queryInt64({ limit: v! }, 'limit'));
      expect(s).toMatchObject({ code: 400, reason: 'BadRequest', message: `strconv.ParseInt: parsing ${JSON.stringify(v)}: ${why}` });
    }
  });

  test('goQuote escapes as Go does', () => {
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('\x07\n\x01é')).toBe('"\\a\\n\\x01é"');
  });

  test('strconv.ParseBool spellings (the pretty parameter)', () => {
    for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(parseGoBool(v)).toBe(true);
    for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(parseGoBool(v)).toBe(false);
    for (const v of ['yes', 'tRUE', '']) expect(parseGoBool(v)).toBeUndefined();
    expect(prettyPrint({ pretty: 'True' }, 'kubectl')).toBe(true);
    expect(prettyPrint({ pretty: 'yes' }, 'curl/8')).toBe(false);
    expect(prettyPrint({}, 'curl/8.5.0')).toBe(true);
    expect(prettyPrint({}, 'OpenAPI-Generator/22.6.0/python')).toBe(false);
  });
});

describe('ListOptions', () => {
  test('decodes every field; empty strings are unset', () => {
    expect(listOptions({
      watch: 'True', allowWatchBookmarks: '1', labelSelector: 'a=b', fieldSelector: '', resourceVersion: '5', timeoutSeconds: '30', limit: '10',
      sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan',
    })).toEqual({
      watch: true, allowWatchBookmarks: true, labelSelector: 'a=b', resourceVersion: '5', timeoutSeconds: 30, limit: 10,
      sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan',
    });
    expect(listOptions({ watch: 'false' })).toEqual({ watch: false, allowWatchBookmarks: false });
  });

  const invalid = (query: Record<string, string>, forceWatch = false) => statusOf(() => listOptions(query, forceWatch));

  test('list combinations upstream refuses (422 ListOptions)', () => {
    expect(invalid({ resourceVersionMatch: 'Exact' })).toMatchObject({
      code: 422, reason: 'Invalid',
      message: 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
      details: { group: 'meta.k8s.io', kind: 'ListOptions', causes: [{ reason: 'FieldValueForbidden', field: 'resourceVersionMatch' }] },
    });
    expect(invalid({ resourceVersion: '1', resourceVersionMatch: 'Exact', continue: 'x' }).message)
      .toBe('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided');
    expect(invalid({ resourceVersion: '0', resourceVersionMatch: 'foo' }).message)
      .toBe('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "foo": supported values: "Exact", "NotOlderThan", ""');
    expect(invalid({ resourceVersion: '0', resourceVersionMatch: 'Exact' }).message)
      .toBe('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    expect(invalid({ sendInitialEvents: 'true' }).message)
      .toBe('ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list');
    // Several errors are listed in brackets.
    expect(invalid({ resourceVersionMatch: 'foo', sendInitialEvents: 'false' }).message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, '
      + 'resourceVersionMatch: Unsupported value: "foo": supported values: "Exact", "NotOlderThan", "", '
      + 'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list]',
    );
  });

  test('list combinations upstream accepts', () => {
    expect(() => listOptions({ resourceVersion: '1', resourceVersionMatch: 'Exact' })).not.toThrow();
    expect(() => listOptions({ resourceVersion: '0', resourceVersionMatch: 'NotOlderThan' })).not.toThrow();
  });

  test('watch combinations upstream refuses', () => {
    expect(invalid({ watch: '1', resourceVersionMatch: 'NotOlderThan' }).message)
      .toBe('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
    expect(invalid({ watch: 'true', sendInitialEvents: 'true' }).message)
      .toBe('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    expect(invalid({ watch: 'true', sendInitialEvents: 'false' }).message)
      .toBe('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    expect(invalid({ watch: 'true', sendInitialEvents: 'true', resourceVersionMatch: 'Exact', allowWatchBookmarks: 'true' }).message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, '
      + 'resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]',
    );
    expect(invalid({ sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan', continue: '123' }, true).message)
      .toBe('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided');
  });

  test('watch combinations upstream accepts (allowWatchBookmarks is not required with sendInitialEvents)', () => {
    expect(() => listOptions({ watch: 'true' })).not.toThrow();
    expect(() => listOptions({ watch: 'true', sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan' })).not.toThrow();
    expect(() => listOptions({ watch: 'true', sendInitialEvents: 'false', resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: 'true' })).not.toThrow();
    // A watch ignores list-only checks: resourceVersionMatch is judged by the watch rules.
    expect(() => listOptions({ sendInitialEvents: 'True', resourceVersionMatch: 'NotOlderThan' }, true)).not.toThrow();
  });

  test('bad integers are 400 before any validation', () => {
    expect(statusOf(() => listOptions({ watch: 'true', timeoutSeconds: '10s' }))).toMatchObject({
      code: 400, reason: 'BadRequest', message: 'strconv.ParseInt: parsing "10s": invalid syntax',
    });
  });
});

test('GetOptions reads resourceVersion; export=true is refused', () => {
  expect(getOptions({ resourceVersion: '7', watch: 'true' })).toEqual({ resourceVersion: '7' });
  expect(getOptions({ resourceVersion: '' })).toEqual({});
  expect(getOptions({ export: 'false' })).toEqual({});
  expect(statusOf(() => getOptions({ export: 'True' }))).toMatchObject({
    code: 400, reason: 'BadRequest', message: 'the export parameter, deprecated since v1.14, is no longer supported',
  });
});

describe('Create, Update and Patch options', () => {
  test('defaults and accepted values', () => {
    expect(writeOptions({}, 'CreateOptions')).toEqual({ dryRun: false, fieldValidation: 'Warn' });
    expect(writeOptions({ dryRun: ['All', 'All'], fieldManager: 'me', fieldValidation: 'Strict' }, 'UpdateOptions'))
      .toEqual({ dryRun: true, fieldManager: 'me', fieldValidation: 'Strict' });
    expect(patchOptions({ fieldManager: 'x', force: 'True' }, true)).toEqual({ dryRun: false, fieldManager: 'x', fieldValidation: 'Warn', force: true });
  });

  test('dryRun, fieldValidation and fieldManager refused as upstream (422 on the options kind)', () => {
    expect(statusOf(() => writeOptions({ dryRun: 'true' }, 'CreateOptions'))).toMatchObject({
      code: 422, reason: 'Invalid',
      message: 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"true"}: supported values: "All"',
      details: { kind: 'CreateOptions', group: 'meta.k8s.io', causes: [{ reason: 'FieldValueNotSupported', field: 'dryRun' }] },
    });
    expect(statusOf(() => writeOptions({ fieldValidation: 'strict' }, 'UpdateOptions')).message)
      .toBe('UpdateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"');
    expect(statusOf(() => writeOptions({ fieldManager: 'x'.repeat(129) }, 'CreateOptions')).message)
      .toBe('CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes');
  });

  test('PatchOptions: force only for apply, apply needs a fieldManager', () => {
    expect(statusOf(() => patchOptions({ force: 'false' }, false)).message)
      .toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    expect(statusOf(() => patchOptions({}, true)).message)
      .toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    expect(statusOf(() => patchOptions({ dryRun: 'Everything' }, false)).message)
      .toBe('PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Everything"}: supported values: "All"');
  });
});

describe('DeleteOptions', () => {
  test('from the query when there is no body: bools and integers as the codec converts them', () => {
    expect(deleteOptions({ gracePeriodSeconds: '0', propagationPolicy: 'Foreground', dryRun: 'All' }, undefined))
      .toEqual({ gracePeriodSeconds: 0, propagationPolicy: 'Foreground', dryRun: ['All'] });
    expect(deleteOptions({ orphanDependents: 'False' }, undefined)).toEqual({ orphanDependents: false });
    expect(statusOf(() => deleteOptions({ gracePeriodSeconds: 'soon' }, undefined))).toMatchObject({
      code: 400, reason: 'BadRequest', message: 'strconv.ParseInt: parsing "soon": invalid syntax',
    });
  });

  test('a body wins over the query, which is then not read', () => {
    expect(deleteOptions({ propagationPolicy: 'Orphan', gracePeriodSeconds: 'x' }, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' }))
      .toMatchObject({ propagationPolicy: 'Background' });
  });

  test('validation as ValidateDeleteOptions', () => {
    expect(statusOf(() => deleteOptions({ propagationPolicy: 'Foreground', orphanDependents: 'true' }, undefined))).toMatchObject({
      code: 422, reason: 'Invalid',
      message: 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Foreground": orphanDependents and deletionPropagation cannot be both set',
    });
    expect(statusOf(() => deleteOptions({}, { propagationPolicy: 'Later' })).message)
      .toBe('DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Later": supported values: "Foreground", "Background", "Orphan", "nil"');
    expect(statusOf(() => deleteOptions({}, { dryRun: ['Some'] })).message)
      .toBe('DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: supported values: "All"');
  });

  test('a body of the wrong kind or with mistyped fields is 400', () => {
    expect(statusOf(() => deleteOptions({}, { kind: 'Pod' })).message).toBe('the kind in the data (Pod) does not match the expected kind (DeleteOptions)');
    expect(statusOf(() => deleteOptions({}, { gracePeriodSeconds: '5' })).message)
      .toBe('json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64');
  });
});

test('TableOptions: includeObject defaults to Metadata; a bad value is 400 as the Table transform answers', () => {
  expect(tableOptions({})).toEqual({ includeObject: 'Metadata' });
  expect(tableOptions({ includeObject: 'Object' })).toEqual({ includeObject: 'Object' });
  expect(statusOf(() => tableOptions({ includeObject: 'All' }))).toMatchObject({
    code: 400, reason: 'BadRequest',
    message: 'Unable to convert to Table as requested: includeObject: Invalid value: "All": must be \'Metadata\', \'Object\', \'None\', or empty',
  });
});
