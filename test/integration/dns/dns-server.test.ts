/**
 * The cluster DNS server against a real API server: records follow Services and EndpointSlices as they change,
 * Node's own resolver (c-ares) reads them, and raw UDP/TCP packets check the wire edges (NXDOMAIN with SOA,
 * REFUSED outside the zone, TC over 512 bytes without EDNS0, the EDNS0 size honoured, TCP framing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as dnsp } from 'node:dns';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import packet, { type DecodedPacket, type Packet } from 'dns-packet';
import { EndpointSlices, Services } from '../../../src/client/index.js';
import { startDns, type RunningDns } from '../../../src/dataplane/dns/start.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

let cluster: TestCluster;
let dns: RunningDns;
let resolver: dnsp.Resolver;

function query(name: string, type: string, opts: { edns?: number; id?: number } = {}): Buffer {
  const p: Packet = { type: 'query', id: opts.id ?? 4242, flags: packet.RECURSION_DESIRED, questions: [{ name, type: type as 'A', class: 'IN' }] };
  if (opts.edns) p.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }];
  return packet.encode(p);
}

function udp(msg: Buffer): Promise<{ raw: Buffer; msg: DecodedPacket }> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('no UDP answer'));
    }, 3000);
    s.on('message', (raw) => {
      clearTimeout(t);
      s.close();
      resolve({ raw, msg: packet.decode(raw) });
    });
    s.send(msg, dns.port, '127.0.0.1');
  });
}

function tcp(msgs: Buffer[]): Promise<DecodedPacket[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(dns.port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const out: DecodedPacket[] = [];
    sock.on('error', reject);
    sock.on('connect', () => {
      // Both queries in one write: the server must split the stream by the length prefixes.
      sock.write(Buffer.concat(msgs.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 255]), m]))));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(packet.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === msgs.length) {
        sock.end();
        resolve(out);
      }
    });
  });
}

const rcode = (m: DecodedPacket) => (m as DecodedPacket & { rcode: string }).rcode;

beforeAll(async () => {
  cluster = await startTestCluster();
  const c = cluster.client;
  await c.create(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
  await c.create(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] } });
  // 40 endpoints: the A answer is over 512 bytes (dns-packet does not compress names).
  await c.create(EndpointSlices, {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'db-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'db' } },
    addressType: 'IPv4',
    endpoints: Array.from({ length: 40 }, (_, i) => ({ addresses: [`10.244.0.${i + 10}`], hostname: `db-${i}`, conditions: { ready: true } })),
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
  });
  dns = await startDns({ client: cluster.newClient('skiff-dns-test'), listen: { host: '127.0.0.1', port: 0 } });
  expect(await dns.synced).toBe(true);
  resolver = new dnsp.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${dns.port}`]);
});

afterAll(async () => {
  await dns?.stop();
  await cluster?.close();
});

describe('cluster DNS server on a real API server', () => {
  it('the bootstrapped kube-dns Service sits at 10.96.0.10 with dns/UDP and dns-tcp/TCP on 53', async () => {
    const svc = await cluster.client.get(Services, 'kube-dns', 'kube-system');
    expect(svc.spec).toMatchObject({ clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] });
    expect(await resolver.resolve4('kube-dns.kube-system.svc.cluster.local')).toEqual(['10.96.0.10']);
  });

  it("Node's resolver: A of a ClusterIP Service, SRV of its named port, PTR of the ClusterIP, dns-version TXT", async () => {
    const web = await cluster.client.get(Services, 'web', 'default');
    const ip = web.spec!.clusterIP!;
    expect(await resolver.resolve4('web.default.svc.cluster.local')).toEqual([ip]);
    expect(await resolver.resolveSrv('_http._tcp.web.default.svc.cluster.local')).toEqual([{ name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
    expect(await resolver.reverse(ip)).toEqual(['web.default.svc.cluster.local']);
    expect(await resolver.resolveTxt('dns-version.cluster.local')).toEqual([['1.1.0']]);
  });

  it('follows changes: a new Service resolves, a deleted one becomes NXDOMAIN', async () => {
    await expect(resolver.resolve4('late.default.svc.cluster.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await cluster.client.create(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'late', namespace: 'default' }, spec: { ports: [{ port: 1, protocol: 'TCP' }] } });
    const ips = await eventually('late resolves', async () => resolver.resolve4('late.default.svc.cluster.local').catch(() => null));
    expect(ips).toHaveLength(1);
    await cluster.client.delete(Services, 'default', 'late');
    await eventually('late is gone', async () => resolver.resolve4('late.default.svc.cluster.local').then(() => false, (e: { code?: string }) => e.code === 'ENOTFOUND'));
  });

  it('ExternalName: CNAME through the resolver', async () => {
    await cluster.client.create(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'db.example.org' } });
    expect(await eventually('CNAME', async () => resolver.resolveCname('ext.default.svc.cluster.local').catch(() => null))).toEqual(['db.example.org']);
  });

  it('raw UDP: NXDOMAIN carries the SOA and the AA bit; NODATA is NOERROR with the SOA', async () => {
    const nx = await udp(query('nope.default.svc.cluster.local', 'A'));
    expect(nx.msg).toMatchObject({ id: 4242, type: 'response', flag_aa: true, flag_rd: true, answers: [] });
    expect(rcode(nx.msg)).toBe('NXDOMAIN');
    expect(nx.msg.authorities?.[0]).toMatchObject({ type: 'SOA', name: 'cluster.local', data: { mname: 'ns.dns.cluster.local' } });
    const nodata = await udp(query('web.default.svc.cluster.local', 'MX'));
    expect(rcode(nodata.msg)).toBe('NOERROR');
    expect(nodata.msg.answers).toEqual([]);
    expect(nodata.msg.authorities?.[0]?.type).toBe('SOA');
  });

  it('raw UDP: names outside the zone are REFUSED, not forwarded', async () => {
    const r = await udp(query('example.com', 'A'));
    expect(rcode(r.msg)).toBe('REFUSED');
    expect(r.msg.flag_aa).toBe(false);
    expect(r.msg.answers).toEqual([]);
  });

  it('raw UDP: PTR of a headless endpoint; SRV per endpoint over TCP', async () => {
    const ptr = await udp(query('12.0.244.10.in-addr.arpa', 'PTR'));
    expect(ptr.msg.answers).toEqual([expect.objectContaining({ type: 'PTR', data: 'db-2.db.default.svc.cluster.local' })]);
    const [srv] = await tcp([query('_pg._tcp.db.default.svc.cluster.local', 'SRV')]);
    expect(srv!.answers).toHaveLength(40);
    expect(srv!.answers![0]).toMatchObject({ type: 'SRV', data: { port: 5432, target: expect.stringMatching(/^db-\d+\.db\.default\.svc\.cluster\.local$/) } });
  });

  it('over 512 bytes without EDNS0: TC set and sections empty; the same over TCP is whole; EDNS0 4096 fits over UDP', async () => {
    const small = await udp(query('db.default.svc.cluster.local', 'A'));
    expect(small.msg.flag_tc).toBe(true);
    expect(small.msg.answers).toEqual([]);
    expect(small.raw.length).toBeLessThanOrEqual(512);
    const [a, b] = await tcp([query('db.default.svc.cluster.local', 'A', { id: 1 }), query('web.default.svc.cluster.local', 'A', { id: 2 })]);
    expect(a).toMatchObject({ id: 1, flag_tc: false });
    expect(a!.answers).toHaveLength(40);
    expect(b).toMatchObject({ id: 2 });
    expect(b!.answers).toHaveLength(1);
    const big = await udp(query('db.default.svc.cluster.local', 'A', { edns: 4096 }));
    expect(big.msg.flag_tc).toBe(false);
    expect(big.msg.answers).toHaveLength(40);
    expect(big.raw.length).toBeGreaterThan(512);
    expect(big.msg.additionals?.find((x) => x.type === 'OPT')).toMatchObject({ udpPayloadSize: 4096 });
    // Node's resolver retries over TCP by itself.
    expect(await resolver.resolve4('db.default.svc.cluster.local')).toHaveLength(40);
  });

  it('EDNS version 1 gets BADVERS; a garbled message gets FORMERR with its id', async () => {
    const p = query('web.default.svc.cluster.local', 'A', { edns: 1232 });
    // The OPT record is last (11 bytes): root name (1), type (2), size (2), extended rcode (1), then the version.
    const v1 = Buffer.from(p);
    v1[v1.length - 11 + 6] = 1;
    const bad = await udp(v1);
    const opt = bad.msg.additionals?.find((x) => x.type === 'OPT') as { extendedRcode: number } | undefined;
    expect(opt?.extendedRcode).toBe(1);
    const garbled = Buffer.concat([query('x', 'A', { id: 777 }).subarray(0, 12), Buffer.from([0x3f, 0x41])]);
    const fe = await udp(garbled);
    expect(fe.msg.id).toBe(777);
    expect(rcode(fe.msg)).toBe('FORMERR');
  });
});
