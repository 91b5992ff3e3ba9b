import { describe, expect, test } from 'vitest';
import type { KubeObject, ResourceType } from '../../../../src/control/api/resource.js';
import {
  mutatingwebhookconfigurations as mutating, validatingadmissionpolicies as policies, validatingadmissionpolicybindings as bindings,
  validatingwebhookconfigurations as validating,
} from '../../../../src/control/api/kinds/admissionregistration.js';
import { toTable } from '../../../../src/control/api/table.js';

const now = new Date('2026-01-10T12:00:00Z');
const check = (r: ResourceType, o: KubeObject) => {
  r.strategy.default?.(o);
  return r.strategy.validate!(o).map((e) => `${e.field}: ${e.message}`);
};

const hook = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'check.example.com',
  clientConfig: { url: 'https://127.0.0.1:9443/validate', caBundle: 'Zm9v' },
  rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
  sideEffects: 'None', admissionReviewVersions: ['v1'],
  ...extra,
});

describe('webhook configurations', () => {
  test("defaults as upstream's v1", () => {
    const o: KubeObject = { metadata: { name: 'w' }, webhooks: [hook({ clientConfig: { service: { namespace: 'default', name: 'hooks' } } })] };
    expect(check(mutating, o)).toEqual([]);
    expect((o['webhooks'] as unknown[])[0]).toMatchObject({
      failurePolicy: 'Fail', matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, timeoutSeconds: 10,
      reinvocationPolicy: 'Never', rules: [{ scope: '*' }], clientConfig: { service: { port: 443 } },
    });
    const v: KubeObject = { metadata: { name: 'v' }, webhooks: [hook()] };
    expect(check(validating, v)).toEqual([]);
    expect((v['webhooks'] as Array<Record<string, unknown>>)[0]).not.toHaveProperty('reinvocationPolicy');
  });

  test('sideEffects and admissionReviewVersions are required; names are qualified and unique', () => {
    const o: KubeObject = {
      metadata: { name: 'w' },
      webhooks: [hook({ sideEffects: undefined, admissionReviewVersions: [] }), hook({ name: 'short' }), hook({ name: 'short' })],
    };
    expect(check(validating, o)).toEqual([
      'webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun',
      'webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1',
      'webhooks[1].name: Invalid value: "short": should be a domain with at least three segments separated by dots',
      'webhooks[2].name: Invalid value: "short": should be a domain with at least three segments separated by dots',
      'webhooks[2].name: Duplicate value: "short"',
    ]);
  });

  test('rules, policies, timeouts and the client config', () => {
    const o: KubeObject = {
      metadata: { name: 'w' },
      webhooks: [hook({
        rules: [{ operations: ['CREATE', '*'], apiGroups: [], apiVersions: ['v1'], resources: ['*/*', 'pods'], scope: 'World' }],
        failurePolicy: 'Sometimes', sideEffects: 'Some', timeoutSeconds: 31,
        clientConfig: { url: 'http://u@example.com/x?y=1' },
        admissionReviewVersions: ['v2'],
      })],
    };
    expect(check(validating, o)).toEqual([
      "webhooks[0].rules[0].operations: Invalid value: []string{\"CREATE\", \"*\"}: if '*' is present, must not specify other operations",
      'webhooks[0].rules[0].apiGroups: Required value',
      "webhooks[0].rules[0].resources: Invalid value: []string{\"*/*\", \"pods\"}: if '*/*' is present, must not specify other resources",
      'webhooks[0].rules[0].scope: Unsupported value: "World": supported values: "*", "Cluster", "Namespaced"',
      'webhooks[0].failurePolicy: Unsupported value: "Sometimes": supported values: "Fail", "Ignore"',
      'webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
      'webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds',
      "webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]",
      'webhooks[0].clientConfig.url: Invalid value: "u": user information is not permitted in the URL',
      'webhooks[0].clientConfig.url: Invalid value: "y=1": query parameters are not permitted in the URL',
      'webhooks[0].admissionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1',
    ]);
    const both: KubeObject = { metadata: { name: 'w' }, webhooks: [hook({ clientConfig: { url: 'https://x.example.com', service: { namespace: 'a', name: 'b' } } })] };
    expect(check(validating, both)).toEqual(['webhooks[0].clientConfig: Required value: exactly one of url or service is required']);
  });

  test('generation moves when the webhooks change; Webhooks column counts them', () => {
    const old: KubeObject = { metadata: { name: 'w', generation: 1 }, webhooks: [hook()] };
    const next: KubeObject = { metadata: { name: 'w', generation: 1 }, webhooks: [hook(), hook({ name: 'two.example.com' })] };
    validating.strategy.prepareForUpdate!(next, old, '', now);
    expect(next.metadata!.generation).toBe(2);
    const t = toTable(validating, [{ ...next, metadata: { name: 'w', creationTimestamp: '2026-01-10T11:00:00Z' } }], { includeObject: 'None', now });
    expect((t.rows as Array<{ cells: unknown[] }>)[0]!.cells).toEqual(['w', 2, '60m']);
  });
});

