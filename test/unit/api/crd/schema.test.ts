/**
 * Structural schema validation, pruning and defaulting of custom objects, in the spirit of upstream's
 * apiextensions validation, pruning and defaulting tests: each keyword's error text and field path.
 */
import { describe, expect, test } from 'vitest';
import type { FieldError } from '../../../../src/control/api/resource.js';
import { validateValue } from '../../../../src/control/api/crd/schema/validate.js';
import { applyDefaults, pruneObject } from '../../../../src/control/api/crd/schema/prune.js';
import { validateStructural } from '../../../../src/control/api/crd/schema/structural.js';
import type { JSONSchemaProps } from '../../../../src/control/api/crd/schema/types.js';

const errors = (s: JSONSchemaProps, v: unknown, path = 'spec.x'): string[] => {
  const out: FieldError[] = [];
  validateValue(s, v, path, out);
  return out.map((e) => `${e.field}: ${e.message}`);
};

describe('validation keywords', () => {
  test('type, with the value type go-openapi names', () => {
    expect(errors({ type: 'integer' }, 'a')).toEqual(['spec.x: Invalid value: "string": spec.x in body must be of type integer: "string"']);
    expect(errors({ type: 'integer' }, 1.5)).toEqual(['spec.x: Invalid value: "number": spec.x in body must be of type integer: "number"']);
    expect(errors({ type: 'number' }, 2)).toEqual([]);
    expect(errors({ type: 'string' }, { a: 1 })).toEqual(['spec.x: Invalid value: "object": spec.x in body must be of type string: "object"']);
    expect(errors({ type: 'array', items: { type: 'string' } }, [1])).toEqual(['spec.x[0]: Invalid value: "integer": spec.x[0] in body must be of type string: "integer"']);
    expect(errors({ type: 'boolean' }, 'true')).toHaveLength(1);
  });

  test('null: accepted when nullable, else a type error', () => {
    expect(errors({ type: 'string', nullable: true }, null)).toEqual([]);
    expect(errors({ type: 'string' }, null)).toEqual(['spec.x: Invalid value: "null": spec.x in body must be of type string: "null"']);
  });

  test('x-kubernetes-int-or-string takes integers and strings only', () => {
    const s: JSONSchemaProps = { 'x-kubernetes-int-or-string': true };
    expect(errors(s, 3)).toEqual([]);
    expect(errors(s, '50%')).toEqual([]);
    expect(errors(s, true)).toEqual(['spec.x: Invalid value: "boolean": spec.x in body must be of type integer,string: "boolean"']);
  });

  test('enum, pattern, lengths in runes', () => {
    expect(errors({ type: 'string', enum: ['a', 'b'] }, 'c')).toEqual(['spec.x: Unsupported value: "c": supported values: "a", "b"']);
    expect(errors({ type: 'integer', enum: [1, 2] }, 3)).toEqual(['spec.x: Unsupported value: 3: supported values: "1", "2"']);
    expect(errors({ type: 'string', pattern: '^[a-z]+$' }, 'A1')).toEqual(["spec.x: Invalid value: \"A1\": spec.x in body should match '^[a-z]+$'"]);
    // RE2, as Go: linear time on a pattern that backtracks exponentially in JavaScript's engine.
    expect(errors({ type: 'string', pattern: '^(a+)+$' }, `${'a'.repeat(40)}b`)).toHaveLength(1);
    expect(errors({ type: 'string', maxLength: 3 }, 'ééé')).toEqual([]);
    expect(errors({ type: 'string', maxLength: 3 }, 'abcd')).toEqual(['spec.x: Too long: may not be more than 3 bytes']);
    expect(errors({ type: 'string', minLength: 2 }, 'a')).toEqual(['spec.x: Invalid value: "a": spec.x in body should be at least 2 chars long']);
  });

  test('numbers: minimum, maximum, exclusive bounds, multipleOf', () => {
    expect(errors({ type: 'integer', maximum: 10 }, 11)).toEqual(['spec.x: Invalid value: 11: spec.x in body should be less than or equal to 10']);
    expect(errors({ type: 'integer', maximum: 10, exclusiveMaximum: true }, 10)).toEqual(['spec.x: Invalid value: 10: spec.x in body should be less than 10']);
    expect(errors({ type: 'integer', minimum: 1 }, 0)).toEqual(['spec.x: Invalid value: 0: spec.x in body should be greater than or equal to 1']);
    expect(errors({ type: 'number', minimum: 1, exclusiveMinimum: true }, 1)).toEqual(['spec.x: Invalid value: 1: spec.x in body should be greater than 1']);
    expect(errors({ type: 'number', multipleOf: 0.5 }, 1.5)).toEqual([]);
    expect(errors({ type: 'integer', multipleOf: 3 }, 7)).toEqual(['spec.x: Invalid value: 7: spec.x in body should be a multiple of 3']);
  });

  test('arrays and objects: item and property counts, required', () => {
    expect(errors({ type: 'array', items: { type: 'integer' }, maxItems: 2 }, [1, 2, 3])).toEqual(['spec.x: Too many: 3: must have at most 2 items']);
    expect(errors({ type: 'array', items: { type: 'integer' }, minItems: 2 }, [1])).toEqual(['spec.x: Invalid value: 1: spec.x in body should have at least 2 items']);
    expect(errors({ type: 'array', items: { type: 'integer' }, uniqueItems: true }, [1, 1])).toEqual(['spec.x: Invalid value: "": spec.x in body shouldn\'t contain duplicates']);
    expect(errors({ type: 'object', additionalProperties: { type: 'string' }, maxProperties: 1 }, { a: 'x', b: 'y' })).toEqual(['spec.x: Too many: 2: must have at most 1 item']);
    expect(errors({ type: 'object', additionalProperties: { type: 'string' }, minProperties: 2 }, { a: 'x' })).toEqual(['spec.x: Invalid value: 1: spec.x in body should have at least 2 properties']);
    expect(errors({ type: 'object', required: ['a', 'b'], properties: { a: { type: 'string' }, b: { type: 'string' } } }, { a: 'x' })).toEqual(['spec.x.b: Required value']);
    expect(errors({ type: 'object', additionalProperties: { type: 'integer' } }, { k: 'v' })).toEqual(['spec.x.k: Invalid value: "string": spec.x.k in body must be of type integer: "string"']);
  });

  test('formats', () => {
    expect(errors({ type: 'string', format: 'date' }, '2024-02-30')).toEqual(['spec.x: Invalid value: "2024-02-30": spec.x in body must be of type date: "2024-02-30"']);
    expect(errors({ type: 'string', format: 'date' }, '2024-02-29')).toEqual([]);
    expect(errors({ type: 'string', format: 'date-time' }, '2024-01-02T03:04:05Z')).toEqual([]);
    expect(errors({ type: 'string', format: 'date-time' }, 'yesterday')).toHaveLength(1);
    expect(errors({ type: 'string', format: 'ipv4' }, '10.0.0.300')).toHaveLength(1);
    expect(errors({ type: 'string', format: 'uuid' }, '123e4567-e89b-12d3-a456-426614174000')).toEqual([]);
    expect(errors({ type: 'string', format: 'duration' }, '1h30m')).toEqual([]);
    expect(errors({ type: 'string', format: 'no-such-format' }, 'anything')).toEqual([]);
    expect(errors({ type: 'integer', format: 'int32' }, 2 ** 31)).toHaveLength(1);
    expect(errors({ type: 'integer', format: 'int64' }, 2 ** 40)).toEqual([]);
  });

  test('oneOf, anyOf, allOf and not are reported on the root, with the closest branch', () => {
    const s: JSONSchemaProps = {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string' } },
      oneOf: [{ required: ['a'] }, { required: ['b'] }],
    };
    expect(errors(s, { a: 'x' })).toEqual([]);
    expect(errors(s, { a: 'x', b: 'y' })).toEqual(['<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found 2 valid alternatives']);
    expect(errors(s, {})).toEqual(['spec.x.a: Required value', '<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found none valid']);
    expect(errors({ type: 'integer', anyOf: [{ minimum: 10 }, { maximum: 0 }] }, 5)[0]).toBe('<nil>: Invalid value: "": "spec.x" must validate at least one schema (anyOf)');
    expect(errors({ type: 'integer', allOf: [{ minimum: 10 }] }, 5)).toContain('<nil>: Invalid value: "": "spec.x" must validate all the schemas (allOf). None validated');
    expect(errors({ type: 'string', not: { enum: ['x'] } }, 'x')).toEqual(['<nil>: Invalid value: "": "spec.x" must not validate the schema (not)']);
  });

  test('x-kubernetes-list-type set and map report duplicates by index', () => {
    expect(errors({ type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } }, ['a', 'b', 'a'])).toEqual(['spec.x[2]: Duplicate value: "a"']);
    const map: JSONSchemaProps = {
      type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name', 'proto'],
      items: { type: 'object', properties: { name: { type: 'string' }, proto: { type: 'string', default: 'TCP' } } },
    };
    expect(errors(map, [{ name: 'a', proto: 'TCP' }, { name: 'a', proto: 'UDP' }])).toEqual([]);
    expect(errors(map, [{ name: 'a', proto: 'TCP' }, { name: 'a' }])).toEqual(['spec.x[1]: Duplicate value: map[string]interface {}{"name":"a", "proto":"TCP"}']);
  });

  test('embedded resources need apiVersion and kind', () => {
    const s: JSONSchemaProps = { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true };
    expect(errors(s, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toEqual([]);
    expect(errors(s, { metadata: {} })).toEqual(['spec.x.apiVersion: Required value: must not be empty', 'spec.x.kind: Required value: must not be empty']);
  });
});

describe('pruning', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          known: { type: 'string' },
          list: { type: 'array', items: { type: 'object', properties: { a: { type: 'integer' } } } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { typed: { type: 'object', properties: { x: { type: 'string' } } } } },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { y: { type: 'string' } } } } },
        },
      },
    },
  };

  test('drops unknown fields and reports their paths; keeps apiVersion, kind and ObjectMeta', () => {
    const obj = {
      apiVersion: 'x.io/v1', kind: 'X', metadata: { name: 'n', labels: { a: 'b' }, bogus: 1 }, top: 1,
      spec: {
        known: 'k', unknown: 2, list: [{ a: 1, b: 2 }], labels: { any: 'thing' },
        free: { whatever: { deep: true }, typed: { x: 'y', z: 'pruned' } },
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', nope: 1 }, spec: { y: 'ok', gone: true }, extra: 1 },
      },
    };
    const pruned = pruneObject(obj, schema);
    expect(pruned.sort()).toEqual([
      'metadata.bogus', 'spec.free.typed.z', 'spec.list[0].b', 'spec.template.extra', 'spec.template.metadata.nope',
      'spec.template.spec.gone', 'spec.unknown', 'top',
    ]);
    expect(obj).toEqual({
      apiVersion: 'x.io/v1', kind: 'X', metadata: { name: 'n', labels: { a: 'b' } },
      spec: {
        known: 'k', list: [{ a: 1 }], labels: { any: 'thing' }, free: { whatever: { deep: true }, typed: { x: 'y' } },
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { y: 'ok' } },
      },
    });
  });

  test('a root that preserves unknown fields keeps everything', () => {
    const obj = { apiVersion: 'a/v1', kind: 'A', metadata: {}, anything: { at: 'all' } };
    expect(pruneObject(obj, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true })).toEqual([]);
    expect(obj.anything).toEqual({ at: 'all' });
  });
});

