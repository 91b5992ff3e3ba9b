import { describe, expect, it } from 'vitest';
import { evaluatePolicy, matchResourcesMatch, ValidatingAdmissionPolicyAdmission } from '../../../../src/control/api/admission/validating-policy.js';
import type { AdmissionAttributes } from '../../../../src/control/api/admission/types.js';
import type { ResourceType } from '../../../../src/control/api/resource.js';
import type { Authorizer } from '../../../../src/control/api/authz/types.js';

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
      { message: 'failed expression: object.spec.replicas < 2', reason: 'Invalid', error: false, index: 0 },
      { message: 'too many', reason: 'Forbidden', error: false, index: 1 },
      { message: 'got 2', reason: 'Invalid', error: false, index: 2 },
      { message: 'fallback', reason: 'Invalid', error: false, index: 3 },
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
    }, base)).toEqual([{ message: 'failed expression: variables.twice == 5', reason: 'Invalid', error: false, index: 1 }]);
    const runtime = evaluatePolicy({ validations: [{ expression: 'object.spec.missing == 1' }] }, base);
    expect(runtime[0]!.error).toBe(true);
    expect(runtime[0]!.message).toMatch(/^expression 'object.spec.missing == 1' resulted in error: /);
  });
});

describe('ValidatingAdmissionPolicy audit', () => {
  const policy = (spec: Record<string, unknown>) => ({ metadata: { name: 'pol' }, spec: { matchConstraints: { resourceRules: [rule] }, ...spec } });
  const binding = (name: string, validationActions: string[]) => ({ metadata: { name }, spec: { policyName: 'pol', validationActions } });
  const plugin = (pol: ReturnType<typeof policy>, bindings: ReturnType<typeof binding>[]) => new ValidatingAdmissionPolicyAdmission({
    policies: async () => [pol], bindings: async () => bindings, namespace: async () => undefined, paramResource: () => undefined, params: async () => [],
  });
  const run = async (p: ValidatingAdmissionPolicyAdmission) => {
    const notes: Record<string, string> = {};
    const warnings: string[] = [];
    const error = await p.validate(attrs({ warnings, audit: (k, v) => void (notes[k] ??= v) })).then(() => undefined, (e: Error) => e.message);
    return { notes, warnings, error };
  };

  it('auditAnnotations become <policy>/<key>; null and "" omit theirs', async () => {
    const r = await run(plugin(policy({
      validations: [{ expression: 'true' }],
      auditAnnotations: [
        { key: 'replicas', valueExpression: "'replicas=' + string(object.spec.replicas)" },
        { key: 'none', valueExpression: 'null' },
        { key: 'empty', valueExpression: "''" },
      ],
    }), [binding('b1', ['Deny'])]));
    expect(r).toEqual({ notes: { 'pol/replicas': 'replicas=2' }, warnings: [], error: undefined });
  });

  it('Audit records the failure as validation_failure JSON; a Deny binding still refuses, after the others ran', async () => {
    const pol = policy({ validations: [{ expression: 'true' }, { expression: 'object.spec.replicas < 2', message: 'too many' }] });
    const r = await run(plugin(pol, [binding('a-deny', ['Deny']), binding('b-audit', ['Audit', 'Warn'])]));
    expect(r.error).toMatch(/ValidatingAdmissionPolicy 'pol' with binding 'a-deny' denied request: too many/);
    expect(r.warnings).toEqual(["Validation failed for ValidatingAdmissionPolicy 'pol' with binding 'b-audit': too many"]);
    expect(JSON.parse(r.notes['validation.policy.admission.k8s.io/validation_failure']!)).toEqual([
      { message: 'too many', policy: 'pol', binding: 'b-audit', expressionIndex: 1, validationActions: ['Audit', 'Warn'] },
    ]);
  });

  it('an auditAnnotation that fails is an error under failurePolicy Fail, nothing under Ignore', async () => {
    const spec = { validations: [{ expression: 'true' }], auditAnnotations: [{ key: 'k', valueExpression: 'object.spec.nope' }] };
    expect((await run(plugin(policy(spec), [binding('b', ['Deny'])]))).error).toMatch(/valueExpression 'object.spec.nope' resulted in error/);
    expect((await run(plugin(policy({ ...spec, failurePolicy: 'Ignore' }), [binding('b', ['Deny'])]))).error).toBeUndefined();
  });
});

describe('ValidatingAdmissionPolicy authorizer', () => {
  // An authoriser that allows alice to update deployments in ns "a", the bob service account to get /healthz.
  const authz: Authorizer = {
    authorize: (x) => {
      if (x.user.name === 'alice' && x.resourceRequest && x.apiGroup === 'apps' && x.resource === 'deployments' && x.namespace === 'a' && x.verb === 'update') {
        return { decision: 'Allow', reason: 'alice may' };
      }
      if (x.user.name === 'system:serviceaccount:ns:bob' && x.user.groups.includes('system:serviceaccounts:ns') && !x.resourceRequest && x.path === '/healthz') return { decision: 'Allow', reason: '' };
      if (x.user.name === 'alice' && x.resource === 'pods' && x.name === 'p' && x.verb === 'delete') return { decision: 'Allow', reason: 'own pod' };
      return { decision: 'NoOpinion', reason: 'no rule' };
    },
  };
  const check = async (expression: string, user = { name: 'alice', groups: [] as string[] }) => {
    const pol = { metadata: { name: 'pol' }, spec: { matchConstraints: { resourceRules: [rule] }, validations: [{ expression, message: 'refused' }] } };
    const p = new ValidatingAdmissionPolicyAdmission({
      policies: async () => [pol], bindings: async () => [{ metadata: { name: 'b' }, spec: { policyName: 'pol', validationActions: ['Deny'] } }],
      namespace: async () => undefined, paramResource: () => undefined, params: async () => [],
    }, authz);
    return p.validate(attrs({ user })).then(() => 'admitted', (e: Error) => e.message);
  };

  it('resource and path checks as the request\'s user; decisions answer allowed() and reason()', async () => {
    expect(await check("authorizer.group('apps').resource('deployments').namespace('a').check('update').allowed()")).toBe('admitted');
    expect(await check("authorizer.group('apps').resource('deployments').namespace('b').check('update').allowed()")).toMatch(/refused/);
    expect(await check("authorizer.group('apps').resource('deployments').namespace('a').check('update').reason() == 'alice may'")).toBe('admitted');
    expect(await check("!authorizer.path('/healthz').check('get').allowed() && !authorizer.group('').resource('pods').check('get').errored()")).toBe('admitted');
    expect(await check("authorizer.serviceAccount('ns', 'bob').path('/healthz').check('get').allowed()")).toBe('admitted');
    expect(await check("authorizer.group('apps').resource('deployments').namespace('a').check('update').allowed()", { name: 'eve', groups: [] })).toMatch(/refused/);
  });

  it('requestResource is the request\'s own resource; a method on a map the library did not make fails', async () => {
    expect(await check("authorizer.requestResource.check('delete').allowed()")).toBe('admitted');
    expect(await check("authorizer.requestResource.check('update').allowed()")).toMatch(/refused/);
    expect(await check("object.metadata.labels.check('get').allowed()")).toMatch(/resulted in error: .*no such overload/);
  });
});
