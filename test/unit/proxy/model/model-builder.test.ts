import { describe, expect, it } from 'vitest';
import { buildServicePorts, buildServicePortsCached, ServicePortCache, type EndpointSliceObject, type ServiceObject } from '../../../../src/dataplane/proxy/model-builder.js';
import { categorizeEndpoints } from '../../../../src/dataplane/proxy/categorize.js';

function svc(name: string, spec: ServiceObject['spec'], status?: ServiceObject['status']): ServiceObject {
  return { metadata: { namespace: 'ns', name }, spec, status };
}
function slice(name: string, service: string, endpoints: EndpointSliceObject['endpoints'], ports: EndpointSliceObject['ports'], addressType = 'IPv4'): EndpointSliceObject {
  return { metadata: { namespace: 'ns', name, labels: { 'kubernetes.io/service-name': service } }, addressType, endpoints, ports };
}

describe('buildServicePorts', () => {
  it('drops ExternalName, headless and IPv6-only services', () => {
    const out = buildServicePorts(
      [
        svc('ext', { type: 'ExternalName', ports: [{ port: 80 }] }),
        svc('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
        svc('v6', { clusterIP: 'fd00::1', clusterIPs: ['fd00::1'], ports: [{ port: 80 }] }),
        svc('ok', { clusterIP: '10.96.0.5', ports: [{ port: 80 }] }),
      ],
      [],
      'n1',
    );
    expect(out.map((s) => s.name)).toEqual(['ok']);
    expect(out[0]).toMatchObject({ type: 'ClusterIP', protocol: 'TCP', portName: '', port: 80, nodePort: 0, endpoints: [] });
  });

  it('picks the IPv4 cluster IP of a dual-stack service', () => {
    const [sp] = buildServicePorts([svc('ds', { clusterIP: 'fd00::9', clusterIPs: ['fd00::9', '10.96.0.9'], ports: [{ port: 53, protocol: 'UDP' }] })], [], '');
    expect(sp).toMatchObject({ clusterIP: '10.96.0.9', protocol: 'UDP' });
  });

  it('matches endpoints to service ports by port name and protocol', () => {
    const out = buildServicePorts(
      [svc('web', { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }, { name: 'dns', port: 53, protocol: 'UDP' }] })],
      [
        slice('web-a', 'web', [{ addresses: ['10.244.1.2'], nodeName: 'n1' }, { addresses: ['10.244.2.2'], nodeName: 'n2' }], [
          { name: 'http', port: 8080 },
          { name: 'dns', port: 5353, protocol: 'TCP' },
        ]),
      ],
      'n1',
    );
    const http = out.find((s) => s.portName === 'http')!;
    expect(http.endpoints).toEqual([
      { ip: '10.244.1.2', port: 8080, ready: true, serving: true, terminating: false, isLocal: true },
      { ip: '10.244.2.2', port: 8080, ready: true, serving: true, terminating: false, isLocal: false },
    ]);
    expect(out.find((s) => s.portName === 'https')!.endpoints).toEqual([]);
    // A TCP slice port named dns does not feed the UDP service port dns.
    expect(out.find((s) => s.portName === 'dns')!.endpoints).toEqual([]);
  });

  it('defaults conditions as upstream: ready nil = true, serving nil = ready, terminating nil = false', () => {
    const [sp] = buildServicePorts(
      [svc('c', { clusterIP: '10.96.0.11', ports: [{ port: 80 }] })],
      [
        slice('c-1', 'c', [
          { addresses: ['10.0.0.1'] },
          { addresses: ['10.0.0.2'], conditions: { ready: false } },
          { addresses: ['10.0.0.3'], conditions: { ready: false, serving: true, terminating: true } },
          { addresses: ['10.0.0.4'], conditions: { ready: null, serving: null, terminating: null } },
        ], [{ port: 8080 }]),
      ],
      'n1',
    );
    expect(sp!.endpoints.map((e) => [e.ip, e.ready, e.serving, e.terminating, e.isLocal])).toEqual([
      ['10.0.0.1', true, true, false, false],
      ['10.0.0.2', false, false, false, false],
      ['10.0.0.3', false, true, true, false],
      ['10.0.0.4', true, true, false, false],
    ]);
  });

  it('dedupes endpoints across slices, a ready copy winning, and ignores non-IPv4 slices and other services', () => {
    const [sp] = buildServicePorts(
      [svc('d', { clusterIP: '10.96.0.12', ports: [{ port: 80 }] })],
      [
        slice('d-1', 'd', [{ addresses: ['10.0.0.1'], conditions: { ready: false } }], [{ port: 80 }]),
        slice('d-2', 'd', [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }], [{ port: 80 }]),
        slice('d-3', 'd', [{ addresses: ['fd00::1'] }], [{ port: 80 }], 'IPv6'),
        slice('other', 'other', [{ addresses: ['10.0.0.9'] }], [{ port: 80 }]),
      ],
      'n1',
    );
    expect(sp!.endpoints.map((e) => `${e.ip}:${e.ready}`)).toEqual(['10.0.0.1:true', '10.0.0.2:true']);
  });

  it('carries NodePort, LoadBalancer, affinity and traffic policies', () => {
    const [sp] = buildServicePorts(
      [
        svc(
          'lb',
          {
            type: 'LoadBalancer', clusterIP: '10.96.0.13', ports: [{ port: 80, nodePort: 30080 }], externalIPs: ['192.0.2.1', 'fd00::2'],
            loadBalancerSourceRanges: [' 203.0.113.0/24 '], sessionAffinity: 'ClientIP', externalTrafficPolicy: 'Local',
            internalTrafficPolicy: 'Local', healthCheckNodePort: 32000,
          },
          { loadBalancer: { ingress: [{ ip: '198.51.100.1' }, { ip: '198.51.100.2', ipMode: 'Proxy' }, { hostname: 'x' } as { ip?: string }] } },
        ),
      ],
      [],
      'n1',
    );
    expect(sp).toMatchObject({
      type: 'LoadBalancer', nodePort: 30080, externalIPs: ['192.0.2.1'], loadBalancerIPs: ['198.51.100.1'],
      loadBalancerSourceRanges: ['203.0.113.0/24'], affinityTimeoutSeconds: 10800, externalTrafficLocal: true,
      internalTrafficLocal: true, healthCheckNodePort: 32000,
    });
    const [np] = buildServicePorts([svc('np', { type: 'ClusterIP', clusterIP: '10.96.0.14', ports: [{ port: 80 }], externalTrafficPolicy: 'Local', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })], [], 'n1');
    // externalTrafficPolicy means nothing for a ClusterIP service without external IPs.
    expect(np).toMatchObject({ externalTrafficLocal: false, affinityTimeoutSeconds: 60 });
  });

  it('sorts output by service port name and endpoints by address', () => {
    const out = buildServicePorts(
      [svc('b', { clusterIP: '10.96.0.2', ports: [{ port: 80 }] }), svc('a', { clusterIP: '10.96.0.1', ports: [{ port: 80 }] })],
      [slice('b-1', 'b', [{ addresses: ['10.0.0.10'] }, { addresses: ['10.0.0.9'] }], [{ port: 80 }])],
      '',
    );
    expect(out.map((s) => s.name)).toEqual(['a', 'b']);
    expect(out[1]!.endpoints.map((e) => e.ip)).toEqual(['10.0.0.9', '10.0.0.10']);
  });
});

