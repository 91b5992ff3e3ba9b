/** x-kubernetes-validations: rules on self, transition rules on oldSelf, messages, reasons and compile errors. */
import { describe, expect, test } from 'vitest';
import type { FieldError } from '../../../../src/control/api/resource.js';
import { evaluateRules, hasRules, validateRulesCompile } from '../../../../src/control/api/crd/cel.js';
import type { JSONSchemaProps } from '../../../../src/control/api/crd/schema/types.js';

const run = (s: JSONSchemaProps, v: unknown, old?: unknown): string[] => {
  const errs: FieldError[] = [];
  evaluateRules(s, v, old, 'spec', errs);
  return errs.map((e) => `${e.type} ${e.field}: ${e.message}`);
};

const spec = (rules: JSONSchemaProps['x-kubernetes-validations'], extra: Partial<JSONSchemaProps> = {}): JSONSchemaProps => ({
  type: 'object',
  properties: {
    min: { type: 'integer' }, max: { type: 'integer' }, name: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    ports: {
      type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
      items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'port is immutable' }] } } },
    },
  },
  'x-kubernetes-validations': rules,
  ...extra,
});

describe('CEL rules', () => {
  test('a rule over self: true passes, false reports the message on the node with its type', () => {
    const s = spec([{ rule: 'self.min <= self.max', message: 'min must not exceed max' }]);
    expect(run(s, { min: 1, max: 2 })).toEqual([]);
    expect(run(s, { min: 3, max: 2 })).toEqual(['FieldValueInvalid spec: Invalid value: "object": min must not exceed max']);
  });

  test('without a message the rule itself is quoted; integers are CEL ints', () => {
    expect(run(spec([{ rule: 'self.max + 1 == 4' }]), { max: 2 })).toEqual(['FieldValueInvalid spec: Invalid value: "object": failed rule: self.max + 1 == 4']);
    expect(run(spec([{ rule: 'self.max + 1 == 4' }]), { max: 3 })).toEqual([]);
    expect(run(spec([{ rule: 'self.tags.all(t, t.startsWith("x"))' }]), { tags: ['xa', 'xb'] })).toEqual([]);
    expect(run(spec([{ rule: 'size(self.tags) <= 1' }]), { tags: ['a', 'b'] })).toHaveLength(1);
    // The strings extension, as Kubernetes' CEL environment has it.
    expect(run(spec([{ rule: 'self.name.lowerAscii() == "abc" && self.name.split("B").size() == 2' }]), { name: 'aBc' })).toEqual([]);
    // Kubernetes' lists library.
    const lists = spec([{ rule: 'self.tags.isSorted() && self.tags.indexOf("b") == 1 && self.tags.lastIndexOf("z") == -1' }]);
    expect(run(lists, { tags: ['a', 'b', 'c'] })).toEqual([]);
    expect(run(lists, { tags: ['b', 'a'] })).toHaveLength(1);
    const nums: JSONSchemaProps = { type: 'object', properties: { n: { type: 'array', items: { type: 'integer' } } }, 'x-kubernetes-validations': [{ rule: 'self.n.sum() == 6 && self.n.max() == 3 && self.n.min() == 1' }] };
    expect(run(nums, { n: [1, 2, 3] })).toEqual([]);
    const max: JSONSchemaProps = { ...nums, 'x-kubernetes-validations': [{ rule: 'self.n.max() < 10' }] };
    expect(run(max, { n: [] })[0]).toContain('max called on empty list');
  });

  test('messageExpression, reason and fieldPath', () => {
    const s = spec([{ rule: 'self.max < 10', messageExpression: '"max is " + string(self.max)', reason: 'FieldValueForbidden', fieldPath: '.max' }]);
    expect(run(s, { max: 12 })).toEqual(['FieldValueForbidden spec.max: Forbidden: max is 12']);
  });

  test('transition rules run on updates only, against the old value at the same place', () => {
    const s = spec([{ rule: 'self.name == oldSelf.name', message: 'name is immutable' }]);
    expect(run(s, { name: 'a' })).toEqual([]);
    expect(run(s, { name: 'a' }, { name: 'a' })).toEqual([]);
    expect(run(s, { name: 'b' }, { name: 'a' })).toEqual(['FieldValueInvalid spec: Invalid value: "object": name is immutable']);
  });

  test('list-map items correlate with old items by key', () => {
    const s = spec([]);
    const old = { ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] };
    expect(run(s, { ports: [{ name: 'https', port: 443 }, { name: 'http', port: 80 }, { name: 'new', port: 1 }] }, old)).toEqual([]);
    expect(run(s, { ports: [{ name: 'http', port: 8080 }] }, old)).toEqual(['FieldValueInvalid spec.ports[0].port: Invalid value: "integer": port is immutable']);
  });

  test('a runtime error fails the rule with the error', () => {
    const out = run(spec([{ rule: 'has(self.min) && self.max == 1' }]), { min: 1 });
    expect(out).toEqual(['FieldValueInvalid spec: Invalid value: "object": no such key: max evaluating rule: has(self.min) && self.max == 1']);
  });

  test('compile errors are reported on the CRD with the rule path', () => {
    const errs = validateRulesCompile(spec([{ rule: 'self.min <' }, { rule: 'true', reason: 'Nope' }, { rule: 'self.min > 0', optionalOldSelf: true }]), 'x');
    expect(errs.map((e) => e.field)).toEqual(['x.x-kubernetes-validations[0].rule', 'x.x-kubernetes-validations[1].reason', 'x.x-kubernetes-validations[2].optionalOldSelf']);
    expect(errs[0]!.message).toMatch(/^Invalid value: "self.min <": compilation failed: ERROR: /);
    // Fields the schema does not declare do not compile, with cel-go's position and caret.
    const typo = validateRulesCompile(spec([{ rule: 'self.mxa > 1' }]), 'x');
    expect(typo.map((e) => e.message)).toEqual(["Invalid value: \"self.mxa > 1\": compilation failed: ERROR: <input>:1:5: undefined field 'mxa'\n | self.mxa > 1\n | ....^"]);
    expect(validateRulesCompile(spec([{ rule: 'self.ports.all(p, p.prot > 0)' }]), 'x')[0]!.message).toContain("undefined field 'prot'");
    expect(validateRulesCompile(spec([{ rule: 'self.ports[0].port > 0 && self.tags.exists(t, t == "a") && has(self.metadata)' }]), 'x')).toEqual([]);
    expect(validateRulesCompile({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-validations': [{ rule: 'self.anything.goes' }] }, 'x')).toEqual([]);
    expect(hasRules(spec([]))).toBe(true);
    expect(hasRules({ type: 'object', properties: { a: { type: 'string' } } })).toBe(false);
  });
});
