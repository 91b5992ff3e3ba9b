import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { services } from '../../../../src/control/api/kinds/index.js';

const s = services.strategy;
const svc = (spec: Record<string, unknown>, name = 'web'): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec });
const defaulted = (o: KubeObject): KubeObject => { s.default!(o); return o; };
const causes = (o: KubeObject) => s.validate!(o).map((e) => `${e.field} ${e.type}`);

describe('service defaulting', () => {
  test('ClusterIP defaults', () => {
    const o = defaulted(svc({ selector: { app: 'web' }, ports: [{ port: 80 }] }));
    expect(o.spec).toEqual({
      selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], type: 'ClusterIP',
      sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
    });
    expect(o.status).toEqual({ loadBalancer: {} });
  });

  test('NodePort and LoadBalancer get an external traffic policy; ClientIP affinity a timeout', () => {
    const np = defaulted(svc({ type: 'NodePort', ports: [{ port: 80, targetPort: 'http' }], sessionAffinity: 'ClientIP' }));
    expect(np.spec).toMatchObject({ externalTrafficPolicy: 'Cluster', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } }, ports: [{ targetPort: 'http' }] });
    const lb = defaulted(svc({ type: 'LoadBalancer', ports: [{ port: 443 }] }));
    expect(lb.spec).toMatchObject({ externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true });
  });
});

describe('service validation', () => {
  test('a defaulted service is valid; a headless one too', () => {
    expect(s.validate!(defaulted(svc({ selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] })))).toEqual([]);
    expect(s.validate!(defaulted(svc({ clusterIP: 'None', ports: [{ port: 80 }] })))).toEqual([]);
  });

  test('names are RFC 1035 labels', () => {
    const errs = s.validate!(defaulted(svc({ ports: [{ port: 80 }] }, '1web')));
    expect(errs.map((e) => e.field)).toEqual(['metadata.name']);
    expect(errs[0]!.message).toMatch(/a DNS-1035 label must consist of/);
  });

  test('ports: required, range, names when several, duplicates, protocol', () => {
    expect(causes(defaulted(svc({ ports: [] })))).toEqual(['spec.ports FieldValueRequired']);
    expect(causes(defaulted(svc({
      ports: [{ port: 0 }, { name: 'a', port: 80, protocol: 'HTTP' }, { name: 'a', port: 81 }],
    })))).toEqual([
      'spec.ports[0].name FieldValueRequired',
      'spec.ports[0].port FieldValueInvalid',
      'spec.ports[0].targetPort FieldValueInvalid',
      'spec.ports[1].protocol FieldValueNotSupported',
      'spec.ports[2].name FieldValueDuplicate',
    ]);
  });

  test('type enum, nodePort on ClusterIP, selector labels', () => {
    expect(s.validate!(defaulted(svc({ type: 'Magic', ports: [{ port: 80 }] })))[0]).toEqual({
      type: 'FieldValueNotSupported', field: 'spec.type',
      message: 'Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    });
    expect(causes(defaulted(svc({ ports: [{ port: 80, nodePort: 30080 }], selector: { 'bad key!': 'x' } }))))
      .toEqual(['spec.ports[0].nodePort FieldValueForbidden', 'spec.selector FieldValueInvalid']);
  });

  test('ExternalName needs a name and no ports', () => {
    expect(s.validate!(defaulted(svc({ type: 'ExternalName', externalName: 'db.example.com' })))).toEqual([]);
    expect(causes(defaulted(svc({ type: 'ExternalName' })))).toEqual(['spec.externalName FieldValueRequired']);
  });

  test('cluster IP may not change once set', () => {
    const old = defaulted(svc({ clusterIP: '10.96.0.10', ports: [{ port: 80 }] }));
    old.metadata!.resourceVersion = '5';
    const next = structuredClone(old);
    (next.spec as Record<string, unknown>).clusterIP = '10.96.0.11';
    expect(s.validateUpdate!(next, old).map((e) => `${e.field} ${e.message}`)).toEqual(['spec.clusterIPs[0] Invalid value: "10.96.0.11": may not change once set']);
  });
});
