import { describe, expect, it } from 'vitest';
import { endpointHostname, expandIPv6, ipKey, normalizeName, podLabelToIP, relativeLabels, reverseToIP, reverseZoneOf } from '../../../src/dataplane/dns/names.js';
import { kubeDnsSlice, kubeDnsSliceName } from '../../../src/dataplane/dns/publish.js';
import { buildSnapshot, DnsIndex, serviceEntry } from '../../../src/dataplane/dns/snapshot.js';
import { clusterIPService, headlessService, slice } from './fixtures.js';

describe('DNS names', () => {
  it('normalises case and the trailing dot; splits off the zone', () => {
    expect(normalizeName('Web.Default.SVC.Cluster.Local.')).toBe('web.default.svc.cluster.local');
    expect(normalizeName('.')).toBe('');
    expect(relativeLabels('a.b.cluster.local', 'cluster.local')).toEqual(['a', 'b']);
    expect(relativeLabels('cluster.local', 'cluster.local')).toEqual([]);
    expect(relativeLabels('xcluster.local', 'cluster.local')).toBeNull();
  });

  it('reverse names to addresses, IPv4 and IPv6, and back to one key', () => {
    expect(reverseToIP('4.3.2.1.in-addr.arpa')).toBe('1.2.3.4');
    expect(reverseToIP('3.2.1.in-addr.arpa')).toBeNull();
    expect(reverseToIP('256.3.2.1.in-addr.arpa')).toBeNull();
    expect(reverseToIP('04.3.2.1.in-addr.arpa')).toBeNull();
    const v6 = 'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa';
    expect(ipKey(reverseToIP(v6)!)).toBe(ipKey('4321:0:1:2:3:4:567:89ab'));
    expect(expandIPv6('fd00::5')).toBe('fd00:0000:0000:0000:0000:0000:0000:0005');
    expect(expandIPv6('::ffff:10.0.0.1')).toBe('0000:0000:0000:0000:0000:ffff:0a00:0001');
    expect(expandIPv6('10.0.0.1')).toBeNull();
    expect(reverseZoneOf('1.in-addr.arpa')).toBe('in-addr.arpa');
    expect(reverseZoneOf('ip6.arpa')).toBe('ip6.arpa');
    expect(reverseZoneOf('arpa')).toBeNull();
  });

  it('endpoint hostnames: the field, else the address with dashes; pod labels back to addresses', () => {
    expect(endpointHostname('Web-0', '10.0.0.1')).toBe('web-0');
    expect(endpointHostname(undefined, '10.0.0.1')).toBe('10-0-0-1');
    expect(endpointHostname(null, 'fd00::1')).toBe('fd00--1');
    expect(podLabelToIP('10-244-1-5')).toBe('10.244.1.5');
    expect(podLabelToIP('fd00--5')).toBe('fd00::5');
    expect(podLabelToIP('web-0')).toBeNull();
  });
});

describe('DNS snapshot', () => {
  it('merges slices, skips FQDN ones, answers an endpoint once, indexes reverse names', () => {
    const snap = buildSnapshot(
      [headlessService('db', 'prod', [{ name: 'pg', port: 5432 }])],
      [
        slice('db', 'prod', [{ ip: '10.0.0.1', hostname: 'db-0' }], [{ name: 'pg', port: 5432 }], 'IPv4', 'a'),
        slice('db', 'prod', [{ ip: '10.0.0.1', hostname: 'db-0' }, { ip: 'fd00::2' }], [{ name: 'pg', port: 5432 }], 'IPv4', 'b'),
        slice('db', 'prod', [{ ip: 'db.example.com' }], [{ name: 'pg', port: 5432 }], 'FQDN', 'c'),
        slice('other', 'prod', [{ ip: '10.0.0.9' }], [], 'IPv4', 'd'),
      ],
      null,
    );
    const db = snap.service('prod', 'db')!;
    expect(db.endpoints.map((e) => `${e.hostname}=${e.ip}`)).toEqual(['db-0=10.0.0.1', 'fd00--2=fd00::2']);
    expect(snap.endpointNamesForIP('10.0.0.1')).toEqual(['db-0.db.prod']);
    expect(snap.endpointNamesForIP('10.0.0.9')).toEqual([]);
    expect(snap.namespaces).toBeNull();
    expect(snap.namespaceExists('prod')).toBe(true);
  });
});

