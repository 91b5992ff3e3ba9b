import { describe, expect, test } from 'vitest';
import { checkBodyTypes, firstTypeError, holdsDeclaredFieldsOnly, NAMED_TYPES } from '../../../../src/control/api/validation/decode-types.js';
import { pruneUnknownFields } from '../../../../src/control/api/routes/unknown-fields.js';
import { ApiError } from '../../../../src/control/api/status.js';
import { QUANTITY_FORMAT_ERROR } from '../../../../src/control/api/validation/quantities.js';
import { definitionSchema, resolveSchema } from '../../../../src/control/api/schema/index.js';

const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';
const POD = 'io.k8s.api.core.v1.Pod';
const SERVICE = 'io.k8s.api.core.v1.Service';
const SECRET = 'io.k8s.api.core.v1.Secret';

const deployment = (spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = { name: 'd' }) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata,
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'd' } },
    template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    ...spec,
  },
});

const podSpec = (spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec });
const container = (extra: Record<string, unknown>) => ({ name: 'c', image: 'busybox', ...extra });
const unmarshal = (value: string, field: string, type: string) => `json: cannot unmarshal ${value} into Go struct field ${field} of type ${type}`;

describe('firstTypeError: well-typed bodies', () => {
  test('a full Deployment, nulls for optional fields and unknown fields all decode', () => {
    expect(firstTypeError(deployment(), DEPLOYMENT)).toBeUndefined();
    expect(firstTypeError(deployment({ replicas: null, paused: null, strategy: null }, { name: 'd', labels: null }), DEPLOYMENT)).toBeUndefined();
    expect(firstTypeError(deployment({ notAField: 'x', alsoNot: { deep: [1] } }), DEPLOYMENT)).toBeUndefined();
    expect(firstTypeError(deployment({}, { name: 'd', labels: { a: null } }), DEPLOYMENT)).toBeUndefined();
  });

  test('a definition the catalog does not know is not checked', () => {
    expect(firstTypeError({ spec: { replicas: 'three' } }, 'io.example.v1.Widget')).toBeUndefined();
  });
});

describe('firstTypeError: JSON kind mismatches', () => {
  test('string into int32 (the pointer field names its element type)', () => {
    expect(firstTypeError(deployment({ replicas: 'three' }), DEPLOYMENT)).toBe(unmarshal('string', 'DeploymentSpec.spec.replicas', 'int32'));
  });
  test('number into string', () => {
    expect(firstTypeError(deployment({}, { name: 5 }), DEPLOYMENT)).toBe(unmarshal('number', 'ObjectMeta.metadata.name', 'string'));
  });
  test('string into bool', () => {
    expect(firstTypeError(podSpec({ hostNetwork: 'yes', containers: [] }), POD)).toBe(unmarshal('string', 'PodSpec.spec.hostNetwork', 'bool'));
  });
  test('bool into string', () => {
    expect(firstTypeError(podSpec({ containers: [container({ image: true })] }), POD)).toBe(unmarshal('bool', 'Container.spec.containers.image', 'string'));
  });
  test('scalar into a struct field names the struct type with its Go package', () => {
    expect(firstTypeError({ ...deployment(), spec: 'x' }, DEPLOYMENT)).toBe(unmarshal('string', 'Deployment.spec', 'v1.DeploymentSpec'));
    expect(firstTypeError({ ...deployment(), metadata: 7 }, DEPLOYMENT)).toBe(unmarshal('number', 'Deployment.metadata', 'v1.ObjectMeta'));
  });
  test('array into a struct, object into a slice, object into a string', () => {
    expect(firstTypeError(deployment({ selector: [] }), DEPLOYMENT)).toBe(unmarshal('array', 'DeploymentSpec.spec.selector', 'v1.LabelSelector'));
    expect(firstTypeError(podSpec({ containers: { name: 'c' } }), POD)).toBe(unmarshal('object', 'PodSpec.spec.containers', '[]v1.Container'));
    expect(firstTypeError(podSpec({ containers: [container({ args: ['a', { b: 1 }] })] }), POD)).toBe(unmarshal('object', 'Container.spec.containers.args', 'string'));
  });
  test('maps: wrong value type and a non-object for the map', () => {
    expect(firstTypeError(deployment({}, { name: 'd', labels: { a: 1 } }), DEPLOYMENT)).toBe(unmarshal('number', 'ObjectMeta.metadata.labels', 'string'));
    expect(firstTypeError(deployment({}, { name: 'd', labels: ['a'] }), DEPLOYMENT)).toBe(unmarshal('array', 'ObjectMeta.metadata.labels', 'map[string]string'));
  });
  test('a body that is not an object names the root type', () => {
    expect(firstTypeError([1], DEPLOYMENT)).toBe('json: cannot unmarshal array into Go value of type v1.Deployment');
  });
  test('Time fields decode a Go string first', () => {
    expect(firstTypeError(deployment({}, { name: 'd', creationTimestamp: 5 }), DEPLOYMENT)).toBe(unmarshal('number', 'ObjectMeta.metadata.creationTimestamp', 'string'));
    expect(firstTypeError(deployment({}, { name: 'd', creationTimestamp: '2024-01-01T00:00:00Z' }), DEPLOYMENT)).toBeUndefined();
  });
  test('[]byte values: base64 strings pass, other kinds name []uint8', () => {
    const secret = (data: unknown) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data });
    expect(firstTypeError(secret({ a: 'aGk=' }), SECRET)).toBeUndefined();
    expect(firstTypeError(secret({ a: 5 }), SECRET)).toBe(unmarshal('number', 'Secret.data', '[]uint8'));
    expect(firstTypeError(secret({ a: [104, 300] }), SECRET)).toBe(unmarshal('number 300', 'Secret.data', 'uint8'));
  });
});

