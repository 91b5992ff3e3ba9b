import { describe, expect, test } from 'vitest';
import { conditionsMatch } from '../../../../src/control/api/admission/match-conditions.js';

const object = { metadata: { name: 'web', labels: { tier: 'front' } }, spec: { replicas: 3 } };
const request = { operation: 'CREATE', namespace: 'default', name: 'web' };

describe('matchConditions', () => {
  test('all must hold; none means match', () => {
    expect(conditionsMatch(undefined, { object, oldObject: null, request })).toBe(true);
    expect(conditionsMatch([
      { name: 'create', expression: "request.operation == 'CREATE'" },
      { name: 'big', expression: 'object.spec.replicas > 2' },
      { name: 'front', expression: "object.metadata.labels.tier.startsWith('fr')" },
    ], { object, oldObject: null, request })).toBe(true);
    expect(conditionsMatch([{ name: 'update', expression: "request.operation == 'UPDATE'" }], { object, oldObject: null, request })).toBe(false);
    expect(conditionsMatch([{ name: 'no-old', expression: 'oldObject == null' }], { object, oldObject: null, request })).toBe(true);
  });

  test('errors name the condition', () => {
    expect(() => conditionsMatch([{ name: 'broken', expression: 'object.(' }], { object, oldObject: null, request })).toThrow(/^compilation failed for match condition "broken"/);
    expect(() => conditionsMatch([{ name: 'missing', expression: 'object.spec.nothing == 1' }], { object, oldObject: null, request })).toThrow(/^failed to evaluate match condition "missing"/);
    expect(() => conditionsMatch([{ name: 'str', expression: "'x'" }], { object, oldObject: null, request })).toThrow('match condition "str" did not evaluate to a bool');
  });
});
