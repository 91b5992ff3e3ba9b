import { describe, expect, it } from 'vitest';
import {
  applyMergePatch, applyPatch, PatchError, patchType, supportedPatchTypes,
} from '../../../../src/control/api/patch/index.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';

const JSONP = 'application/json-patch+json';
const MERGE = 'application/merge-patch+json';
const DEF = 'io.k8s.api.core.v1.ConfigMap';

const cm = (data: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });

function patchError(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PatchError) return e;
    throw e;
  }
  throw new Error('expected a PatchError');
}

describe('JSON patch (RFC 6902)', () => {
  it('applies add, remove, replace, move, copy and test in order', () => {
    const original = cm({ a: '1', b: '2' });
    const out = applyPatch(JSONP, original, [
      { op: 'test', path: '/data/a', value: '1' },
      { op: 'add', path: '/data/c', value: '3' },
      { op: 'remove', path: '/data/b' },
      { op: 'replace', path: '/data/a', value: '10' },
      { op: 'copy', from: '/data/a', path: '/data/d' },
      { op: 'move', from: '/data/c', path: '/data/e' },
    ], DEF);
    expect(out.data).toEqual({ a: '10', d: '10', e: '3' });
    expect(original.data).toEqual({ a: '1', b: '2' });
  });

  it('inserts into arrays by index and appends with "-"', () => {
    const out = applyPatch(JSONP, { metadata: { finalizers: ['a', 'c'] } }, [
      { op: 'add', path: '/metadata/finalizers/1', value: 'b' },
      { op: 'add', path: '/metadata/finalizers/-', value: 'd' },
      { op: 'remove', path: '/metadata/finalizers/0' },
    ], DEF);
    expect(out.metadata!.finalizers).toEqual(['b', 'c', 'd']);
  });

  it('unescapes ~1 and ~0 in pointers', () => {
    const out = applyPatch(JSONP, { metadata: { annotations: { 'a/b': 'x', 'c~d': 'y' } } }, [
      { op: 'replace', path: '/metadata/annotations/a~1b', value: 'X' },
      { op: 'remove', path: '/metadata/annotations/c~0d' },
      { op: 'add', path: '/metadata/annotations/example.com~1e~0f', value: 'z' },
    ], DEF);
    expect(out.metadata!.annotations).toEqual({ 'a/b': 'X', 'example.com/e~f': 'z' });
  });

  it('a failed test aborts the whole patch with 422', () => {
    const original = cm({ a: '1' });
    const err = patchError(() => applyPatch(JSONP, original, [
      { op: 'replace', path: '/data/a', value: '2' },
      { op: 'test', path: '/data/a', value: '1' },
    ], DEF));
    expect(err.code).toBe(422);
    expect(err.message).toBe('testing value /data/a failed: test failed');
    expect(original.data).toEqual({ a: '1' });
  });

  it('test compares structurally', () => {
    const out = applyPatch(JSONP, { spec: { x: { b: [1, 2], a: null } } }, [
      { op: 'test', path: '/spec/x', value: { a: null, b: [1, 2] } },
    ], DEF);
    expect(out.spec).toEqual({ x: { b: [1, 2], a: null } });
    expect(() => applyPatch(JSONP, { spec: { x: [1, 2] } }, [{ op: 'test', path: '/spec/x', value: [2, 1] }], DEF))
      .toThrow('test failed');
  });

  it('missing paths are 422, malformed operations are 400', () => {
    expect(patchError(() => applyPatch(JSONP, cm({}), [{ op: 'remove', path: '/data/nope' }], DEF)).code).toBe(422);
    expect(patchError(() => applyPatch(JSONP, cm({}), [{ op: 'replace', path: '/nope/x', value: 1 }], DEF)).code).toBe(422);
    expect(patchError(() => applyPatch(JSONP, cm({}), [{ op: 'jump', path: '/a' }], DEF)).code).toBe(400);
    expect(patchError(() => applyPatch(JSONP, cm({}), [{ op: 'add', path: '/a' }], DEF)).code).toBe(400);
    expect(patchError(() => applyPatch(JSONP, cm({}), { op: 'add' }, DEF)).code).toBe(400);
    expect(patchError(() => applyPatch(JSONP, cm({}), [{ op: 'move', from: '/data', path: '/data/x' }], DEF)).code)
      .toBe(422);
  });

  it('the result shares nothing with the patch values', () => {
    const value = { k: 'v' };
    const out = applyPatch(JSONP, cm({}), [{ op: 'add', path: '/data/x', value }], DEF);
    (out.data as Record<string, Record<string, string>>).x!.k = 'changed';
    expect(value.k).toBe('v');
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  // The examples of RFC 7386 appendix A, as target / patch / result triples.
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)('%j + %j', (target, patch, result) => {
    expect(applyMergePatch(target, patch)).toEqual(result);
  });

  it('applies to objects through applyPatch and leaves the original alone', () => {
    const original = cm({ a: '1', b: '2' });
    const out = applyPatch(MERGE, original, { data: { a: null, c: '3' }, metadata: { labels: { x: 'y' } } }, DEF);
    expect(out).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { x: 'y' } }, data: { b: '2', c: '3' } });
    expect(original.data).toEqual({ a: '1', b: '2' });
    (out.metadata as Record<string, unknown>).name = 'changed';
    expect(original.metadata!.name).toBe('c');
  });

  it('replaces lists wholesale, unlike strategic merge', () => {
    const original: KubeObject = { spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
    const out = applyPatch(MERGE, original, { spec: { containers: [{ name: 'c' }] } }, 'io.k8s.api.core.v1.Pod');
    expect(out.spec).toEqual({ containers: [{ name: 'c' }] });
  });

  it('a non-object merge patch is a 400', () => {
    expect(patchError(() => applyPatch(MERGE, cm({}), ['x'], DEF)).code).toBe(400);
  });
});

