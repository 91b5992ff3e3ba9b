import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { limitranges, resourcequotas } from '../../../../src/control/api/kinds/quota.js';
import { persistentvolumes, persistentvolumeclaims } from '../../../../src/control/api/kinds/volumes.js';
import { podtemplates } from '../../../../src/control/api/kinds/podtemplates.js';
import { toTable } from '../../../../src/control/api/table.js';

const now = new Date('2026-01-01T00:10:00Z');
const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), creationTimestamp: '2026-01-01T00:00:00Z' });
const cells = (r: Parameters<typeof toTable>[0], o: KubeObject) =>
  (toTable(r, [o], { includeObject: 'None', now }).rows as Array<{ cells: unknown[] }>)[0]!.cells;
const fields = (errs: Array<{ field: string }>) => errs.map((e) => e.field);

describe('limitranges', () => {
  const make = (limits: unknown[]): KubeObject => {
    const o: KubeObject = { apiVersion: 'v1', kind: 'LimitRange', metadata: meta('lr', 'default'), spec: { limits } };
    limitranges.strategy.default!(o);
    return o;
  };

  test('a Container default limit comes from max, its default request from the default limit', () => {
    const o = make([{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }]);
    expect((o.spec as { limits: unknown[] }).limits[0]).toMatchObject({
      default: { cpu: '2' }, defaultRequest: { cpu: '2', memory: '64Mi' },
    });
    expect(limitranges.strategy.validate!(o)).toEqual([]);
  });

  test('min above max, defaults on Pod limits, duplicate types and unknown resources, in upstream words', () => {
    const errs = limitranges.strategy.validate!(make([
      { type: 'Container', min: { cpu: '2' }, max: { cpu: '1' }, default: { cpu: '1' } },
      { type: 'Pod', default: { cpu: '1' }, max: { gpu: '1' } },
      { type: 'Container' },
    ]));
    expect(errs).toContainEqual({ type: 'FieldValueInvalid', field: 'spec.limits[0].min[cpu]', message: 'Invalid value: "2": min value 2 is greater than max value 1' });
    expect(errs).toContainEqual({ type: 'FieldValueForbidden', field: 'spec.limits[1].default', message: "Forbidden: may not be specified when `type` is 'Pod'" });
    expect(errs).toContainEqual({ type: 'FieldValueInvalid', field: 'spec.limits[1].max[gpu]', message: 'Invalid value: "gpu": must be a standard resource type or fully qualified' });
    expect(errs).toContainEqual({ type: 'FieldValueDuplicate', field: 'spec.limits[2].type', message: 'Duplicate value: "Container"' });
  });

  test('a PersistentVolumeClaim limit needs a storage bound; unknown limit types are refused', () => {
    const errs = limitranges.strategy.validate!(make([{ type: 'PersistentVolumeClaim', max: {} }, { type: 'Volume' }]));
    expect(errs).toEqual([
      { type: 'FieldValueRequired', field: 'spec.limits[0].limits', message: 'Required value: either minimum or maximum storage value is required, but neither was provided' },
      { type: 'FieldValueInvalid', field: 'spec.limits[1].type', message: 'Invalid value: "Volume": must be a standard limit type or fully qualified' },
    ]);
  });

  test('prints the default table: Name and Created At', () => {
    expect(cells(limitranges, make([]))).toEqual(['lr', '2026-01-01T00:00:00Z']);
  });
});

