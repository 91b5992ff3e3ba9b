/** The NamesAccepted decision within a group, and printer columns through the JSONPath subset. */
import { describe, expect, test } from 'vitest';
import { calculateNames, namesSettled } from '../../../../src/control/api/crd/naming.js';
import type { CustomResourceDefinition } from '../../../../src/control/api/crd/definition.js';
import { compareVersions } from '../../../../src/control/api/crd/definition.js';
import { findResults, parseJSONPath } from '../../../../src/control/api/crd/jsonpath.js';
import { printerColumns } from '../../../../src/control/api/crd/printer.js';

const crd = (name: string, group: string, names: CustomResourceDefinition['spec']['names'], accepted?: CustomResourceDefinition['spec']['names']): CustomResourceDefinition => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name },
  spec: { group, names, scope: 'Namespaced', versions: [] },
  status: { acceptedNames: accepted ?? { plural: '', kind: '' } },
});

describe('naming', () => {
  const taken = crd('foos.a.io', 'a.io', { plural: 'foos', kind: 'Foo' }, { plural: 'foos', singular: 'foo', kind: 'Foo', listKind: 'FooList', shortNames: ['f'] });

  test('fresh names are accepted; Established waits (Installing)', () => {
    const r = calculateNames(crd('bars.a.io', 'a.io', { plural: 'bars', singular: 'bar', kind: 'Bar', listKind: 'BarList', shortNames: ['b'] }), [taken]);
    expect(r.accepted).toEqual({ plural: 'bars', singular: 'bar', kind: 'Bar', listKind: 'BarList', shortNames: ['b'] });
    expect(r.namesAccepted).toEqual({ type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' });
    expect(r.established).toMatchObject({ status: 'False', reason: 'Installing', message: 'the initial names have been accepted' });
  });

  test('conflicts within the group keep the old name and say which', () => {
    const plural = calculateNames(crd('foos2.a.io', 'a.io', { plural: 'foo', singular: 'x', kind: 'X', listKind: 'XList' }), [taken]);
    expect(plural.namesAccepted).toMatchObject({ status: 'False', reason: 'PluralConflict', message: '"foo" is already in use' });
    expect(plural.accepted.plural).toBe('');
    expect(plural.established).toMatchObject({ status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' });
    const kind = calculateNames(crd('zs.a.io', 'a.io', { plural: 'zs', singular: 'z', kind: 'FooList', listKind: 'ZList' }), [taken]);
    expect(kind.namesAccepted).toMatchObject({ reason: 'KindConflict', message: '"FooList" is already in use' });
    const short = calculateNames(crd('ys.a.io', 'a.io', { plural: 'ys', singular: 'y', kind: 'Y', listKind: 'YList', shortNames: ['f', 'foo'] }), [taken]);
    expect(short.namesAccepted).toMatchObject({ reason: 'ShortNamesConflict', message: '["f" is already in use, "foo" is already in use]' });
  });

  test('other groups never conflict; settled names are detected', () => {
    const other = calculateNames(crd('foos.b.io', 'b.io', { plural: 'foos', singular: 'foo', kind: 'Foo', listKind: 'FooList' }), [taken]);
    expect(other.namesAccepted.status).toBe('True');
    expect(namesSettled(taken)).toBe(false);
    expect(namesSettled(crd('q.a.io', 'a.io', { plural: 'qs', kind: 'Q' }, { plural: 'qs', kind: 'Q' }))).toBe(true);
  });

  test('versions sort by Kubernetes priority', () => {
    expect(['v1alpha1', 'v2beta1', 'v1', 'foo', 'v2', 'v1beta2', 'v1beta1'].sort(compareVersions)).toEqual(['v2', 'v1', 'v2beta1', 'v1beta2', 'v1beta1', 'v1alpha1', 'foo']);
  });
});

describe('printer columns', () => {
  const obj = {
    metadata: { name: 'x', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { replicas: 3, ratio: 0.5, on: true, list: ['a', 'b'], 'dotted.key': 'd' },
    status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Synced', status: 'False' }] },
  };
  const now = new Date('2026-01-01T00:05:00Z');

  test('JSONPath: fields, indexes, quoted keys and filters', () => {
    expect(findResults(obj, parseJSONPath('.spec.replicas'))).toEqual([3]);
    expect(findResults(obj, parseJSONPath('.spec.list[1]'))).toEqual(['b']);
    expect(findResults(obj, parseJSONPath('.spec.list[-1]'))).toEqual(['b']);
    expect(findResults(obj, parseJSONPath(".spec['dotted.key']"))).toEqual(['d']);
    expect(findResults(obj, parseJSONPath('.status.conditions[?(@.type=="Synced")].status'))).toEqual(['False']);
    expect(findResults(obj, parseJSONPath('.spec.nothing'))).toEqual([]);
    expect(() => parseJSONPath('..spec')).toThrow();
  });

  test('cells as upstream types them; a version without columns prints Age', () => {
    const cols = printerColumns([
      { name: 'R', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio' },
      { name: 'On', type: 'boolean', jsonPath: '.spec.on' },
      { name: 'List', type: 'string', jsonPath: '.spec.list' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', priority: 1 },
      { name: 'Missing', type: 'string', jsonPath: '.spec.missing' },
      { name: 'Created', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
    expect(cols.map((c) => c.value(obj, now))).toEqual([3, 0.5, true, '["a","b"]', 'True', null, '5m']);
    expect(cols[4]!.priority).toBe(1);
    expect(cols[0]!.description).toBe('Custom resource definition column (in JSONPath format): .spec.replicas');
    const age = printerColumns(undefined);
    expect(age.map((c) => [c.name, c.type])).toEqual([['Age', 'date']]);
    expect(age[0]!.value(obj, now)).toBe('5m');
  });
});