describe('content types', () => {
  it('lists the three patch types and ignores parameters', () => {
    expect([...supportedPatchTypes].sort()).toEqual([
      'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json',
    ]);
    expect(patchType('application/merge-patch+json; charset=utf-8')).toBe(MERGE);
    const out = applyPatch('application/merge-patch+json; charset=utf-8', cm({}), { data: { a: '1' } }, DEF);
    expect(out.data).toEqual({ a: '1' });
  });

  it('an unknown content type is 415', () => {
    expect(patchError(() => applyPatch('text/plain', cm({}), {}, DEF)).code).toBe(415);
  });
});

describe('what a patch copies', () => {
  const SMP = 'application/strategic-merge-patch+json';
  const stored = (): KubeObject => ({
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'c', labels: { a: '1' }, managedFields: [{ manager: 'm', operation: 'Update', fieldsV1: { 'f:data': { 'f:x': {} } } }] },
    data: { x: '1' },
  });

  it('shares metadata.managedFields when the patch does not name them, and copies the rest of metadata', () => {
    for (const type of [MERGE, SMP]) {
      const original = stored();
      const out = applyPatch(type, original, { metadata: { labels: { b: '2' } }, data: { y: '2' } }, DEF);
      expect(out.metadata!.managedFields).toBe(original.metadata!.managedFields);
      expect(out.metadata!.labels).toEqual({ a: '1', b: '2' });
      expect(original.metadata!.labels).toEqual({ a: '1' });
      expect(Object.keys(out.metadata!)).toEqual(['name', 'labels', 'managedFields']);
    }
  });

  it('copies managedFields a patch names, leaving the stored ones as they were', () => {
    const original = stored();
    const before = structuredClone(original);
    const out = applyPatch(MERGE, original, { metadata: { managedFields: [{ manager: 'n' }] } }, DEF);
    expect(out.metadata!.managedFields).toEqual([{ manager: 'n' }]);
    expect(original).toEqual(before);
    const retained = applyPatch(SMP, original, { metadata: { $retainKeys: ['name'], name: 'c' } }, DEF);
    expect(retained.metadata!.managedFields).not.toBe(original.metadata!.managedFields);
    expect(original).toEqual(before);
  });
});