describe('defaulting', () => {
  test('absent fields and nulls of non-nullable fields take defaults, top-down into defaulted objects', () => {
    const s: JSONSchemaProps = {
      type: 'object',
      properties: {
        a: { type: 'string', default: 'x' },
        b: { type: 'string', nullable: true, default: 'y' },
        c: { type: 'integer', default: 3 },
        nested: { type: 'object', default: {}, properties: { d: { type: 'boolean', default: true } } },
        items: { type: 'array', items: { type: 'object', properties: { e: { type: 'string', default: 'z' } } } },
        m: { type: 'object', additionalProperties: { type: 'object', properties: { f: { type: 'integer', default: 1 } } } },
      },
    };
    const v: Record<string, unknown> = { b: null, c: null, items: [{}, { e: 'kept' }], m: { k: {} } };
    applyDefaults(v, s);
    expect(v).toEqual({ a: 'x', b: null, c: 3, nested: { d: true }, items: [{ e: 'z' }, { e: 'kept' }], m: { k: { f: 1 } } });
  });

  test('defaults are copies', () => {
    const s: JSONSchemaProps = { type: 'object', properties: { l: { type: 'array', items: { type: 'string' }, default: ['a'] } } };
    const one: Record<string, unknown> = {};
    const two: Record<string, unknown> = {};
    applyDefaults(one, s);
    applyDefaults(two, s);
    (one['l'] as string[]).push('b');
    expect(two['l']).toEqual(['a']);
  });
});

