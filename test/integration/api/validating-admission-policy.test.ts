/**
 * ValidatingAdmissionPolicy against a real server: a policy bound with Deny refuses in upstream's words and code,
 * params from a ConfigMap (by name and by selector, parameterNotFoundAction), namespace selectors on the binding,
 * Warn gives a Warning header, messageExpression and variables, reason Forbidden, failurePolicy Ignore/Fail on
 * an expression that errors, and DELETE with oldObject.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigMaps, Deployments, Namespaces } from '../../../src/client/resources.js';
import { ApiError } from '../../../src/client/rest.js';
import type { KubeObject } from '../../../src/client/types.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

const Policies = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicies', namespaced: false };
const Bindings = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicybindings', namespaced: false };

let cluster: TestCluster;
beforeAll(async () => { cluster = await startTestCluster(); });
afterAll(async () => { await cluster?.close(); });

const deployment = (name: string, ns: string, replicas: number, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns, labels },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
} as KubeObject);

const policy = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name },
  spec: { failurePolicy: 'Fail', matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] }, ...spec },
} as KubeObject);
const binding = (name: string, policyName: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name },
  spec: { policyName, validationActions: ['Deny'], ...spec },
} as KubeObject);

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('the write was admitted');
}

describe('ValidatingAdmissionPolicy', () => {
  it('a Deny binding refuses with upstream wording, 422 Invalid, scoped by the binding namespaceSelector', async () => {
    const c = cluster.client;
    await c.create(Namespaces, { metadata: { name: 'vap-test', labels: { env: 'test' } } } as KubeObject);
    await c.create(Policies, policy('max-replicas', { validations: [{ expression: 'object.spec.replicas <= 5' }] }));
    await c.create(Bindings, binding('max-replicas-test', 'max-replicas', { matchResources: { namespaceSelector: { matchLabels: { env: 'test' } } } }));
    const err = await refusal(c.create(Deployments, deployment('big', 'vap-test', 6)));
    expect(err.code).toBe(422);
    expect(err.status?.reason).toBe('Invalid');
    expect(err.status?.message).toBe(`deployments.apps "big" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-test' denied request: failed expression: object.spec.replicas <= 5`);
    expect(err.status?.details).toMatchObject({ group: 'apps', kind: 'deployments', name: 'big', causes: [{ message: `ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-test' denied request: failed expression: object.spec.replicas <= 5` }] });
    // Within the limit it is admitted; outside the selected namespace the binding does not apply.
    await c.create(Deployments, deployment('small', 'vap-test', 5));
    await c.create(Deployments, deployment('big', 'default', 6));
    // Updates are checked too.
    const small = await c.get(Deployments, 'small', 'vap-test');
    const upd = await refusal(c.update(Deployments, { ...small, spec: { ...(small['spec'] as object), replicas: 9 } } as KubeObject));
    expect(upd.code).toBe(422);
    await c.delete(Bindings, undefined, 'max-replicas-test');
    await c.create(Deployments, deployment('big', 'vap-test', 6));
    await c.delete(Policies, undefined, 'max-replicas');
  });

  it('params from a ConfigMap by name, variables, messageExpression and reason Forbidden; a missing param follows parameterNotFoundAction', async () => {
    const c = cluster.client;
    await c.create(ConfigMaps, { metadata: { name: 'limits', namespace: 'default', labels: { role: 'limits' } }, data: { max: '3' } } as KubeObject);
    await c.create(Policies, policy('param-replicas', {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      variables: [{ name: 'limit', expression: 'int(params.data.max)' }],
      validations: [{ expression: 'object.spec.replicas <= variables.limit', messageExpression: "'replicas must be at most ' + string(variables.limit)", reason: 'Forbidden' }],
    }));
    await c.create(Bindings, binding('param-by-name', 'param-replicas', {
      paramRef: { name: 'limits', namespace: 'default', parameterNotFoundAction: 'Deny' },
      matchResources: { objectSelector: { matchLabels: { vap: 'params' } } },
    }));
    const err = await refusal(c.create(Deployments, deployment('p1', 'default', 4, { vap: 'params' })));
    expect(err.code).toBe(403);
    expect(err.status?.reason).toBe('Forbidden');
    expect(err.status?.message).toBe(`deployments.apps "p1" is forbidden: ValidatingAdmissionPolicy 'param-replicas' with binding 'param-by-name' denied request: replicas must be at most 3`);
    await c.create(Deployments, deployment('p2', 'default', 3, { vap: 'params' }));

    // A selector finding nothing: Deny refuses with upstream's message, Allow admits.
    await c.create(Bindings, binding('param-none', 'param-replicas', {
      paramRef: { selector: { matchLabels: { role: 'absent' } }, namespace: 'default', parameterNotFoundAction: 'Deny' },
      matchResources: { objectSelector: { matchLabels: { vap: 'noparam' } } },
    }));
    const none = await refusal(c.create(Deployments, deployment('p3', 'default', 1, { vap: 'noparam' })));
    expect(none.status?.message).toContain('no params found for policy binding with `Deny` parameterNotFoundAction');
    const allow = await c.get(Bindings, 'param-none');
    await c.update(Bindings, { ...allow, spec: { ...(allow['spec'] as object), paramRef: { selector: { matchLabels: { role: 'absent' } }, namespace: 'default', parameterNotFoundAction: 'Allow' } } } as KubeObject);
    await eventually('Allow admits', async () => {
      try {
        return await c.create(Deployments, deployment('p3', 'default', 1, { vap: 'noparam' }));
      } catch {
        return undefined;
      }
    });
    await c.delete(Bindings, undefined, 'param-none');
    await c.delete(Bindings, undefined, 'param-by-name');
    await c.delete(Policies, undefined, 'param-replicas');
  });

  it('Warn gives a Warning header; an erroring expression is ignored with failurePolicy Ignore and refuses with Fail', async () => {
    const c = cluster.client;
    await c.create(Policies, policy('warn-label', {
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
      validations: [{ expression: "has(object.metadata.labels) && 'team' in object.metadata.labels", message: 'every ConfigMap needs a team label' }],
    }));
    await c.create(Bindings, binding('warn-label', 'warn-label', { validationActions: ['Warn'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'default' } } } }));
    const res = await eventually('the warning is sent', async () => {
      const r = await fetch(`${cluster.url}/api/v1/namespaces/default/configmaps`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { generateName: 'w-' } }),
      });
      return r.headers.get('warning') ? r : undefined;
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('warning')).toContain(`299 - "Validation failed for ValidatingAdmissionPolicy 'warn-label' with binding 'warn-label': every ConfigMap needs a team label"`);
    await c.delete(Bindings, undefined, 'warn-label');

    await c.create(Policies, policy('erroring', {
      failurePolicy: 'Ignore',
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'DELETE'], resources: ['configmaps'] }] },
      validations: [{ expression: "object.data.missing == 'x'" }],
    }));
    await c.create(Bindings, binding('erroring', 'erroring', { matchResources: { objectSelector: { matchLabels: { vap: 'err' } } } }));
    await c.create(ConfigMaps, { metadata: { name: 'e1', namespace: 'default', labels: { vap: 'err' } }, data: { a: 'b' } } as KubeObject);
    const p = await c.get(Policies, 'erroring');
    await c.update(Policies, { ...p, spec: { ...(p['spec'] as object), failurePolicy: 'Fail' } } as KubeObject);
    const err = await eventually('Fail refuses', async () => {
      try {
        await c.create(ConfigMaps, { metadata: { generateName: 'e-', namespace: 'default', labels: { vap: 'err' } }, data: { a: 'b' } } as KubeObject);
        return undefined;
      } catch (e) {
        return e instanceof ApiError ? e : undefined;
      }
    });
    expect(err.code).toBe(422);
    expect(err.status?.message).toMatch(/^configmaps "e-[a-z0-9]{5}" is forbidden: ValidatingAdmissionPolicy 'erroring' with binding 'erroring' denied request: expression 'object.data.missing == 'x'' resulted in error: /);
    // DELETE: object is null, the expression errors on it and Fail refuses; oldObject is what was stored.
    const del = await refusal(c.delete(ConfigMaps, 'default', 'e1'));
    expect(del.status?.message).toContain(`configmaps "e1" is forbidden: ValidatingAdmissionPolicy 'erroring'`);
    await c.delete(Bindings, undefined, 'erroring');
    await c.delete(ConfigMaps, 'default', 'e1');
  });
});