describe('DNS index, kept per Service', () => {
  it('replacing an entry moves its addresses in the reverse indexes; removing drops them', () => {
    const idx = new DnsIndex();
    const eps = [slice('db', 'prod', [{ ip: '10.0.0.1', hostname: 'db-0' }], [{ name: 'pg', port: 5432 }])];
    idx.set('prod/db', serviceEntry(clusterIPService('db', 'prod', '10.96.0.7', [{ name: 'pg', port: 5432 }]), eps));
    expect(idx.serviceForIP('10.96.0.7')?.name).toBe('db');
    expect(idx.endpointNamesForIP('10.0.0.1')).toEqual(['db-0.db.prod']);
    const moved = [slice('db', 'prod', [{ ip: '10.0.0.2', hostname: 'db-0' }], [{ name: 'pg', port: 5432 }])];
    idx.set('prod/db', serviceEntry(clusterIPService('db', 'prod', '10.96.0.8', [{ name: 'pg', port: 5432 }]), moved));
    expect(idx.serviceForIP('10.96.0.7')).toBeUndefined();
    expect(idx.serviceForIP('10.96.0.8')?.name).toBe('db');
    expect(idx.endpointNamesForIP('10.0.0.1')).toEqual([]);
    expect(idx.endpointNamesForIP('10.0.0.2')).toEqual(['db-0.db.prod']);
    idx.set('prod/db', null);
    expect(idx.service('prod', 'db')).toBeUndefined();
    expect(idx.serviceForIP('10.96.0.8')).toBeUndefined();
    expect(idx.endpointNamesForIP('10.0.0.2')).toEqual([]);
  });

  it('an address two Services claim answers with the first by namespace/name, whatever the order of events', () => {
    const idx = new DnsIndex();
    idx.set('b/x', serviceEntry(clusterIPService('x', 'b', '10.96.0.9', [{ port: 1 }]), []));
    idx.set('a/y', serviceEntry(clusterIPService('y', 'a', '10.96.0.9', [{ port: 1 }]), []));
    expect(idx.serviceForIP('10.96.0.9')?.namespace).toBe('a');
    idx.set('a/y', null);
    expect(idx.serviceForIP('10.96.0.9')?.namespace).toBe('b');
  });
});

describe('DNS snapshot: readiness', () => {
  it('the tolerate-unready-endpoints annotation serves not-ready endpoints, as publishNotReadyAddresses does', () => {
    const svc = headlessService('db', 'prod', [{ name: 'pg', port: 5432 }]);
    const eps = [slice('db', 'prod', [{ ip: '10.0.0.1', ready: false }], [{ name: 'pg', port: 5432 }])];
    expect(buildSnapshot([svc], eps, null).service('prod', 'db')!.endpoints).toEqual([]);
    svc.metadata!.annotations = { 'service.alpha.kubernetes.io/tolerate-unready-endpoints': 'true' };
    expect(buildSnapshot([svc], eps, null).service('prod', 'db')!.endpoints.map((e) => e.ip)).toEqual(['10.0.0.1']);
  });
});

describe('kube-dns endpoint publication', () => {
  it('one slice per node, selectorless Service label, managed by skiff-dns, dns/UDP and dns-tcp/TCP', () => {
    const s = kubeDnsSlice({ address: '192.168.100.1', port: 53, nodeName: 'Node_1' });
    expect(s.metadata).toMatchObject({ name: 'kube-dns-skiff-node-1', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'skiff-dns' } });
    expect(s.addressType).toBe('IPv4');
    expect(s.endpoints).toEqual([{ addresses: ['192.168.100.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'Node_1' }]);
    expect(s.ports).toEqual([{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }]);
    expect(kubeDnsSliceName(undefined, 'fd00::1')).toBe('kube-dns-skiff-fd00-1');
    expect(() => kubeDnsSlice({ address: 'node1', port: 53 })).toThrow(/not an IP address/);
  });
});
