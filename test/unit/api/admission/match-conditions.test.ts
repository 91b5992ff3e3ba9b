import { describe, expect, test } from 'vitest';
import { conditionsMatch } from '../../../../src/control/api/admission/match-conditions.js';
import { requestAuthorizer } from '../../../../src/control/api/admission/cel-authorizer.js';
import type { AdmissionAttributes } from '../../../../src/control/api/admission/types.js';
import type { Authorizer } from '../../../../src/control/api/authz/types.js';
import type { ResourceType } from '../../../../src/control/api/resource.js';

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

describe('matchConditions with the authorizer', () => {
  test('checks as the request\'s user, as upstream\'s webhooks may (e.g. skip requests from those allowed to skip)', () => {
    const authz: Authorizer = { authorize: (x) => ({ decision: x.user.name === 'admin' && x.path === '/skip-webhooks' ? 'Allow' : 'NoOpinion', reason: '' }) };
    const pods = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true } as unknown as ResourceType;
    const at = (user: string): AdmissionAttributes => ({ operation: 'CREATE', resource: pods, subresource: '', namespace: 'ns', name: 'p', object: {}, oldObject: null, dryRun: false, user: { name: user, groups: [] } });
    const cond = [{ name: 'not-privileged', expression: "!authorizer.path('/skip-webhooks').check('post').allowed()" }];
    const run = (user: string) => conditionsMatch(cond, { object: {}, oldObject: null, request: {}, authorizer: requestAuthorizer(authz, at(user)) });
    expect(run('admin')).toBe(false);
    expect(run('dev')).toBe(true);
  });
});