describe('resourcequotas', () => {
  const make = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: meta('q', 'default'), spec });
  const v = (spec: Record<string, unknown>) => resourcequotas.strategy.validate!(make(spec));

  test('hard: quota resource names, non-negative and whole counts', () => {
    expect(v({ hard: { pods: '10', 'requests.cpu': '1', 'count/deployments.apps': '3' } })).toEqual([]);
    expect(v({ hard: { pods: '1500m', memory: '-1Gi', bogus: '1' } })).toEqual([
      { type: 'FieldValueInvalid', field: 'spec.hard[pods]', message: 'Invalid value: "1500m": must be an integer' },
      { type: 'FieldValueInvalid', field: 'spec.hard[memory]', message: 'Invalid value: "-1Gi": must be greater than or equal to 0' },
      { type: 'FieldValueInvalid', field: 'spec.hard[bogus]', message: 'Invalid value: "bogus": must be a standard resource type or fully qualified' },
      { type: 'FieldValueInvalid', field: 'spec.hard[bogus]', message: 'Invalid value: "bogus": must be a standard resource for quota' },
    ]);
  });

  test('scopes: unsupported, conflicting, and scopes that do not fit the resources', () => {
    expect(v({ hard: { pods: '1' }, scopes: ['BestEffort', 'NotBestEffort'] })).toContainEqual(
      { type: 'FieldValueInvalid', field: 'spec.scopes', message: 'Invalid value: []string{"BestEffort", "NotBestEffort"}: conflicting scopes' });
    expect(v({ hard: { services: '1' }, scopes: ['Terminating'] })).toEqual([
      { type: 'FieldValueInvalid', field: 'spec.scopes', message: 'Invalid value: []string{"Terminating"}: unsupported scope applied to resource' }]);
    expect(fields(v({ hard: { pods: '1' }, scopes: ['Nightly'] }))).toEqual(['spec.scopes']);
  });

  test('scopeSelector: operators as upstream requires them', () => {
    const errs = v({ hard: { pods: '1' }, scopeSelector: { matchExpressions: [
      { scopeName: 'PriorityClass', operator: 'In' },
      { scopeName: 'BestEffort', operator: 'DoesNotExist' },
    ] } });
    expect(errs).toEqual([
      { type: 'FieldValueRequired', field: 'spec.scopeSelector.matchExpressions.values', message: "Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector" },
      { type: 'FieldValueInvalid', field: 'spec.scopeSelector.matchExpressions.operator', message: "Invalid value: \"DoesNotExist\": must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity" },
    ]);
  });

  test('Request and Limit columns read status, sorted, limits.* apart', () => {
    const o = make({ hard: {} });
    o.status = { hard: { pods: '10', 'limits.cpu': '2', 'requests.memory': '1Gi' }, used: { pods: '3' } };
    expect(cells(resourcequotas, o)).toEqual(['q', 'pods: 3/10, requests.memory: 0/1Gi', 'limits.cpu: 0/2', '10m']);
  });
});

