import { describe, expect, it } from 'vitest';
import { FieldSet, pathString } from '../../../../../src/control/api/patch/apply/index.js';

describe('FieldSet', () => {
  const stored = {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:containers': {
        'k:{"name":"b"}': { '.': {}, 'f:image': {} },
        'k:{"name":"a"}': { '.': {}, 'f:ports': { 'k:{"protocol":"TCP","containerPort":80}': {} } },
      },
      'f:finalizers': { 'v:"x"': {} },
    },
  };

  it('reads fieldsV1 and writes it back canonical: keys sorted, map-list keys in name order', () => {
    const s = FieldSet.fromFieldsV1(stored);
    expect(JSON.stringify(s.toFieldsV1())).toBe(
      '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{}}},'
      + '"k:{\\"name\\":\\"b\\"}":{".":{},"f:image":{}}},"f:finalizers":{"v:\\"x\\"":{}}}}',
    );
    expect(s.has(['f:metadata', 'f:labels'])).toBe(true);
    expect(s.has(['f:metadata'])).toBe(false);
  });

  it('lists member paths in upstream\'s order and prints them as upstream does', () => {
    const s = FieldSet.fromFieldsV1(stored);
    expect(s.paths().map(pathString)).toEqual([
      '.metadata.labels', '.metadata.labels.app',
      '.spec.containers[name="a"]', '.spec.containers[name="a"].ports[containerPort=80,protocol="TCP"]',
      '.spec.containers[name="b"]', '.spec.containers[name="b"].image',
      '.spec.finalizers[="x"]',
    ]);
  });

  it('subtracts members only, or whole subtrees with recursiveDifference', () => {
    const s = FieldSet.fromPaths([['f:a'], ['f:a', 'f:b'], ['f:c']]);
    const minusA = FieldSet.fromPaths([['f:a']]);
    expect(s.difference(minusA).paths()).toEqual([['f:a', 'f:b'], ['f:c']]);
    expect(s.recursiveDifference(minusA).paths()).toEqual([['f:c']]);
    expect(s.intersection(FieldSet.fromPaths([['f:a', 'f:b'], ['f:d']])).paths()).toEqual([['f:a', 'f:b']]);
    expect(s.union(FieldSet.fromPaths([['f:d']])).paths()).toEqual([['f:a'], ['f:a', 'f:b'], ['f:c'], ['f:d']]);
  });

  it('rejects malformed documents', () => {
    expect(() => FieldSet.fromFieldsV1({ 'x:y': {} })).toThrow(/malformed/);
    expect(() => FieldSet.fromFieldsV1({ 'k:{bad': {} })).toThrow(/malformed/);
    expect(() => FieldSet.fromFieldsV1([])).toThrow();
  });

  it('reads and sorts the same elements alike every time (they are remembered), malformed ones included', () => {
    const doc = { 'f:status': { 'f:podIPs': { 'k:{"ip":"10.0.0.2"}': {}, 'k:{"ip":"10.0.0.1"}': { '.': {}, 'f:ip': {} } }, 'f:x': { 'v:2': {}, 'v:1': {} } } };
    const want = '{"f:status":{"f:podIPs":{"k:{\\"ip\\":\\"10.0.0.1\\"}":{".":{},"f:ip":{}},"k:{\\"ip\\":\\"10.0.0.2\\"}":{}},"f:x":{"v:1":{},"v:2":{}}}}';
    for (let i = 0; i < 3; i++) {
      expect(JSON.stringify(FieldSet.fromFieldsV1(doc).toFieldsV1())).toBe(want);
      expect(() => FieldSet.fromFieldsV1({ 'k:{bad': {} })).toThrow(/malformed/);
    }
  });
});
