/**
 * DnsRecords over informers fed by hand (no API server): each event refreshes only its Service, and the answers
 * follow Services, slices (also one relabelled to another Service) and namespaces; the SOA serial is the time of
 * the last change.
 */
import { describe, expect, it } from 'vitest';
import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { EndpointSlices, FakeClock, Namespaces, RestClient, Services, SharedInformer, type KubeObject } from '../../../src/client/index.js';
import { DnsRecords } from '../../../src/dataplane/dns/start.js';
import { clusterIPService, headlessService, ns, slice } from './fixtures.js';

type K<T> = T & KubeObject;

function setup() {
  // Never run: the test plays the reflector's part through the informers' sink methods.
  const client = new RestClient({ server: 'http://127.0.0.1:1' });
  const svcs = new SharedInformer<K<Service>>(client, Services);
  const slices = new SharedInformer<K<EndpointSlice>>(client, EndpointSlices);
  const nss = new SharedInformer<K<Namespace>>(client, Namespaces);
  const clock = new FakeClock(1_700_000_000_000);
  const records = new DnsRecords(svcs, slices, nss, { zone: 'cluster.local', ttl: 30 }, clock);
  return { svcs, slices, nss, clock, records };
}

const a = (r: ReturnType<DnsRecords['resolve']>) => r?.answers.map((x) => ('data' in x ? x.data : null));

describe('DnsRecords', () => {
  it('SERVFAIL (null) until synced, then answers from the informers', () => {
    const { svcs, slices, nss, records } = setup();
    expect(records.resolve({ name: 'web.prod.svc.cluster.local', type: 'A' })).toBeNull();
    nss.replace([ns('prod') as K<Namespace>], '1');
    svcs.replace([clusterIPService('web', 'prod', '10.96.0.5', [{ port: 80 }]) as K<Service>], '1');
    slices.replace([], '1');
    records.markSynced();
    expect(a(records.resolve({ name: 'web.prod.svc.cluster.local', type: 'A' }))).toEqual(['10.96.0.5']);
  });

  it('follows slice changes, a slice moved to another Service, Service deletion and namespace deletion', () => {
    const { svcs, slices, nss, clock, records } = setup();
    nss.replace([ns('prod') as K<Namespace>], '1');
    svcs.replace([headlessService('db', 'prod', [{ name: 'pg', port: 5432 }]) as K<Service>, headlessService('cache', 'prod', [{ name: 'pg', port: 5432 }]) as K<Service>], '1');
    const s1 = slice('db', 'prod', [{ ip: '10.0.0.1', hostname: 'db-0' }], [{ name: 'pg', port: 5432 }]) as K<EndpointSlice>;
    slices.replace([s1], '1');
    records.markSynced();
    const db = () => records.resolve({ name: 'db.prod.svc.cluster.local', type: 'A' })!;
    const cache = () => records.resolve({ name: 'cache.prod.svc.cluster.local', type: 'A' })!;
    expect(a(db())).toEqual(['10.0.0.1']);
    expect(cache().rcode).toBe('NXDOMAIN');
    const serial0 = records.config(records.current()!).serial;

    clock.step(5_000);
    slices.update({ ...s1, endpoints: [...s1.endpoints!, { addresses: ['10.0.0.2'], conditions: { ready: true } }] });
    expect(a(db())!.sort()).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(records.config(records.current()!).serial).toBe(serial0 + 5);
    expect(a(records.resolve({ name: '2.0.0.10.in-addr.arpa', type: 'PTR' }))).toEqual(['10-0-0-2.db.prod.svc.cluster.local']);

    // Relabelled: the endpoints leave db and join cache, in the name and in the reverse index.
    slices.update({ ...s1, metadata: { ...s1.metadata, labels: { 'kubernetes.io/service-name': 'cache' } } });
    expect(db().rcode).toBe('NXDOMAIN');
    expect(a(cache())).toEqual(['10.0.0.1']);
    expect(a(records.resolve({ name: '1.0.0.10.in-addr.arpa', type: 'PTR' }))).toEqual(['db-0.cache.prod.svc.cluster.local']);

    svcs.delete(headlessService('cache', 'prod', []) as K<Service>);
    expect(cache().rcode).toBe('NXDOMAIN');
    expect(records.resolve({ name: '1.0.0.10.in-addr.arpa', type: 'PTR' })!.rcode).toBe('NXDOMAIN');

    expect(records.resolve({ name: 'prod.svc.cluster.local', type: 'A' })!.rcode).toBe('NOERROR');
    nss.delete(ns('prod') as K<Namespace>);
    expect(records.resolve({ name: 'prod.svc.cluster.local', type: 'A' })!.rcode).toBe('NXDOMAIN');
  });

  it('the kube-dns Service address is the zone nameserver (NS glue)', () => {
    const { svcs, slices, nss, records } = setup();
    nss.replace([ns('kube-system') as K<Namespace>], '1');
    svcs.replace([clusterIPService('kube-dns', 'kube-system', '10.96.0.10', [{ name: 'dns', port: 53, protocol: 'UDP' }]) as K<Service>], '1');
    slices.replace([], '1');
    records.markSynced();
    const r = records.resolve({ name: 'cluster.local', type: 'NS' })!;
    expect(r.additionals).toEqual([{ type: 'A', name: 'ns.dns.cluster.local', ttl: 30, data: '10.96.0.10' }]);
  });
});
