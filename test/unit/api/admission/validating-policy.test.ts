import { describe, expect, it } from 'vitest';
import { evaluatePolicy, matchResourcesMatch } from '../../../../src/control/api/admission/validating-policy.js';
import type { AdmissionAttributes } from '../../../../src/control/api/admission/types.js';
import type { ResourceType } from '../../../../src/control/api/resource.js';

const pods = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true } as unknown as ResourceType;
const attrs = (over: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
  operation: 'CREATE', resource: pods, subresource: '', namespace: 'ns', name: 'p', dryRun: false,
  object: { metadata: { name: 'p', labels: { app: 'a' } }, spec: { replicas: 2 } }, oldObject: null, ...over,
});
const rule = { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] };

describe('ValidatingAdmissionPolicy matching', () => {
  it('rules, resourceNames, exclude rules and selectors', () => {
    expect(matchResourcesMatch({ resourceRules: [rule] }, attrs(), {}, true)).toBe(true);
    expect(matchResourcesMatch({ resourceRules: [{ ...rule, operations: ['UPDATE'] }] }, attrs(), {}, true)).toBe(false);
    expect(matchResourcesMatch({ resourceRules: [{ ...rule, resourceNames: ['q'] }] }, attrs(), {}, true)).toBe(false);
    expect(matchResourcesMatch({ resourceRules: [rule], excludeResourceRules: [rule] }, attrs(), {}, true)).toBe(false);
    expect(matchResourcesMatch({ resourceRules: [rule], namespaceSelector: { matchLabels: { env: 'x' } } }, attrs(), { env: 'y' }, true)).toBe(false);
    expect(matchResourcesMatch({ resourceRules: [rule], objectSelector: { matchLabels: { app: 'a' } } }, attrs(), {}, true)).toBe(true);
    // A policy needs rules; a binding without matchResources takes everything its policy matched.
    expect(matchResourcesMatch(undefined, attrs(), {}, true)).toBe(false);
    expect(matchResourcesMatch(undefined, attrs(), {}, false)).toBe(true);
    expect(matchResourcesMatch({ objectSelector: { matchLabels: { app: 'b' } } }, attrs(), {}, false)).toBe(false);
  });
});

describe('ValidatingAdmissionPolicy evaluation', () => {
  const base = { object: { spec: { replicas: 2n } }, oldObject: null, request: { operation: 'CREATE' }, namespaceObject: null, params: null };

  it('reports false validations with message, messageExpression or the expression, and reason', () => {
    const f = evaluatePolicy({
      validations: [
        { expression: 'object.spec.replicas < 2' },
        { expression: 'object.spec.replicas < 1', message: ' too many ', reason: 'Forbidden' },
        { expression: 'false', messageExpression: "'got ' + string(object.spec.replicas)", message: 'unused' },
        { expression: 'false', messageExpression: "'two\\nlines'", message: 'fallback' },
        { expression: 'true' },
      ],
    }, base);
    expect(f).toEqual([
      { message: 'failed expression: object.spec.replicas < 2', reason: 'Invalid', error: false },
      { message: 'too many', reason: 'Forbidden', error: false },
      { message: 'got 2', reason: 'Invalid', error: false },
      { message: 'fallback', reason: 'Invalid', error: false },
    ]);
  });

  it('matchConditions skip the policy when false and fail when they error; variables chain in order', () => {
    expect(evaluatePolicy({ matchConditions: [{ name: 'm', expression: 'false' }], validations: [{ expression: 'false' }] }, base)).toEqual([]);
    const err = evaluatePolicy({ matchConditions: [{ name: 'm', expression: 'object.nope' }], validations: [{ expression: 'false' }] }, base);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatchObject({ error: true });
    expect(err[0]!.message).toMatch(/^failed to evaluate match condition "m": /);
    expect(evaluatePolicy({
      variables: [{ name: 'r', expression: 'object.spec.replicas' }, { name: 'twice', expression: 'variables.r * 2' }],
      validations: [{ expression: 'variables.twice == 4' }, { expression: 'variables.twice == 5' }],
    }, base)).toEqual([{ message: 'failed expression: variables.twice == 5', reason: 'Invalid', error: false }]);
    const runtime = evaluatePolicy({ validations: [{ expression: 'object.spec.missing == 1' }] }, base);
    expect(runtime[0]!.error).toBe(true);
    expect(runtime[0]!.message).toMatch(/^expression 'object.spec.missing == 1' resulted in error: /);
  });
});