describe('persistentvolumes', () => {
  const make = (spec: Record<string, unknown>): KubeObject => {
    const o: KubeObject = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: meta('pv-1'), spec };
    persistentvolumes.strategy.default!(o);
    return o;
  };
  const good = { capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' } };

  test('defaults Retain, Filesystem and the Pending phase', () => {
    const o = make({ ...good });
    expect(o.spec).toMatchObject({ persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' });
    expect(o.status).toEqual({ phase: 'Pending' });
    expect(persistentvolumes.strategy.validate!(o)).toEqual([]);
  });

  test('capacity, access modes and exactly one volume source are required', () => {
    expect(persistentvolumes.strategy.validate!(make({})).map((e) => `${e.field}: ${e.message}`)).toEqual([
      'spec.accessModes: Required value',
      'spec.capacity: Required value',
      // Upstream reports a missing storage key too, even for an empty capacity.
      'spec.capacity: Unsupported value: {}: supported values: "storage"',
      'spec: Required value: must specify a volume type',
    ]);
    expect(persistentvolumes.strategy.validate!(make({ ...good, hostPath: { path: '//' }, persistentVolumeReclaimPolicy: 'Recycle' }))).toEqual([
      { type: 'FieldValueForbidden', field: 'spec.persistentVolumeReclaimPolicy', message: "Forbidden: may not be 'recycle' for a hostPath mount of '/'" }]);
    const errs = persistentvolumes.strategy.validate!(make({ ...good, accessModes: ['ReadWriteOncePod', 'ReadMostly'], nfs: { server: 's', path: 'x' } }));
    expect(errs).toContainEqual({ type: 'FieldValueNotSupported', field: 'spec.accessModes', message: 'Unsupported value: "ReadMostly": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"' });
    expect(errs).toContainEqual({ type: 'FieldValueForbidden', field: 'spec.accessModes', message: 'Forbidden: may not use ReadWriteOncePod with other access modes' });
    expect(errs).toContainEqual({ type: 'FieldValueForbidden', field: 'spec.nfs', message: 'Forbidden: may not specify more than 1 volume type' });
  });

  test('the volume source may not change', () => {
    const old = make({ ...good });
    const next = structuredClone(old);
    (next.spec as Record<string, unknown>).hostPath = { path: '/other' };
    expect(fields(persistentvolumes.strategy.validateUpdate!(next, old))).toEqual(['spec.persistentvolumesource']);
  });

  test('columns: capacity, modes, policy, status, claim, class', () => {
    const o = make({ ...good, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], storageClassName: 'fast', claimRef: { namespace: 'ns', name: 'c' } });
    expect(cells(persistentvolumes, o)).toEqual(['pv-1', '5Gi', 'RWO,RWX', 'Retain', 'Pending', 'ns/c', 'fast', '<unset>', '', '10m', 'Filesystem']);
  });
});

describe('persistentvolumeclaims', () => {
  const make = (spec: Record<string, unknown>): KubeObject => {
    const o: KubeObject = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('data', 'default'), spec };
    persistentvolumeclaims.strategy.default!(o);
    return o;
  };
  const good = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };

  test('defaults Filesystem and Pending; access modes and a storage request are required', () => {
    const o = make({ ...good });
    expect(o.spec).toMatchObject({ volumeMode: 'Filesystem' });
    expect(o.status).toEqual({ phase: 'Pending' });
    expect(persistentvolumeclaims.strategy.validate!(o)).toEqual([]);
    expect(persistentvolumeclaims.strategy.validate!(make({ storageClassName: 'Fast_1' }))).toEqual([
      { type: 'FieldValueRequired', field: 'spec.accessModes', message: 'Required value: at least 1 access mode is required' },
      { type: 'FieldValueRequired', field: 'spec.resources[storage]', message: 'Required value' },
      expect.objectContaining({ field: 'spec.storageClassName', type: 'FieldValueInvalid' }),
    ]);
    expect(persistentvolumeclaims.strategy.validate!(make({ ...good, resources: { requests: { storage: '0' } } }))).toEqual([
      { type: 'FieldValueInvalid', field: 'spec.resources[storage]', message: 'Invalid value: "0": must be greater than zero' }]);
  });

  test('the spec is fixed once created; a bound claim may grow its request, never below its capacity', () => {
    const old = make({ ...good });
    const grown = structuredClone(old);
    (grown.spec as { resources: { requests: Record<string, string> } }).resources.requests.storage = '2Gi';
    const IMMUTABLE = 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';
    // Pending: the request is part of the fixed spec.
    expect(persistentvolumeclaims.strategy.validateUpdate!(grown, old).map((e) => e.message)).toEqual([IMMUTABLE]);
    const bound = { ...structuredClone(old), spec: { ...(old.spec as object), volumeName: 'pv-1' }, status: { phase: 'Bound', capacity: { storage: '1Gi' } } };
    const boundGrown = { ...structuredClone(bound), spec: { ...(bound.spec as object), resources: { requests: { storage: '2Gi' } } } };
    expect(persistentvolumeclaims.strategy.validateUpdate!(boundGrown, bound)).toEqual([]);
    const shrunk = { ...structuredClone(boundGrown), spec: { ...(bound.spec as object), resources: { requests: { storage: '512Mi' } } } };
    expect(persistentvolumeclaims.strategy.validateUpdate!(shrunk, boundGrown)).toEqual([
      { type: 'FieldValueForbidden', field: 'spec.resources.requests.storage', message: 'Forbidden: field can not be less than status.capacity' }]);
    // The binder's first volumeName is allowed, as is a status write.
    expect(persistentvolumeclaims.strategy.validateUpdate!({ ...structuredClone(old), spec: { ...(old.spec as object), volumeName: 'pv-1' } }, old)).toEqual([]);
    expect(persistentvolumeclaims.strategy.validateUpdate!({ ...structuredClone(old), status: { phase: 'Bound', capacity: { storage: 'lots' } } }, old, 'status')
      .map((e) => e.field)).toEqual(['status.capacity[storage]']);
    const changed = structuredClone(old);
    (changed.spec as Record<string, unknown>).accessModes = ['ReadWriteMany'];
    expect(persistentvolumeclaims.strategy.validateUpdate!(changed, old)).toEqual([{ type: 'FieldValueForbidden', field: 'spec',
      message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims' }]);
  });

  test('columns: capacity and modes only once bound', () => {
    const o = make({ ...good, storageClassName: 'standard' });
    expect(cells(persistentvolumeclaims, o)).toEqual(['data', 'Pending', '', '', '', 'standard', '<unset>', '10m', 'Filesystem']);
    (o.spec as Record<string, unknown>).volumeName = 'pv-1';
    o.status = { phase: 'Bound', capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'] };
    expect(cells(persistentvolumeclaims, o).slice(1, 5)).toEqual(['Bound', 'pv-1', '5Gi', 'RWO']);
  });
});

describe('podtemplates', () => {
  test('defaults and validates its template as a pod spec; prints containers, images and pod labels', () => {
    const o: KubeObject = { apiVersion: 'v1', kind: 'PodTemplate', metadata: meta('tpl', 'default'),
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } };
    podtemplates.strategy.default!(o);
    expect(o.template).toMatchObject({ spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' } });
    expect(podtemplates.strategy.validate!(o)).toEqual([]);
    expect(cells(podtemplates, o)).toEqual(['tpl', 'c', 'nginx', 'app=web']);
    const bad = structuredClone(o);
    (bad.template as { spec: { containers: unknown[] } }).spec.containers = [];
    expect(fields(podtemplates.strategy.validate!(bad))).toEqual(['template.spec.containers']);
  });
});
