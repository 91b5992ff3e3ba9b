import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { csidrivers, csinodes, storageclasses, volumeattachments } from '../../../../src/control/api/kinds/storage.js';
import { ingressclasses, ingresses, networkpolicies } from '../../../../src/control/api/kinds/networking.js';
import { toTable } from '../../../../src/control/api/table.js';

const now = new Date('2026-01-01T00:10:00Z');
const meta = (name: string, namespace?: string) => ({ name, ...(namespace ? { namespace } : {}), creationTimestamp: '2026-01-01T00:00:00Z' });
const cells = (r: Parameters<typeof toTable>[0], o: KubeObject) =>
  (toTable(r, [o], { includeObject: 'None', now }).rows as Array<{ cells: unknown[] }>)[0]!.cells;
const withDefaults = (r: { strategy: { default?: (o: KubeObject) => void } }, o: KubeObject): KubeObject => { r.strategy.default?.(o); return o; };

describe('storageclasses', () => {
  const make = (extra: Record<string, unknown> = {}, annotations?: Record<string, string>) => withDefaults(storageclasses,
    { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { ...meta('standard'), ...(annotations ? { annotations } : {}) }, provisioner: 'rancher.io/local-path', ...extra });

  test('defaults Delete and Immediate; provisioner required and qualified; policies from upstream\'s lists', () => {
    const o = make();
    expect(o).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
    expect(storageclasses.strategy.validate!(o)).toEqual([]);
    expect(storageclasses.strategy.validate!(make({ provisioner: '', reclaimPolicy: 'Recycle', volumeBindingMode: 'Later' }))).toEqual([
      { type: 'FieldValueRequired', field: 'provisioner', message: 'Required value' },
      { type: 'FieldValueNotSupported', field: 'reclaimPolicy', message: 'Unsupported value: "Recycle": supported values: "Delete", "Retain"' },
      { type: 'FieldValueNotSupported', field: 'volumeBindingMode', message: 'Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"' },
    ]);
  });

  test('provisioner, parameters, reclaimPolicy and volumeBindingMode are fixed', () => {
    const old = make({ parameters: { type: 'ssd' } });
    const next = { ...structuredClone(old), provisioner: 'other.io/x', parameters: { type: 'hdd' }, reclaimPolicy: 'Retain' };
    expect(storageclasses.strategy.validateUpdate!(next, old)).toEqual([
      { type: 'FieldValueForbidden', field: 'parameters', message: 'Forbidden: updates to parameters are forbidden.' },
      { type: 'FieldValueForbidden', field: 'provisioner', message: 'Forbidden: updates to provisioner are forbidden.' },
      { type: 'FieldValueForbidden', field: 'reclaimPolicy', message: 'Forbidden: updates to reclaimPolicy are forbidden.' },
    ]);
  });

  test('the default class prints "(default)" after its name', () => {
    const o = make({}, { 'storageclass.kubernetes.io/is-default-class': 'true' });
    expect(toTable(storageclasses, [o], { includeObject: 'None', now }).columnDefinitions).toHaveLength(6);
    expect(cells(storageclasses, o)).toEqual(['standard (default)', 'rancher.io/local-path', 'Delete', 'Immediate', false, '10m']);
    expect(cells(storageclasses, make())[0]).toBe('standard');
  });
});

