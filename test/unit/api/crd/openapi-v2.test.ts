/**
 * A custom kind's definition in /openapi/v2 (upstream's buildKubeNative for v2 and ToStructuralOpenAPIV2): kubectl's
 * v2 reader gets a bare object for a root that keeps unknown fields, and nested open nodes lose properties, items
 * and their object type. Conformance: CustomResourcePublishOpenAPI "works for CRD without validation schema"
 * expects exactly `type: object` (after dropping apiVersion/kind/metadata and the GVK extension).
 */
import { describe, expect, test } from 'vitest';
import { customDefinitionV2, customDefinitions } from '../../../../src/control/api/crd/openapi.js';
import type { Schema } from '../../../../src/control/api/schema/types.js';

const names = { group: 'g.example.com', version: 'v1', kind: 'Foo', listKind: 'FooList', plural: 'foos' };
const gvk = [{ group: 'g.example.com', version: 'v1', kind: 'Foo' }];

describe('customDefinitionV2', () => {
  test('a root that keeps unknown fields is published as a bare object (the GVK kept)', () => {
    const { definitions } = customDefinitions(names, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    const kind = { ...definitions['com.example.g.v1.Foo']!, 'x-kubernetes-group-version-kind': gvk };
    expect(customDefinitionV2(kind)).toEqual({ type: 'object', 'x-kubernetes-group-version-kind': gvk });
    // Also with a description and properties of its own (the "preserving unknown fields at the schema root" CRD).
    const { definitions: d2 } = customDefinitions(names, {
      type: 'object', description: 'root', 'x-kubernetes-preserve-unknown-fields': true, properties: { spec: { type: 'object' } },
    });
    expect(customDefinitionV2(d2['com.example.g.v1.Foo']!)).toEqual({ type: 'object' });
  });

  test('a closed root keeps its shape; open nested nodes lose properties, items and the object type', () => {
    const { definitions } = customDefinitions(names, {
      type: 'object',
      description: 'Foo',
      properties: {
        spec: {
          type: 'object', description: 'open', 'x-kubernetes-preserve-unknown-fields': true,
          properties: { dummy: { type: 'string' } },
        },
        list: { type: 'array', 'x-kubernetes-preserve-unknown-fields': true, items: { type: 'string' } },
        bars: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
      },
    });
    const v2 = customDefinitionV2(definitions['com.example.g.v1.Foo']!);
    expect(v2.description).toBe('Foo');
    expect(v2.type).toBe('object');
    expect(Object.keys(v2.properties!)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'list', 'bars']);
    expect(v2.properties!['spec']).toEqual({ description: 'open', 'x-kubernetes-preserve-unknown-fields': true });
    // An array that lost its items is left untyped.
    expect(v2.properties!['list']).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(v2.properties!['bars']).toEqual({ type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } });
    expect(v2.properties!['metadata']).toEqual(definitions['com.example.g.v1.Foo']!.properties!['metadata']);
  });

  test('the catalog form is not changed (v3 and the patchers read it whole)', () => {
    const s: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } };
    const copy = structuredClone(s);
    customDefinitionV2(s);
    expect(s).toEqual(copy);
  });
});