describe('validating admission policies and bindings', () => {
  const policy = (spec: Record<string, unknown> = {}): KubeObject => ({
    metadata: { name: 'replicas' },
    spec: {
      matchConstraints: { resourceRules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }] },
      validations: [{ expression: 'object.spec.replicas <= 5' }],
      ...spec,
    },
  });

  test('defaults: failurePolicy Fail, matchPolicy Equivalent, empty selectors, scope *', () => {
    const o = policy();
    expect(check(policies, o)).toEqual([]);
    expect(o.spec).toMatchObject({
      failurePolicy: 'Fail',
      matchConstraints: { matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, resourceRules: [{ scope: '*' }] },
    });
  });

  test('upstream refusals', () => {
    expect(check(policies, policy({ matchConstraints: undefined, validations: [], paramKind: { apiVersion: 'a/b/c', kind: 'Bad_Kind' } }))).toEqual([
      'spec.paramKind.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
      "spec.paramKind.kind: Invalid value: \"Bad_Kind\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      'spec.matchConstraints: Required value',
      'spec.validations: Required value: validations or auditAnnotations must contain at least one item',
      'spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item',
    ]);
    expect(check(policies, policy({ validations: [{ expression: ' ', reason: 'Teapot', message: 'a\nb' }] }))).toEqual([
      'spec.validations[0].expression: Required value: expression is not specified',
      'spec.validations[0].message: Invalid value: "a\\nb": message must not contain line breaks',
      'spec.validations[0].reason: Unsupported value: "Teapot": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge"',
    ]);
  });

  test('CEL expressions must parse', () => {
    const errs = check(policies, policy({ validations: [{ expression: 'object.spec.replicas <=' }] }));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^spec\.validations\[0\]\.expression: Invalid value: "object\.spec\.replicas <=": compilation failed: /);
    const hookErrs = check(validating, { metadata: { name: 'w' }, webhooks: [hook({ matchConditions: [{ name: 'c', expression: '((' }] })] });
    expect(hookErrs[0]).toMatch(/^webhooks\[0\]\.matchConditions\[0\]\.expression: Invalid value: "\(\(": compilation failed: /);
  });

  test('bindings: policyName, paramRef and validationActions', () => {
    const b = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'b' }, spec });
    const ok = b({ policyName: 'replicas', validationActions: ['Deny'], paramRef: { name: 'limits', namespace: 'default' } });
    expect(check(bindings, ok)).toEqual([]);
    expect(ok.spec).toMatchObject({ paramRef: { parameterNotFoundAction: 'Deny' } });
    expect(check(bindings, b({ validationActions: ['Deny', 'Warn', 'Deny'], paramRef: { name: 'x', selector: {} } }))).toEqual([
      'spec.policyName: Required value',
      'spec.paramRef.name: Forbidden: name and selector are mutually exclusive',
      'spec.paramRef.selector: Forbidden: name and selector are mutually exclusive',
      'spec.validationActions[2]: Duplicate value: "Deny"',
      'spec.validationActions: Invalid value: []string{"Deny", "Warn", "Deny"}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
    ]);
    expect(check(bindings, b({ policyName: 'p' }))).toEqual(['spec.validationActions: Required value: at least one validation action is required']);
  });

  test('columns', () => {
    const p = { ...policy({ paramKind: { apiVersion: 'v1', kind: 'ConfigMap' } }), metadata: { name: 'replicas', creationTimestamp: '2026-01-10T11:59:00Z' } };
    expect((toTable(policies, [p], { includeObject: 'None', now }).rows as Array<{ cells: unknown[] }>)[0]!.cells).toEqual(['replicas', 1, 'v1/ConfigMap', '60s']);
    const b = { metadata: { name: 'b', creationTimestamp: '2026-01-10T11:59:00Z' }, spec: { policyName: 'replicas', paramRef: { name: 'limits' } } };
    expect((toTable(bindings, [b], { includeObject: 'None', now }).rows as Array<{ cells: unknown[] }>)[0]!.cells).toEqual(['b', 'replicas', '*/limits', '60s']);
  });
});
