import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { namespaces, configmaps, secrets, nodes, horizontalpodautoscalers, endpointslices } from '../../../../src/control/api/kinds/index.js';

describe('namespaces', () => {
  test('defaults and DNS-label names; no namespace on cluster-scoped objects', () => {
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } };
    namespaces.strategy.default!(ns);
    expect(ns).toMatchObject({ metadata: { labels: { 'kubernetes.io/metadata.name': 'team-a' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    expect(namespaces.strategy.validate!(ns)).toEqual([]);
    const dotted: KubeObject = { metadata: { name: 'team.a', namespace: 'x' } };
    expect(namespaces.strategy.validate!(dotted).map((e) => `${e.field} ${e.message}`)).toEqual([
      'metadata.name Invalid value: "team.a": must not contain dots',
      'metadata.namespace Forbidden: not allowed on this type',
    ]);
  });
});

describe('configmaps and secrets', () => {
  test('config keys are checked', () => {
    const cm: KubeObject = { metadata: { name: 'c', namespace: 'd' }, data: { 'ok.key': '1', 'bad/key': '2' } };
    const errs = configmaps.strategy.validate!(cm);
    expect(errs.map((e) => e.field)).toEqual(['data[bad/key]']);
    expect(errs[0]!.message).toMatch(/a valid config key must consist of alphanumeric characters/);
  });

  test('immutable configmaps cannot change data', () => {
    const old: KubeObject = { metadata: { name: 'c', namespace: 'd' }, immutable: true, data: { a: '1' } };
    const next: KubeObject = { ...structuredClone(old), data: { a: '2' } };
    expect(configmaps.strategy.validateUpdate!(next, old).map((e) => `${e.field} ${e.type}`)).toEqual(['data FieldValueForbidden']);
  });

  test('secret type defaults to Opaque, stringData folds into data, tls needs its keys', () => {
    const sec: KubeObject = { metadata: { name: 's', namespace: 'd' }, stringData: { password: 'hunter2' } };
    secrets.strategy.default!(sec);
    expect(sec).toMatchObject({ type: 'Opaque', data: { password: Buffer.from('hunter2').toString('base64') } });
    expect(sec.stringData).toBeUndefined();
    const tls: KubeObject = { metadata: { name: 's', namespace: 'd' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } };
    expect(secrets.strategy.validate!(tls).map((e) => `${e.field} ${e.type}`)).toEqual(['data[tls.key] FieldValueRequired']);
  });
});

describe('other kinds', () => {
  test('node allocatable defaults to capacity', () => {
    const n: KubeObject = { metadata: { name: 'n' }, status: { capacity: { cpu: '4', memory: '32Gi', pods: '110' } } };
    nodes.strategy.default!(n);
    expect((n.status as Record<string, unknown>).allocatable).toEqual({ cpu: '4', memory: '32Gi', pods: '110' });
    const set: KubeObject = { metadata: { name: 'n' }, status: { capacity: { cpu: '4' }, allocatable: { cpu: '3' } } };
    nodes.strategy.default!(set);
    expect((set.status as Record<string, unknown>).allocatable).toEqual({ cpu: '3' });
  });

  test('nodes are cluster-scoped subdomain names', () => {
    expect(nodes.strategy.validate!({ metadata: { name: 'node-1.example' } })).toEqual([]);
    expect(nodes.strategy.validate!({ metadata: { name: 'Node_1' } }).map((e) => e.field)).toEqual(['metadata.name']);
  });

  test('hpa defaults and replica bounds', () => {
    const hpa: KubeObject = { metadata: { name: 'h', namespace: 'd' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 5 } };
    horizontalpodautoscalers.strategy.default!(hpa);
    expect(hpa.spec).toMatchObject({ minReplicas: 1, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] });
    expect(horizontalpodautoscalers.strategy.validate!(hpa)).toEqual([]);
    (hpa.spec as Record<string, unknown>).minReplicas = 6;
    expect(horizontalpodautoscalers.strategy.validate!(hpa).map((e) => e.message)).toEqual(['Invalid value: 5: must be greater than or equal to `minReplicas`']);
  });

  test('endpointslices check address type and addresses', () => {
    const es: KubeObject = { metadata: { name: 'e', namespace: 'd' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1', 'fe80::1'] }], ports: [{ port: 80 }] };
    endpointslices.strategy.default!(es);
    expect(es.ports).toEqual([{ port: 80, name: '', protocol: 'TCP' }]);
    expect(endpointslices.strategy.validate!(es).map((e) => e.field)).toEqual(['endpoints[0].addresses[1]']);
  });
});

describe('byte fields', () => {
  test('secret data and configmap binaryData must be base64, without echoing the value', () => {
    const sec: KubeObject = { metadata: { name: 's', namespace: 'd' }, type: 'Opaque', data: { ok: 'aGk=', bad: 'not base64!' } };
    const errs = secrets.strategy.validate!(sec);
    expect(errs.map((e) => e.field)).toEqual(['data[bad]']);
    expect(errs[0]!.message).not.toContain('not base64');
    const cm: KubeObject = { metadata: { name: 'c', namespace: 'd' }, binaryData: { b: '%%%' } };
    expect(configmaps.strategy.validate!(cm).map((e) => e.field)).toEqual(['binaryData[b]']);
  });
});