describe('firstTypeError: integer formats', () => {
  test('int32 bounds are inclusive', () => {
    expect(firstTypeError(deployment({ replicas: 2147483647 }), DEPLOYMENT)).toBeUndefined();
    expect(firstTypeError(deployment({ replicas: -2147483648 }), DEPLOYMENT)).toBeUndefined();
    expect(firstTypeError(deployment({ replicas: 2147483648 }), DEPLOYMENT)).toBe(unmarshal('number 2147483648', 'DeploymentSpec.spec.replicas', 'int32'));
    expect(firstTypeError(deployment({ replicas: -2147483649 }), DEPLOYMENT)).toBe(unmarshal('number -2147483649', 'DeploymentSpec.spec.replicas', 'int32'));
    expect(firstTypeError(deployment({ replicas: 99999999999 }), DEPLOYMENT)).toBe(unmarshal('number 99999999999', 'DeploymentSpec.spec.replicas', 'int32'));
  });
  test('fractions are not integers', () => {
    expect(firstTypeError(deployment({ replicas: 2.5 }), DEPLOYMENT)).toBe(unmarshal('number 2.5', 'DeploymentSpec.spec.replicas', 'int32'));
  });
  test('int64 takes what int32 does not, up to 2^63', () => {
    expect(firstTypeError(podSpec({ containers: [], activeDeadlineSeconds: 99999999999 }), POD)).toBeUndefined();
    expect(firstTypeError(podSpec({ containers: [], activeDeadlineSeconds: 2 ** 63 }), POD)).toBe(
      unmarshal('number 9223372036854776000', 'PodSpec.spec.activeDeadlineSeconds', 'int64'),
    );
    expect(firstTypeError(podSpec({ containers: [], activeDeadlineSeconds: 0.5 }), POD)).toBe(unmarshal('number 0.5', 'PodSpec.spec.activeDeadlineSeconds', 'int64'));
  });
});

describe('firstTypeError: nested lists', () => {
  test('the path names struct fields only, not list indexes', () => {
    const body = deployment({
      template: {
        spec: { containers: [container({}), container({ ports: [{ containerPort: 80 }, { containerPort: '8080' }] })] },
      },
    });
    expect(firstTypeError(body, DEPLOYMENT)).toBe(unmarshal('string', 'ContainerPort.spec.template.spec.containers.ports.containerPort', 'int32'));
  });
  test('a scalar where a list item struct belongs names the item type', () => {
    expect(firstTypeError(podSpec({ containers: ['nginx'] }), POD)).toBe(unmarshal('string', 'PodSpec.spec.containers', 'v1.Container'));
  });
  test('a null list item is accepted', () => {
    expect(firstTypeError(podSpec({ containers: [null, container({})] }), POD)).toBeUndefined();
  });
});