describe('csidrivers, csinodes, volumeattachments', () => {
  test('CSIDriver spec defaults and token request rules', () => {
    const o = withDefaults(csidrivers, { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: meta('hostpath.csi.k8s.io'), spec: {} });
    expect(o.spec).toEqual({ attachRequired: true, podInfoOnMount: false, storageCapacity: false, fsGroupPolicy: 'ReadWriteOnceWithFSType',
      requiresRepublish: false, seLinuxMount: false, volumeLifecycleModes: ['Persistent'] });
    expect(csidrivers.strategy.validate!(o)).toEqual([]);
    (o.spec as Record<string, unknown>).tokenRequests = [{ audience: 'a', expirationSeconds: 60 }, { audience: 'a' }];
    expect(csidrivers.strategy.validate!(o)).toEqual([
      { type: 'FieldValueInvalid', field: 'spec.tokenRequests[0].expirationSeconds', message: 'Invalid value: 60: may not specify a duration less than 10 minutes' },
      { type: 'FieldValueDuplicate', field: 'spec.tokenRequests[1].audience', message: 'Duplicate value: "a"' },
    ]);
    expect(cells(csidrivers, o)).toEqual(['hostpath.csi.k8s.io', true, false, false, 'a,a', false, 'Persistent', '10m']);
  });

  test('CSIDriver: required fields at upstream\'s paths (attachRequired reported as attachedRequired); mode and attach fixed', () => {
    const bare: KubeObject = { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: meta('d.example.com'), spec: {} };
    expect(csidrivers.strategy.validate!(bare).map((e) => e.field)).toEqual(['spec.attachedRequired', 'spec.podInfoOnMount', 'spec.storageCapacity', 'spec.seLinuxMount']);
    const old = withDefaults(csidrivers, structuredClone(bare));
    const next = structuredClone(old);
    Object.assign(next.spec as Record<string, unknown>, { attachRequired: false, volumeLifecycleModes: ['Ephemeral'], podInfoOnMount: true });
    expect(csidrivers.strategy.validateUpdate!(next, old).map((e) => `${e.field}: ${e.message}`)).toEqual([
      'spec.attachedRequired: Invalid value: false: field is immutable',
      'spec.volumeLifecycleModes: Invalid value: []string{"Ephemeral"}: field is immutable',
    ]);
  });

  test('CSINode drivers need a node ID and unique names', () => {
    const o: KubeObject = { apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: meta('node-1'),
      spec: { drivers: [{ name: 'd.example.com', nodeID: 'n1', topologyKeys: ['topology.kubernetes.io/zone'] }, { name: 'd.example.com', nodeID: '' }] } };
    expect(csinodes.strategy.validate!(o)).toEqual([
      { type: 'FieldValueRequired', field: 'spec.drivers[1].nodeID', message: 'Required value' },
      { type: 'FieldValueDuplicate', field: 'spec.drivers[1].name', message: 'Duplicate value: "d.example.com"' },
    ]);
    expect(cells(csinodes, o)).toEqual(['node-1', 2, '10m']);
    // A driver that stays registered may not change; adding one may.
    const old: KubeObject = { ...o, spec: { drivers: [{ name: 'd.example.com', nodeID: 'n1' }] } };
    expect(csinodes.strategy.validateUpdate!({ ...old, spec: { drivers: [{ name: 'd.example.com', nodeID: 'n1' }, { name: 'e.example.com', nodeID: 'n1' }] } }, old)).toEqual([]);
    expect(csinodes.strategy.validateUpdate!({ ...old, spec: { drivers: [{ name: 'd.example.com', nodeID: 'n2' }] } }, old).map((e) => e.field)).toEqual(['spec.drivers']);
  });

  test('VolumeAttachment: attacher, node and exactly one source; the spec never changes', () => {
    const make = (source: Record<string, unknown>): KubeObject => ({ apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment', metadata: meta('va-1'),
      spec: { attacher: 'd.example.com', nodeName: 'node-1', source } });
    const o = make({ persistentVolumeName: 'pv-1' });
    expect(volumeattachments.strategy.validate!(o)).toEqual([]);
    expect(volumeattachments.strategy.validate!(make({}))).toEqual([
      { type: 'FieldValueRequired', field: 'spec.source', message: 'Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName' }]);
    const moved = structuredClone(o);
    (moved.spec as Record<string, unknown>).nodeName = 'node-2';
    expect(volumeattachments.strategy.validateUpdate!(moved, o).map((e) => e.field)).toEqual(['spec']);
    o.status = { attached: true };
    expect(cells(volumeattachments, o)).toEqual(['va-1', 'd.example.com', 'pv-1', 'node-1', true, '10m']);
  });
});

