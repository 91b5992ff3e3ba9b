import { describe, expect, it } from 'vitest';
import { answerQuestion, DNS_SCHEMA_VERSION, type DnsResult, type ZoneConfig } from '../../../src/dataplane/dns/answer.js';
import { buildSnapshot } from '../../../src/dataplane/dns/snapshot.js';
import { clusterIPService, externalNameService, headlessService, ns, slice } from './fixtures.js';

const cfg: ZoneConfig = { zone: 'cluster.local', ttl: 30, serial: 1700000000, nameserverIPs: ['10.96.0.10'] };

const snap = buildSnapshot(
  [
    clusterIPService('kubernetes', 'default', '10.96.0.1', [{ name: 'https', port: 443 }]),
    clusterIPService('web', 'prod', ['10.96.5.5', 'fd00::5'], [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }, { port: 9000 }]),
    headlessService('db', 'prod', [{ name: 'pg', port: 5432 }]),
    headlessService('empty', 'prod', [{ name: 'x', port: 1 }]),
    headlessService('eager', 'prod', [{ name: 'x', port: 1 }], true),
    externalNameService('ext', 'prod', 'www.Example.com.'),
    externalNameService('inner', 'prod', 'web.prod.svc.cluster.local'),
    externalNameService('byip', 'prod', '192.0.2.1'),
  ],
  [
    slice('db', 'prod', [{ ip: '10.244.1.5', hostname: 'db-0' }, { ip: '10.244.2.6', hostname: 'db-1' }, { ip: '10.244.3.7' }, { ip: '10.244.3.8', ready: false }, { ip: '10.244.3.9', ready: null }], [{ name: 'pg', port: 5432, protocol: 'TCP' }]),
    slice('empty', 'prod', [{ ip: '10.244.9.9', ready: false }], [{ name: 'x', port: 1 }]),
    slice('eager', 'prod', [{ ip: '10.244.8.8', hostname: 'e-0', ready: false }], [{ name: 'x', port: 1 }]),
    slice('web', 'prod', [{ ip: '10.244.4.4', hostname: 'web-a' }], [{ name: 'http', port: 8080 }]),
  ],
  [ns('default'), ns('prod'), ns('kube-system'), ns('quiet')],
);

const ask = (name: string, type = 'A'): DnsResult => answerQuestion(snap, { name, type, class: 'IN' }, cfg);
const data = (r: DnsResult) => r.answers.map((a) => ('data' in a ? a.data : undefined));

