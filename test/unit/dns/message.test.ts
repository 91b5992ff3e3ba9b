import { describe, expect, it } from 'vitest';
import packet, { type Answer, type Packet } from 'dns-packet';
import { handleMessage, MAX_UDP_PAYLOAD, rcodeOf, type Resolver } from '../../../src/dataplane/dns/message.js';
import type { DnsResult } from '../../../src/dataplane/dns/answer.js';

const aRecords = (n: number, name = 'big.default.svc.cluster.local'): Answer[] => Array.from({ length: n }, (_, i) => ({ type: 'A', name, ttl: 30, data: `10.244.${i >> 8}.${i & 255}` }));

function resolverOf(result: DnsResult | null): Resolver & { asked: unknown[] } {
  const asked: unknown[] = [];
  const r = ((q) => {
    asked.push(q);
    return result;
  }) as Resolver & { asked: unknown[] };
  r.asked = asked;
  return r;
}

const ok = (answers: Answer[], additionals: Answer[] = []): DnsResult => ({ rcode: 'NOERROR', authoritative: true, answers, authorities: [], additionals });

function query(over: Partial<Packet> = {}, edns?: { size: number; version?: number }): Buffer {
  const p: Packet = { type: 'query', id: 99, flags: packet.RECURSION_DESIRED, questions: [{ name: 'Big.default.svc.cluster.local', type: 'A', class: 'IN' }], ...over };
  if (edns) p.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: edns.size, extendedRcode: 0, ednsVersion: edns.version ?? 0, flags: 0, flag_do: false, options: [] }];
  return packet.encode(p);
}

describe('DNS message handling', () => {
  it('echoes id, question and RD; sets QR and AA; hands the question to the resolver as asked', () => {
    const r = resolverOf(ok(aRecords(1)));
    const out = packet.decode(handleMessage(query(), r, 'udp')!);
    expect(out).toMatchObject({ id: 99, type: 'response', flag_qr: true, flag_aa: true, flag_rd: true, flag_ra: false, flag_tc: false });
    expect(out.questions).toEqual([{ name: 'Big.default.svc.cluster.local', type: 'A', class: 'IN' }]);
    expect(r.asked).toEqual([{ name: 'Big.default.svc.cluster.local', type: 'A', class: 'IN' }]);
  });

  it('no AA on a non-authoritative answer (REFUSED outside the zone)', () => {
    const out = handleMessage(query(), resolverOf({ rcode: 'REFUSED', authoritative: false, answers: [], authorities: [], additionals: [] }), 'udp')!;
    expect(packet.decode(out).flag_aa).toBe(false);
    expect(rcodeOf(out)).toBe(5);
  });

  it('SERVFAIL while the resolver cannot answer (caches not synced)', () => {
    expect(rcodeOf(handleMessage(query(), resolverOf(null), 'udp')!)).toBe(2);
  });

  it('SERVFAIL, not silence, when the resolver throws or a record cannot be encoded', () => {
    const throwing: Resolver = () => {
      throw new Error('boom');
    };
    expect(rcodeOf(handleMessage(query(), throwing, 'udp')!)).toBe(2);
    const broken = ok([{ type: 'SRV', name: 'x.cluster.local', ttl: 30, data: undefined } as unknown as Answer]);
    expect(rcodeOf(handleMessage(query(), resolverOf(broken), 'tcp')!)).toBe(2);
  });

  it('over 512 bytes without EDNS0: TC with empty sections over UDP, whole over TCP', () => {
    const r = resolverOf(ok(aRecords(30)));
    const udp = handleMessage(query(), r, 'udp')!;
    expect(udp.length).toBeLessThanOrEqual(512);
    expect(packet.decode(udp)).toMatchObject({ flag_tc: true, answers: [] });
    const tcp = handleMessage(query(), r, 'tcp')!;
    expect(packet.decode(tcp).answers).toHaveLength(30);
    expect(packet.decode(tcp).flag_tc).toBe(false);
  });

  it('the EDNS0 payload size is honoured (and capped), and our OPT record is returned', () => {
    // 20 records are about 900 bytes: over 512, under 1232.
    const r = resolverOf(ok(aRecords(20)));
    expect(packet.decode(handleMessage(query(), r, 'udp')!).flag_tc).toBe(true);
    const fits = packet.decode(handleMessage(query({}, { size: 1232 }), r, 'udp')!);
    expect(fits.flag_tc).toBe(false);
    expect(fits.answers).toHaveLength(20);
    expect(fits.additionals?.find((a) => a.type === 'OPT')).toMatchObject({ udpPayloadSize: MAX_UDP_PAYLOAD, ednsVersion: 0 });
    // A size under 512 counts as 512 (RFC 6891 6.2.5).
    const tiny = packet.decode(handleMessage(query({}, { size: 100 }), resolverOf(ok(aRecords(5))), 'udp')!);
    expect(tiny.answers).toHaveLength(5);
    // Capped at MAX_UDP_PAYLOAD whatever the client offers.
    const huge = packet.decode(handleMessage(query({}, { size: 65000 }), resolverOf(ok(aRecords(300))), 'udp')!);
    expect(huge.flag_tc).toBe(true);
  });

  it('additionals go first when over the limit, without TC (RFC 2181 9)', () => {
    const r = resolverOf(ok(aRecords(5), aRecords(30, 'extra.default.svc.cluster.local')));
    const out = packet.decode(handleMessage(query(), r, 'udp')!);
    expect(out.flag_tc).toBe(false);
    expect(out.answers).toHaveLength(5);
    expect(out.additionals).toEqual([]);
  });

  it('BADVERS for EDNS versions other than 0; FORMERR for two questions or a garbled body; NOTIMP for other opcodes', () => {
    expect(rcodeOf(handleMessage(query({}, { size: 1232, version: 1 }), resolverOf(ok([])), 'udp')!)).toBe(16);
    const two = query({ questions: [{ name: 'a.cluster.local', type: 'A' }, { name: 'b.cluster.local', type: 'A' }] });
    expect(rcodeOf(handleMessage(two, resolverOf(ok([])), 'udp')!)).toBe(1);
    const garbled = Buffer.concat([query().subarray(0, 12), Buffer.from([0x3f])]);
    const fe = handleMessage(garbled, resolverOf(ok([])), 'udp')!;
    expect(fe.readUInt16BE(0)).toBe(99);
    expect(fe.readUInt16BE(2) & 0x800f).toBe(0x8001);
    const notify = query();
    notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2);
    const ni = handleMessage(notify, resolverOf(ok([])), 'udp')!;
    expect(rcodeOf(ni)).toBe(4);
    expect((ni.readUInt16BE(2) >> 11) & 0xf).toBe(4);
  });

  it('drops responses and runts instead of answering them', () => {
    const resp = packet.encode({ type: 'response', id: 1, questions: [{ name: 'x', type: 'A' }] });
    expect(handleMessage(resp, resolverOf(ok([])), 'udp')).toBeNull();
    expect(handleMessage(Buffer.from([1, 2, 3]), resolverOf(ok([])), 'udp')).toBeNull();
  });
});