describe('categorizeEndpoints', () => {
  const base = buildServicePorts([svc('x', { clusterIP: '10.96.0.20', ports: [{ port: 80 }] })], [], 'n1')[0]!;
  const ep = (ip: string, ready: boolean, serving: boolean, terminating: boolean, isLocal: boolean) => ({ ip, port: 80, ready, serving, terminating, isLocal });

  it('uses ready endpoints, falling back to serving terminating ones', () => {
    const c = categorizeEndpoints({ ...base, endpoints: [ep('10.0.0.1', true, true, false, false), ep('10.0.0.2', false, true, true, false)] });
    expect(c.internal.map((e) => e.ip)).toEqual(['10.0.0.1']);
    const t = categorizeEndpoints({ ...base, endpoints: [ep('10.0.0.2', false, true, true, false), ep('10.0.0.3', false, false, false, false)] });
    expect(t.internal.map((e) => e.ip)).toEqual(['10.0.0.2']);
    expect(t.hasEndpoints).toBe(true);
  });

  it('keeps only local endpoints for Local policies and reports no endpoints when none', () => {
    const c = categorizeEndpoints({ ...base, externalTrafficLocal: true, endpoints: [ep('10.0.0.1', true, true, false, false), ep('10.0.0.2', true, true, false, true)] });
    expect(c.internal.map((e) => e.ip)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(c.external.map((e) => e.ip)).toEqual(['10.0.0.2']);
    const none = categorizeEndpoints({ ...base, internalTrafficLocal: true, endpoints: [ep('10.0.0.1', true, true, false, false)] });
    expect(none.internal).toEqual([]);
    expect(none.hasEndpoints).toBe(true);
    expect(categorizeEndpoints(base).hasEndpoints).toBe(false);
  });
});

describe('buildServicePortsCached', () => {
  it('equals buildServicePorts and reuses the objects of untouched services', () => {
    const svcs = [svc('a', { clusterIP: '10.96.0.1', ports: [{ port: 80 }, { name: 'x', port: 81 }] }), svc('b', { clusterIP: '10.96.0.2', ports: [{ port: 80 }] })];
    const slices = [slice('a-1', 'a', [{ addresses: ['10.0.0.1'] }], [{ port: 80 }]), slice('b-1', 'b', [{ addresses: ['10.0.0.2'] }], [{ port: 80 }])];
    const cache = new ServicePortCache();
    const first = buildServicePortsCached(svcs, slices, 'n1', cache);
    expect(first).toEqual(buildServicePorts(svcs, slices, 'n1'));
    // b's slice replaced (as an informer does on update): only b's port is rebuilt.
    const slices2 = [slices[0]!, slice('b-1', 'b', [{ addresses: ['10.0.0.3'] }], [{ port: 80 }])];
    const second = buildServicePortsCached(svcs, slices2, 'n1', cache);
    expect(second).toEqual(buildServicePorts(svcs, slices2, 'n1'));
    expect(second.filter((sp) => sp.name === 'a').every((sp, i) => sp === first.filter((f) => f.name === 'a')[i])).toBe(true);
    expect(second.find((sp) => sp.name === 'b')).not.toBe(first.find((sp) => sp.name === 'b'));
    // A removed Service disappears; a new slice object for a service rebuilds it.
    const third = buildServicePortsCached([svcs[0]!], [{ ...slices[0]! }], 'n1', cache);
    expect(third.map((sp) => sp.name)).toEqual(['a', 'a']);
    expect(third[0]).not.toBe(second[0]);
  });
});