describe('firstTypeError: IntOrString and Quantity', () => {
  const surge = (maxSurge: unknown) => deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge } } });
  const SURGE = 'RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge';
  test('IntOrString takes strings and int32 numbers', () => {
    expect(firstTypeError(surge('25%'), DEPLOYMENT)).toBeUndefined();
    expect(firstTypeError(surge(3), DEPLOYMENT)).toBeUndefined();
  });
  test('IntOrString decodes anything unquoted as int32', () => {
    expect(firstTypeError(surge(true), DEPLOYMENT)).toBe(unmarshal('bool', SURGE, 'int32'));
    expect(firstTypeError(surge(1.5), DEPLOYMENT)).toBe(unmarshal('number 1.5', SURGE, 'int32'));
    expect(firstTypeError(surge(2 ** 31), DEPLOYMENT)).toBe(unmarshal('number 2147483648', SURGE, 'int32'));
    expect(firstTypeError(surge({}), DEPLOYMENT)).toBe(unmarshal('object', SURGE, 'int32'));
  });
  test('a Service targetPort is IntOrString too', () => {
    const svc = (targetPort: unknown) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort }] } });
    expect(firstTypeError(svc('http'), SERVICE)).toBeUndefined();
    expect(firstTypeError(svc([8080]), SERVICE)).toBe(unmarshal('array', 'ServicePort.spec.ports.targetPort', 'int32'));
  });
  test('Quantity takes strings and numbers; other kinds fail its format check', () => {
    const limits = (cpu: unknown) => podSpec({ containers: [container({ resources: { limits: { cpu } } })] });
    expect(firstTypeError(limits('500m'), POD)).toBeUndefined();
    expect(firstTypeError(limits(0.5), POD)).toBeUndefined();
    expect(firstTypeError(limits(true), POD)).toBe(QUANTITY_FORMAT_ERROR);
    expect(firstTypeError(limits({ n: 1 }), POD)).toBe(QUANTITY_FORMAT_ERROR);
  });
  test('a resource list that is not a map names v1.ResourceList', () => {
    const body = podSpec({ containers: [container({ resources: { limits: 'lots' } })] });
    expect(firstTypeError(body, POD)).toBe(unmarshal('string', 'ResourceRequirements.spec.containers.resources.limits', 'v1.ResourceList'));
  });
});

describe('firstTypeError: named string types', () => {
  test('scalar enum fields print their Go type', () => {
    expect(firstTypeError(podSpec({ containers: [container({ ports: [{ containerPort: 80, protocol: 6 }] })] }), POD)).toBe(
      unmarshal('number', 'ContainerPort.spec.containers.ports.protocol', 'v1.Protocol'),
    );
    expect(firstTypeError(podSpec({ containers: [], restartPolicy: false }), POD)).toBe(unmarshal('bool', 'PodSpec.spec.restartPolicy', 'v1.RestartPolicy'));
    expect(firstTypeError(deployment({}, { name: 'd', uid: 5 }), DEPLOYMENT)).toBe(unmarshal('number', 'ObjectMeta.metadata.uid', 'types.UID'));
  });
  test('slices of a named type name the slice, then the item', () => {
    const caps = (add: unknown) => podSpec({ containers: [container({ securityContext: { capabilities: { add } } })] });
    expect(firstTypeError(caps(['NET_ADMIN']), POD)).toBeUndefined();
    expect(firstTypeError(caps('NET_ADMIN'), POD)).toBe(unmarshal('string', 'Capabilities.spec.containers.securityContext.capabilities.add', '[]v1.Capability'));
    expect(firstTypeError(caps([1]), POD)).toBe(unmarshal('number', 'Capabilities.spec.containers.securityContext.capabilities.add', 'v1.Capability'));
  });
  test('every listed field exists in the schema as a string or a list of strings', () => {
    for (const [definition, fields] of NAMED_TYPES) {
      const props = definitionSchema(definition)?.properties;
      expect(props, definition).toBeDefined();
      for (const [field, type] of Object.entries(fields)) {
        const s = resolveSchema(props![field]);
        const scalar = type.startsWith('[]') ? resolveSchema(s?.items) : s;
        expect(scalar?.type, `${definition}.${field}`).toBe('string');
        expect(s?.type, `${definition}.${field}`).toBe(type.startsWith('[]') ? 'array' : 'string');
      }
    }
  });
});

describe('firstTypeError: which error is reported', () => {
  test('the first plain type error in document order', () => {
    expect(firstTypeError(deployment({ replicas: 'three', minReadySeconds: 'ten' }), DEPLOYMENT)).toBe(unmarshal('string', 'DeploymentSpec.spec.replicas', 'int32'));
    const reordered = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { minReadySeconds: 'ten', replicas: 'three' } };
    expect(firstTypeError(reordered, DEPLOYMENT)).toBe(unmarshal('string', 'DeploymentSpec.spec.minReadySeconds', 'int32'));
  });
  test('an error raised by a self-decoding type ends decoding and wins over an earlier plain error', () => {
    const body = deployment({ replicas: 'three', strategy: { rollingUpdate: { maxUnavailable: false } } });
    expect(firstTypeError(body, DEPLOYMENT)).toBe(unmarshal('bool', 'RollingUpdateDeployment.spec.strategy.rollingUpdate.maxUnavailable', 'int32'));
  });
});