describe('networkpolicies', () => {
  const make = (spec: Record<string, unknown>) => withDefaults(networkpolicies,
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('np', 'default'), spec });

  test('defaults TCP ports and policy types from the rules', () => {
    const o = make({ podSelector: { matchLabels: { app: 'db' } }, ingress: [{ ports: [{ port: 5432 }] }], egress: [{}] });
    expect(o.spec).toMatchObject({ policyTypes: ['Ingress', 'Egress'], ingress: [{ ports: [{ port: 5432, protocol: 'TCP' }] }] });
    expect(networkpolicies.strategy.validate!(o)).toEqual([]);
    expect(make({ podSelector: {} }).spec).toMatchObject({ policyTypes: ['Ingress'] });
    expect(cells(networkpolicies, o)).toEqual(['np', 'app=db', '10m']);
    expect(cells(networkpolicies, make({ podSelector: {} }))[1]).toBe('<none>');
  });

  test('peers, ipBlocks, ports and policy types in upstream words', () => {
    const errs = networkpolicies.strategy.validate!(make({
      podSelector: {},
      ingress: [{ from: [{}, { ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24'] }, podSelector: {} }], ports: [{ port: 'http', endPort: 90 }, { port: 80, endPort: 70 }] }],
      policyTypes: ['Ingress', 'Sideways'],
    }));
    expect(errs).toEqual([
      { type: 'FieldValueInvalid', field: 'spec.ingress[0].ports[0].endPort', message: 'Invalid value: 90: may not be specified when `port` is non-numeric' },
      { type: 'FieldValueInvalid', field: 'spec.ingress[0].ports[1].endPort', message: 'Invalid value: 80: must be greater than or equal to `port`' },
      { type: 'FieldValueRequired', field: 'spec.ingress[0].from[0]', message: 'Required value: must specify a peer' },
      { type: 'FieldValueInvalid', field: 'spec.ingress[0].from[1].ipBlock.except[0]', message: 'Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`' },
      { type: 'FieldValueForbidden', field: 'spec.ingress[0].from[1]', message: 'Forbidden: may not specify both ipBlock and another peer' },
      { type: 'FieldValueNotSupported', field: 'spec.policyTypes[1]', message: 'Unsupported value: "Sideways": supported values: "Ingress", "Egress"' },
    ]);
  });
});

describe('ingresses and ingressclasses', () => {
  const make = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta('web', 'default'), spec });
  const backend = { service: { name: 'web', port: { number: 80 } } };

  test('rules or a default backend; pathType required; path rules by type', () => {
    expect(ingresses.strategy.validate!(make({}))).toEqual([
      { type: 'FieldValueInvalid', field: 'spec', message: 'Invalid value: null: either `defaultBackend` or `rules` must be specified' }]);
    const errs = ingresses.strategy.validate!(make({ rules: [{ host: '10.0.0.1', http: { paths: [
      { path: '/a', backend },
      { path: 'a//b', pathType: 'Prefix', backend },
      { path: '/', pathType: 'Regex', backend },
    ] } }, { host: '*.example.com', http: { paths: [] } }] }));
    expect(errs).toEqual([
      { type: 'FieldValueInvalid', field: 'spec.rules[0].host', message: 'Invalid value: "10.0.0.1": must be a DNS name, not an IP address' },
      { type: 'FieldValueRequired', field: 'spec.rules[0].http.paths[0].pathType', message: 'Required value: pathType must be specified' },
      { type: 'FieldValueInvalid', field: 'spec.rules[0].http.paths[1].path', message: 'Invalid value: "a//b": must be an absolute path' },
      { type: 'FieldValueInvalid', field: 'spec.rules[0].http.paths[1].path', message: 'Invalid value: "a//b": must not contain \'//\'' },
      { type: 'FieldValueNotSupported', field: 'spec.rules[0].http.paths[2].pathType', message: 'Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"' },
      { type: 'FieldValueRequired', field: 'spec.rules[1].http.paths', message: 'Required value' },
    ]);
  });

  test('backends: a service name and one of port name or number', () => {
    const path = (b: unknown) => make({ rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: b }] } }] });
    const p = 'spec.rules[0].http.paths[0].backend';
    expect(ingresses.strategy.validate!(path({ service: { name: '', port: {} } }))).toEqual([
      { type: 'FieldValueRequired', field: `${p}.service.name`, message: 'Required value' },
      { type: 'FieldValueRequired', field: p, message: 'Required value: port name or number is required' },
    ]);
    expect(ingresses.strategy.validate!(path({ service: { name: 'web', port: { name: 'http', number: 80 } } }))).toEqual([
      { type: 'FieldValueInvalid', field: p, message: 'Invalid value: "": cannot set both port name & port number' }]);
    expect(ingresses.strategy.validate!(path({}))).toEqual([
      { type: 'FieldValueInvalid', field: p, message: 'Invalid value: "": resource or service backend is required' }]);
  });

  test('columns: class, hosts, address and ports', () => {
    const o = make({ ingressClassName: 'nginx', rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }], tls: [{ hosts: ['a.example.com'] }] });
    expect(ingresses.strategy.validate!(o)).toEqual([]);
    o.status = { loadBalancer: { ingress: [{ ip: '10.0.0.9' }, { hostname: 'lb.example.com' }] } };
    expect(ingresses.strategy.validateUpdate!(o, o, 'status')).toEqual([]);
    const badStatus = { ...o, status: { loadBalancer: { ingress: [{ ip: 'ten' }, { hostname: '10.0.0.1' }] } } };
    expect(ingresses.strategy.validateUpdate!(badStatus, o, 'status')).toEqual([
      { type: 'FieldValueInvalid', field: 'status.loadBalancer.ingress[0].ip', message: 'Invalid value: "ten": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' },
      { type: 'FieldValueInvalid', field: 'status.loadBalancer.ingress[1].hostname', message: 'Invalid value: "10.0.0.1": must be a DNS name, not an IP address' },
    ]);
    expect(cells(ingresses, o)).toEqual(['web', 'nginx', 'a.example.com', '10.0.0.9,lb.example.com', '80, 443', '10m']);
    expect(cells(ingresses, make({ defaultBackend: backend })).slice(1, 5)).toEqual(['<none>', '*', '', '80']);
  });

  test('IngressClass: a domain-prefixed controller (fixed), parameters scope defaulted to Cluster', () => {
    const o = withDefaults(ingressclasses, { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: meta('nginx'),
      spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } } });
    expect((o.spec as { parameters: Record<string, unknown> }).parameters.scope).toBe('Cluster');
    expect(ingressclasses.strategy.validate!(o)).toEqual([]);
    expect(cells(ingressclasses, o)).toEqual(['nginx', 'k8s.io/ingress-nginx', 'IngressParameters.k8s.example.com/p', '10m']);
    const bad = structuredClone(o);
    (bad.spec as Record<string, unknown>).controller = 'nginx';
    expect(ingressclasses.strategy.validateUpdate!(bad, o)).toEqual([
      { type: 'FieldValueInvalid', field: 'spec.controller', message: 'Invalid value: "nginx": field is immutable' },
      { type: 'FieldValueInvalid', field: 'spec.controller', message: 'Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")' },
    ]);
  });
});
