import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { pods } from '../../../../src/control/api/kinds/index.js';
import { defaultPullPolicy } from '../../../../src/control/api/kinds/strategies/podspec.js';

const s = pods.strategy;
const pod = (spec: Record<string, unknown>, name = 'web'): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec });
const defaulted = (o: KubeObject): KubeObject => { s.default!(o); return o; };
const causes = (o: KubeObject) => s.validate!(o).map((e) => `${e.field} ${e.type}`);

describe('pod defaulting', () => {
  test('fills upstream defaults on spec, containers and status', () => {
    const p = defaulted(pod({ containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] }));
    expect(p.spec).toMatchObject({
      restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30, securityContext: {}, enableServiceLinks: true,
    });
    expect((p.spec as { containers: unknown[] }).containers[0]).toEqual({
      name: 'c', image: 'nginx', imagePullPolicy: 'Always', ports: [{ containerPort: 80, protocol: 'TCP' }],
      terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: {},
    });
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  test('keeps what the user set and copies limits to requests', () => {
    const p = defaulted(pod({ restartPolicy: 'Never', containers: [{ name: 'c', image: 'nginx:1.27', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }));
    const c = (p.spec as { containers: Array<Record<string, unknown>> }).containers[0]!;
    expect((p.spec as Record<string, unknown>).restartPolicy).toBe('Never');
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.resources).toEqual({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } });
    expect((p.status as Record<string, unknown>).qosClass).toBe('Guaranteed');
  });

  test('the deprecated serviceAccount mirrors serviceAccountName, as upstream\'s v1 conversion', () => {
    const spec = (o: KubeObject) => o.spec as Record<string, unknown>;
    // Only the name given: the alias repeats it.
    expect(spec(defaulted(pod({ serviceAccountName: 'builder', containers: [] }))).serviceAccount).toBe('builder');
    // Only the alias given: it names the account.
    const alias = spec(defaulted(pod({ serviceAccount: 'old-client', containers: [] })));
    expect([alias.serviceAccountName, alias.serviceAccount]).toEqual(['old-client', 'old-client']);
    // Both given and different: serviceAccountName wins, the alias follows it.
    const both = spec(defaulted(pod({ serviceAccountName: 'new', serviceAccount: 'old', containers: [] })));
    expect([both.serviceAccountName, both.serviceAccount]).toEqual(['new', 'new']);
    // An empty name takes the alias; neither given: no alias appears.
    expect(spec(defaulted(pod({ serviceAccountName: '', serviceAccount: 'x', containers: [] }))).serviceAccountName).toBe('x');
    expect('serviceAccount' in spec(defaulted(pod({ containers: [] })))).toBe(false);
    expect('serviceAccount' in spec(defaulted(pod({ serviceAccount: '', containers: [] })))).toBe(false);
  });

  test('pull policy from the image reference', () => {
    expect(defaultPullPolicy('nginx')).toBe('Always');
    expect(defaultPullPolicy('nginx:latest')).toBe('Always');
    expect(defaultPullPolicy('localhost:5000/app')).toBe('Always');
    expect(defaultPullPolicy('localhost:5000/app:v2')).toBe('IfNotPresent');
    expect(defaultPullPolicy('nginx@sha256:abc')).toBe('IfNotPresent');
  });
});

describe('pod validation', () => {
  test('a defaulted ordinary pod is valid', () => {
    expect(s.validate!(defaulted(pod({ containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 80 }] }] })))).toEqual([]);
  });

  test('bad name gives upstream message at metadata.name', () => {
    const errs = s.validate!(defaulted(pod({ containers: [{ name: 'c', image: 'nginx' }] }, 'Foo_bar')));
    expect(errs).toHaveLength(1);
    expect(errs[0]!.field).toBe('metadata.name');
    expect(errs[0]!.message).toMatch(/^Invalid value: "Foo_bar": a lowercase RFC 1123 subdomain must consist of/);
  });

  test('missing containers, image, duplicate names, bad ports', () => {
    expect(causes(defaulted(pod({ containers: [] })))).toEqual(['spec.containers FieldValueRequired']);
    expect(causes(defaulted(pod({
      containers: [
        { name: 'c', image: '', ports: [{ containerPort: 0 }, { containerPort: 70000, protocol: 'ICMP', name: 'Bad_Name' }] },
        { name: 'c', image: 'x' },
        { name: 'Upper', image: 'x' },
      ],
    })))).toEqual([
      'spec.containers[0].image FieldValueRequired',
      'spec.containers[0].ports[0].containerPort FieldValueRequired',
      'spec.containers[0].ports[1].name FieldValueInvalid',
      'spec.containers[0].ports[1].containerPort FieldValueInvalid',
      'spec.containers[0].ports[1].protocol FieldValueNotSupported',
      'spec.containers[1].name FieldValueDuplicate',
      'spec.containers[2].name FieldValueInvalid',
    ]);
  });

  test('restart policy enum with upstream supported values', () => {
    const errs = s.validate!(defaulted(pod({ restartPolicy: 'Sometimes', containers: [{ name: 'c', image: 'x' }] })));
    expect(errs).toEqual([{ type: 'FieldValueNotSupported', field: 'spec.restartPolicy', message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"' }]);
  });

  test('volume mounts must name a volume; namespace is required', () => {
    const p = defaulted(pod({ containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/d' }] }] }));
    delete p.metadata!.namespace;
    expect(causes(p)).toEqual(['metadata.namespace FieldValueRequired', 'spec.containers[0].volumeMounts[0].name FieldValueNotFound']);
  });

  test('a volume names exactly one type: none is required, each extra one forbidden in the API\'s field order', () => {
    // The extra types are written in another order than the API lists them (hostPath, emptyDir, …, configMap,
    // …, projected); the errors follow the API's order, the first one found being the volume's type.
    const p = defaulted(pod({
      containers: [{ name: 'c', image: 'x' }],
      volumes: [
        { name: 'many', projected: { sources: [] }, configMap: { name: 'cm' }, emptyDir: {}, secret: null, unknownType: {} },
        { name: 'none', secret: null },
        { name: 'one', projected: { sources: [] } },
      ],
    }));
    expect(s.validate!(p)).toEqual([
      { type: 'FieldValueForbidden', field: 'spec.volumes[0].configMap', message: 'Forbidden: may not specify more than 1 volume type' },
      { type: 'FieldValueForbidden', field: 'spec.volumes[0].projected', message: 'Forbidden: may not specify more than 1 volume type' },
      { type: 'FieldValueRequired', field: 'spec.volumes[1]', message: 'Required value: must specify a volume type' },
    ]);
  });
});

describe('pod updates', () => {
  const base = () => defaulted(pod({ containers: [{ name: 'c', image: 'nginx:1' }], tolerations: [{ key: 'a', operator: 'Exists' }] }));

  test('image, activeDeadlineSeconds and added tolerations may change', () => {
    const old = base();
    const next = structuredClone(old);
    const spec = next.spec as Record<string, unknown> & { containers: Array<Record<string, unknown>>; tolerations: unknown[] };
    spec.containers[0]!.image = 'nginx:2';
    spec.activeDeadlineSeconds = 100;
    spec.tolerations.push({ key: 'b', operator: 'Exists' });
    expect(s.validateUpdate!(next, old)).toEqual([]);
  });

  test('anything else is forbidden with upstream message', () => {
    const old = base();
    const next = structuredClone(old);
    (next.spec as Record<string, unknown>).nodeName = 'node-2';
    const errs = s.validateUpdate!(next, old);
    expect(errs).toHaveLength(1);
    expect(errs[0]!.field).toBe('spec');
    expect(errs[0]!.type).toBe('FieldValueForbidden');
    expect(errs[0]!.message).toMatch(/^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\),`spec.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n/);
    expect(errs[0]!.message).toContain('spec.nodeName');
  });

  test('a pod stored before the serviceAccount alias was mirrored updates; its serviceAccountName still may not change', () => {
    const stored = defaulted(pod({ serviceAccountName: 'default', containers: [{ name: 'c', image: 'nginx:1' }] }));
    delete (stored.spec as Record<string, unknown>).serviceAccount;
    const relabelled = defaulted(structuredClone({ ...stored, metadata: { ...stored.metadata, labels: { a: 'b' } } }));
    expect((relabelled.spec as Record<string, unknown>).serviceAccount).toBe('default');
    expect(s.validateUpdate!(relabelled, stored)).toEqual([]);
    const moved = structuredClone(stored);
    (moved.spec as Record<string, unknown>).serviceAccountName = 'other';
    expect(s.validateUpdate!(defaulted(moved), stored).map((e) => e.field)).toEqual(['spec']);
  });

  test('removing a toleration or renaming is rejected', () => {
    const old = base();
    const next = structuredClone(old);
    (next.spec as Record<string, unknown>).tolerations = [];
    expect(s.validateUpdate!(next, old).map((e) => e.field)).toEqual(['spec.tolerations']);
    const renamed = structuredClone(old);
    renamed.metadata!.name = 'other';
    expect(s.validateUpdate!(renamed, old).map((e) => `${e.field} ${e.message}`)).toEqual(['metadata.name Invalid value: "other": field is immutable']);
  });
});

describe('pod updates through /status', () => {
  test('a write that keeps the stored spec object checks metadata only; a changed spec is still checked', () => {
    const spec = { containers: [{ name: 'c', image: 'x' }], restartPolicy: 'Always' };
    const old = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec } as KubeObject;
    const validateUpdate = pods.strategy.validateUpdate!;
    expect(validateUpdate({ ...old, status: { phase: 'Running' } }, old, 'status')).toEqual([]);
    expect(validateUpdate({ ...old, metadata: { ...old.metadata, uid: 'other' } }, old, 'status').map((e) => e.field)).toContain('metadata.uid');
    const changed = validateUpdate({ ...old, spec: { ...spec, restartPolicy: 'Never' } }, old, '');
    expect(changed.map((e) => e.field)).toContain('spec');
  });
});

describe('pod status writes', () => {
  const invalidSpec = { containers: [{ name: 'Not_A_Name', image: 'nginx' }] };
  const validateStatus = s.validateStatus!;

  test('validate the metadata, not the stored spec the write keeps', () => {
    const old = pod(invalidSpec);
    expect(causes(old)).toContain('spec.containers[0].name FieldValueInvalid');
    expect(validateStatus({ ...old, status: { phase: 'Running' } }, old)).toEqual([]);
    const badLabel = { ...old, metadata: { ...old.metadata, labels: { 'a b': 'x' } } };
    expect(validateStatus(badLabel, old).map((e) => e.field)).toEqual(['metadata.labels']);
  });

  test('validate the whole pod when the spec is not the stored one', () => {
    const old = pod({ containers: [{ name: 'c', image: 'nginx' }] });
    expect(validateStatus({ ...old, spec: invalidSpec }, old).map((e) => `${e.field} ${e.type}`)).toEqual(causes(pod(invalidSpec)));
  });
});