describe('cluster DNS records (Kubernetes DNS specification)', () => {
  it('A for a ClusterIP Service, case-insensitive, owner name as asked, TTL from the config', () => {
    const r = ask('Kubernetes.Default.SVC.cluster.local');
    expect(r.rcode).toBe('NOERROR');
    expect(r.authoritative).toBe(true);
    expect(r.answers).toEqual([{ type: 'A', name: 'Kubernetes.Default.SVC.cluster.local', ttl: 30, data: '10.96.0.1' }]);
  });

  it('A and AAAA split a dual-stack Service; a type the name lacks is NODATA with the SOA', () => {
    expect(data(ask('web.prod.svc.cluster.local', 'A'))).toEqual(['10.96.5.5']);
    expect(data(ask('web.prod.svc.cluster.local', 'AAAA'))).toEqual(['fd00::5']);
    const txt = ask('web.prod.svc.cluster.local', 'TXT');
    expect(txt.rcode).toBe('NOERROR');
    expect(txt.answers).toEqual([]);
    expect(txt.authorities[0]).toMatchObject({ type: 'SOA', name: 'cluster.local', data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1700000000, minimum: 30 } });
  });

  it('SRV for a named port: _<port>._<proto>.<svc>.<ns>.svc.<zone> → the Service name, its A record as additional', () => {
    const r = ask('_https._tcp.kubernetes.default.svc.cluster.local', 'SRV');
    expect(r.answers).toEqual([{ type: 'SRV', name: '_https._tcp.kubernetes.default.svc.cluster.local', ttl: 30, data: { priority: 0, weight: 100, port: 443, target: 'kubernetes.default.svc.cluster.local' } }]);
    expect(r.additionals).toEqual([{ type: 'A', name: 'kubernetes.default.svc.cluster.local', ttl: 30, data: '10.96.0.1' }]);
    expect(data(ask('_dns._udp.web.prod.svc.cluster.local', 'SRV'))).toEqual([{ priority: 0, weight: 100, port: 53, target: 'web.prod.svc.cluster.local' }]);
  });

  it('a port or protocol the Service lacks is NXDOMAIN; the protocol must match', () => {
    expect(ask('_nope._tcp.web.prod.svc.cluster.local', 'SRV').rcode).toBe('NXDOMAIN');
    expect(ask('_dns._tcp.web.prod.svc.cluster.local', 'SRV').rcode).toBe('NXDOMAIN');
    expect(ask('_http._tcp.web.prod.svc.cluster.local', 'SRV').rcode).toBe('NOERROR');
  });

  it('headless: A is every ready endpoint (nil ready counts as ready), not-ready ones left out', () => {
    expect(data(ask('db.prod.svc.cluster.local')).sort()).toEqual(['10.244.1.5', '10.244.2.6', '10.244.3.7', '10.244.3.9']);
  });

  it('headless without ready endpoints is NXDOMAIN; publishNotReadyAddresses serves the unready ones', () => {
    const r = ask('empty.prod.svc.cluster.local');
    expect(r.rcode).toBe('NXDOMAIN');
    expect(r.authorities.map((a) => a.type)).toEqual(['SOA']);
    expect(data(ask('eager.prod.svc.cluster.local'))).toEqual(['10.244.8.8']);
    expect(data(ask('e-0.eager.prod.svc.cluster.local'))).toEqual(['10.244.8.8']);
  });

  it('headless SRV: one per ready endpoint, targets <hostname or dashed IP>.<svc>..., their A records additional', () => {
    const r = ask('_pg._tcp.db.prod.svc.cluster.local', 'SRV');
    const targets = data(r).map((d) => (d as { target: string }).target).sort();
    expect(targets).toEqual(['10-244-3-7.db.prod.svc.cluster.local', '10-244-3-9.db.prod.svc.cluster.local', 'db-0.db.prod.svc.cluster.local', 'db-1.db.prod.svc.cluster.local']);
    expect(data(r).every((d) => (d as { port: number; weight: number }).port === 5432 && (d as { weight: number }).weight === 25)).toBe(true);
    expect(r.additionals).toContainEqual({ type: 'A', name: 'db-0.db.prod.svc.cluster.local', ttl: 30, data: '10.244.1.5' });
  });

  it('endpoint hostnames: <hostname>.<svc>.<ns>.svc.<zone> (StatefulSet pods), dashed addresses, unready ones absent', () => {
    expect(data(ask('DB-0.db.prod.svc.cluster.local'))).toEqual(['10.244.1.5']);
    expect(data(ask('10-244-3-7.db.prod.svc.cluster.local'))).toEqual(['10.244.3.7']);
    expect(ask('10-244-3-8.db.prod.svc.cluster.local').rcode).toBe('NXDOMAIN');
    expect(ask('db-9.db.prod.svc.cluster.local').rcode).toBe('NXDOMAIN');
    // CoreDNS answers endpoint names of ClusterIP Services too.
    expect(data(ask('web-a.web.prod.svc.cluster.local'))).toEqual(['10.244.4.4']);
  });

  it('PTR for a ClusterIP (IPv4 and IPv6) and for endpoint addresses; an unknown address is NXDOMAIN', () => {
    expect(data(ask('1.0.96.10.in-addr.arpa', 'PTR'))).toEqual(['kubernetes.default.svc.cluster.local']);
    const v6 = '5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa';
    expect(data(ask(v6, 'PTR'))).toEqual(['web.prod.svc.cluster.local']);
    expect(data(ask('5.1.244.10.in-addr.arpa', 'PTR'))).toEqual(['db-0.db.prod.svc.cluster.local']);
    expect(data(ask('7.3.244.10.in-addr.arpa', 'PTR'))).toEqual(['10-244-3-7.db.prod.svc.cluster.local']);
    const miss = ask('9.9.9.9.in-addr.arpa', 'PTR');
    expect(miss.rcode).toBe('NXDOMAIN');
    expect(miss.authorities[0]).toMatchObject({ type: 'SOA', name: 'in-addr.arpa' });
    expect(ask('1.0.96.10.in-addr.arpa', 'A').rcode).toBe('NOERROR');
    expect(ask('1.0.96.10.in-addr.arpa', 'A').answers).toEqual([]);
  });

  it('ExternalName is a CNAME; a target inside the zone is followed; an IP external name gives no CNAME', () => {
    const r = ask('ext.prod.svc.cluster.local', 'A');
    expect(r.answers).toEqual([{ type: 'CNAME', name: 'ext.prod.svc.cluster.local', ttl: 30, data: 'www.example.com' }]);
    expect(data(ask('inner.prod.svc.cluster.local', 'A'))).toEqual(['web.prod.svc.cluster.local', '10.96.5.5']);
    expect(ask('ext.prod.svc.cluster.local', 'SRV').answers).toEqual([]);
    expect(ask('byip.prod.svc.cluster.local').rcode).toBe('NXDOMAIN');
  });

  it('NXDOMAIN vs NODATA along the tree', () => {
    expect(ask('nope.prod.svc.cluster.local').rcode).toBe('NXDOMAIN');
    expect(ask('web.nons.svc.cluster.local').rcode).toBe('NXDOMAIN');
    expect(ask('nons.svc.cluster.local').rcode).toBe('NXDOMAIN');
    expect(ask('quiet.svc.cluster.local')).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(ask('svc.cluster.local')).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(ask('cluster.local', 'A')).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(ask('foo.cluster.local').rcode).toBe('NXDOMAIN');
    expect(ask('a.b.c.web.prod.svc.cluster.local').rcode).toBe('NXDOMAIN');
  });

  it('the zone apex has SOA and NS (ns.dns.<zone> with the DNS Service address)', () => {
    expect(ask('cluster.local', 'SOA').answers[0]).toMatchObject({ type: 'SOA', data: { mname: 'ns.dns.cluster.local', refresh: 7200, retry: 1800, expire: 86400 } });
    const ns_ = ask('cluster.local', 'NS');
    expect(data(ns_)).toEqual(['ns.dns.cluster.local']);
    expect(ns_.additionals).toEqual([{ type: 'A', name: 'ns.dns.cluster.local', ttl: 30, data: '10.96.0.10' }]);
    expect(data(ask('ns.dns.cluster.local'))).toEqual(['10.96.0.10']);
  });

  it('dns-version TXT', () => {
    const r = ask('dns-version.cluster.local', 'TXT');
    expect(r.answers).toEqual([{ type: 'TXT', name: 'dns-version.cluster.local', ttl: 28800, data: [DNS_SCHEMA_VERSION] }]);
  });

  it('deprecated pod records: <a>-<b>-<c>-<d>.<ns>.pod.<zone> in an existing namespace', () => {
    expect(data(ask('10-244-1-5.prod.pod.cluster.local'))).toEqual(['10.244.1.5']);
    expect(ask('10-244-1-5.nons.pod.cluster.local').rcode).toBe('NXDOMAIN');
    expect(ask('not-an-ip.prod.pod.cluster.local').rcode).toBe('NXDOMAIN');
  });

  it('names outside the zone are REFUSED (no forwarding), not authoritative', () => {
    expect(ask('example.com')).toMatchObject({ rcode: 'REFUSED', authoritative: false, answers: [] });
    expect(ask('local')).toMatchObject({ rcode: 'REFUSED' });
    expect(answerQuestion(snap, { name: 'web.prod.svc.cluster.local', type: 'A', class: 'CH' }, cfg).rcode).toBe('REFUSED');
    expect(ask('cluster.local', 'AXFR').rcode).toBe('REFUSED');
  });

  it('another cluster domain and TTL apply everywhere', () => {
    const other = { ...cfg, zone: 'corp.example', ttl: 5 };
    const r = answerQuestion(snap, { name: '_https._tcp.kubernetes.default.svc.corp.example', type: 'SRV' }, other);
    expect(r.answers[0]).toMatchObject({ ttl: 5, data: { target: 'kubernetes.default.svc.corp.example' } });
    expect(answerQuestion(snap, { name: 'kubernetes.default.svc.cluster.local', type: 'A' }, other).rcode).toBe('REFUSED');
  });
});