describe('structural schemas', () => {
  const at = 'spec.versions[0].schema.openAPIV3Schema';
  const msgs = (s: unknown) => validateStructural(s, at).map((e) => `${e.field}: ${e.message}`);

  test('a root object with typed fields is structural', () => {
    expect(msgs({ type: 'object', properties: { spec: { type: 'object', properties: { a: { type: 'string' } } }, metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 10 } } } } })).toEqual([]);
  });

  test('upstream words for what is not', () => {
    expect(msgs(undefined)).toEqual([`${at}: Required value: schemas are required`]);
    expect(msgs({ type: 'string' })).toEqual([`${at}.type: Invalid value: "string": must be object at the root`]);
    expect(msgs({ type: 'object', properties: { a: { properties: {} } } })).toEqual([`${at}.properties[a].type: Required value: must not be empty for specified object fields`]);
    expect(msgs({ type: 'object', properties: { a: { type: 'array' } } })).toEqual([`${at}.properties[a].items: Required value: must be specified`]);
    expect(msgs({ type: 'object', properties: { a: { type: 'object', properties: {}, additionalProperties: { type: 'string' } } } })).toEqual([`${at}.properties[a].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`]);
    expect(msgs({ type: 'object', properties: { a: { type: 'string', 'x-kubernetes-int-or-string': true } } })).toEqual([`${at}.properties[a].type: Invalid value: "string": must be empty if x-kubernetes-int-or-string is true`]);
    expect(msgs({ type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } })).toEqual([`${at}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`]);
    expect(msgs({ type: 'object', properties: { a: { type: 'string', pattern: '(a' } } })).toEqual([`${at}.properties[a].pattern: Invalid value: "(a": must be a valid regular expression, but isn't: error parsing regexp: missing closing ): \`(a\``]);
    expect(msgs({ type: 'object', properties: { a: { type: 'string', pattern: '(?=x)' } } })).toHaveLength(1);
    expect(msgs({ type: 'object', properties: { a: { type: 'array', items: {} } } })).toEqual([`${at}.properties[a].items.type: Required value: must not be empty for specified array items`]);
    expect(msgs({})).toEqual([`${at}.type: Required value: must not be empty at the root`]);
    expect(msgs({ type: 'object', properties: { o: { type: 'object', properties: { a: { type: 'string' } }, default: { a: 'x', b: 1 } } } }))
      .toEqual([`${at}.properties[o].default: Invalid value: {"a":"x","b":1}: must not have unknown fields`]);
    expect(msgs({ type: 'object', properties: { a: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } } })).toEqual([]);
    expect(msgs({ type: 'object', properties: { a: { type: 'string', allOf: [{ nullable: true, description: 'd', properties: { metadata: {} } }] } } })).toEqual([
      `${at}.properties[a].allOf[0].description: Forbidden: must be empty to be structural`,
      `${at}.properties[a].allOf[0].nullable: Forbidden: must be false to be structural`,
      `${at}.properties[a].allOf[0].properties[metadata]: Forbidden: must not be specified in a nested context`,
    ]);
    expect(msgs({ type: 'object', properties: { e: { type: 'object', 'x-kubernetes-embedded-resource': true } } })).toEqual([`${at}.properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`]);
    expect(msgs({ type: 'object', properties: { metadata: { type: 'string' } } })).toEqual([`${at}.properties[metadata].type: Invalid value: "string": must be object`]);
    expect(msgs({ type: 'object', anyOf: [{ type: 'object' }] })).toEqual([`${at}.anyOf[0].type: Forbidden: must be empty to be structural`]);
    expect(msgs({ type: 'object', properties: { a: { type: 'integer', default: 'x' } } })).toEqual([`${at}.properties[a].default: Invalid value: "string": ${at}.properties[a].default in body must be of type integer: "string"`]);
    expect(msgs({ type: 'object', properties: { l: { type: 'array', 'x-kubernetes-list-type': 'map', items: { type: 'object', properties: { k: { type: 'string' } } } } } }))
      .toEqual([`${at}.properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`]);
  });
});