describe('checkBodyTypes', () => {
  const target = { group: 'apps', version: 'v1', kind: 'Deployment', definition: DEPLOYMENT };
  test('a type error is 400 BadRequest in kube-apiserver words', () => {
    let err: unknown;
    try {
      checkBodyTypes(target, deployment({ replicas: 'three' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(400);
    expect((err as ApiError).reason).toBe('BadRequest');
    expect((err as ApiError).message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
  });
  test('a well-typed body comes back as is', () => {
    const body = deployment();
    expect(checkBodyTypes(target, body)).toBe(body);
  });
  test('another apiVersion or kind is left to the body checks', () => {
    const wrongKind = { ...deployment({ replicas: 'three' }), kind: 'ReplicaSet' };
    expect(checkBodyTypes(target, wrongKind)).toBe(wrongKind);
    const wrongVersion = { ...deployment({ replicas: 'three' }), apiVersion: 'apps/v1beta1' };
    expect(checkBodyTypes(target, wrongVersion)).toBe(wrongVersion);
  });
  test('a body without apiVersion and kind is still checked', () => {
    const { apiVersion: _a, kind: _k, ...bare } = deployment({ replicas: 99999999999 });
    expect(() => checkBodyTypes(target, bare)).toThrow(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 99999999999 into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
  });
});

/**
 * checkBodyTypes remembers a body whose every field its schema declares, so the unknown-fields walk that follows
 * skips it: a body that holds an undeclared field anywhere (or an object under a free-form part) must still be
 * walked, and then pruned and reported as before.
 */
describe('checkBodyTypes: bodies with declared fields only', () => {
  const LEASE = 'io.k8s.api.coordination.v1.Lease';
  const target = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', definition: LEASE };
  const lease = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'n1', namespace: 'kube-node-lease' }) =>
    ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, spec });

  test('a clean body is remembered for its own definition only; the prune then finds nothing, as the walk would', () => {
    const body = lease({ holderIdentity: 'n1', leaseDurationSeconds: 40 });
    checkBodyTypes(target, body);
    expect(holdsDeclaredFieldsOnly(body, LEASE)).toBe(true);
    expect(holdsDeclaredFieldsOnly(body, POD)).toBe(false);
    expect(pruneUnknownFields(body, LEASE)).toEqual([]);
    expect(pruneUnknownFields(structuredClone(body), LEASE)).toEqual([]);
  });

  test('an undeclared field at the top, in spec, in metadata or in a list item: walked, pruned and reported', () => {
    const bodies = [
      { ...lease({ holderIdentity: 'n1' }), extra: 1 },
      lease({ holderIdentity: 'n1', bogus: true }),
      lease({ holderIdentity: 'n1' }, { name: 'n1', nope: 'x' }),
      lease({ holderIdentity: 'n1' }, { name: 'n1', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u', what: 1 }] }),
    ];
    const found = bodies.map((b) => {
      checkBodyTypes(target, b);
      expect(holdsDeclaredFieldsOnly(b, LEASE)).toBe(false);
      return pruneUnknownFields(b, LEASE);
    });
    expect(found).toEqual([['extra'], ['spec.bogus'], ['metadata.nope'], ['metadata.ownerReferences[0].what']]);
  });

  test('a body with a type error is not remembered (it is refused)', () => {
    const body = lease({ holderIdentity: 5 });
    expect(() => checkBodyTypes(target, body)).toThrow(ApiError);
    expect(holdsDeclaredFieldsOnly(body, LEASE)).toBe(false);
  });
});

describe('pruneUnknownFields after a patch', () => {
  const LEASE = 'io.k8s.api.coordination.v1.Lease';
  const lease = (spec: Record<string, unknown>) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1' }, spec });

  test('members shared with the stored object are not walked; the rest are pruned and reported', () => {
    // A stored member is pruned when stored: one it still held here (it cannot, outside this test) shows it is skipped.
    const spec = { holderIdentity: 'n1', leftAlone: true };
    const stored = { ...lease({ holderIdentity: 'n1' }), spec };
    const patched = { ...stored, metadata: { name: 'n1', nope: 'x' } };
    expect(pruneUnknownFields(patched, LEASE, stored)).toEqual(['metadata.nope']);
    expect(patched.spec).toEqual({ holderIdentity: 'n1', leftAlone: true });
    const copied = { ...patched, spec: { ...spec } };
    expect(pruneUnknownFields(copied, LEASE, stored)).toEqual(['spec.leftAlone']);
  });
});
