/**
 * The records of the Kubernetes DNS specification (kubernetes/dns docs/specification.md, schema 1.1.0), as a
 * pure function from a snapshot and one question to an answer; CoreDNS's kubernetes plugin decides the edges
 * the specification leaves open. Names compare case-insensitively; the answer's owner names keep the question's
 * spelling (resolvers that randomise case check it).
 *
 *   <svc>.<ns>.svc.<zone>             A/AAAA: the ClusterIPs; headless: every ready endpoint; ExternalName: CNAME
 *   <host>.<svc>.<ns>.svc.<zone>      A/AAAA of the ready endpoints with that hostname (or dashed address)
 *   _<port>._<proto>.<svc>.<ns>...    SRV (and A/AAAA) for the matching ports; headless: one per endpoint
 *   <d>.<c>.<b>.<a>.in-addr.arpa      PTR: a ClusterIP's Service first, else every endpoint holding the address
 *   <a>-<b>-<c>-<d>.<ns>.pod.<zone>   A (the deprecated pod records, CoreDNS's `pods insecure`)
 *   dns-version.<zone>                TXT "1.1.0"
 * A name that holds no record is NXDOMAIN; a name that holds records of other types is NODATA (NOERROR, empty);
 * both carry the zone's SOA in the authority section. Names outside the zone and its reverse zones are REFUSED:
 * this server never forwards (nothing it answers leaves this host).
 */
import type { Answer, SoaAnswer } from 'dns-packet';
import { isIPv4 } from 'node:net';
import { ipKey, normalizeName, podLabelToIP, relativeLabels, reverseToIP, reverseZoneOf } from './names.js';
import type { DnsService, DnsSnapshot } from './snapshot.js';

export const DNS_SCHEMA_VERSION = '1.1.0';
/** CoreDNS gives the schema version record a TTL of 8 hours. */
export const DNS_VERSION_TTL = 28800;

export type Rcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED';

export interface DnsQuestion {
  name: string;
  /** dns-packet's type name: A, AAAA, SRV, PTR, TXT, ... (UNKNOWN_<n> for others). */
  type: string;
  class?: string;
}

export interface DnsResult {
  rcode: Rcode;
  /** The AA bit: set for every name in our zones. */
  authoritative: boolean;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

export interface ZoneConfig {
  /** The cluster domain, normalised (cluster.local). */
  zone: string;
  /** TTL of every record but dns-version's, in seconds. */
  ttl: number;
  /** SOA serial: the time of the last change, in seconds. */
  serial: number;
  /** Addresses of this DNS server as the cluster reaches it (the kube-dns ClusterIP): NS glue, ns.dns.<zone>. */
  nameserverIPs: string[];
}

/** One thing a service name resolves to, as CoreDNS's msg.Service: an address, a port (-1: none), a target. */
interface Rec {
  ip: string;
  port: number;
  /** The SRV target, relative to the zone: `<svc>.<ns>.svc` or `<host>.<svc>.<ns>.svc`. */
  target: string;
}

const empty = (rcode: Rcode, authoritative: boolean): DnsResult => ({ rcode, authoritative, answers: [], authorities: [], additionals: [] });
const join = (...parts: string[]) => parts.filter(Boolean).join('.');

function soa(apex: string, cfg: ZoneConfig): SoaAnswer {
  return {
    type: 'SOA',
    name: apex || '.',
    ttl: Math.min(cfg.ttl, 300),
    data: { mname: join('ns.dns', apex), rname: join('hostmaster', apex), serial: cfg.serial >>> 0, refresh: 7200, retry: 1800, expire: 86400, minimum: cfg.ttl },
  };
}

const nxdomain = (apex: string, cfg: ZoneConfig): DnsResult => ({ ...empty('NXDOMAIN', true), authorities: [soa(apex, cfg)] });
const nodata = (apex: string, cfg: ZoneConfig): DnsResult => ({ ...empty('NOERROR', true), authorities: [soa(apex, cfg)] });

/** Positive answer, or NODATA when the name exists but holds nothing of the asked type. */
function positive(answers: Answer[], additionals: Answer[], apex: string, cfg: ZoneConfig): DnsResult {
  if (answers.length === 0) return nodata(apex, cfg);
  return { rcode: 'NOERROR', authoritative: true, answers, authorities: [], additionals };
}

function addressRecords(owner: string, ips: Iterable<string>, type: string, ttl: number): Answer[] {
  const out: Answer[] = [];
  const seen = new Set<string>();
  for (const ip of ips) {
    const v4 = isIPv4(ip);
    const want = type === 'ANY' || (type === 'A' && v4) || (type === 'AAAA' && !v4);
    const k = ipKey(ip);
    if (!want || !k || seen.has(k)) continue;
    seen.add(k);
    out.push({ type: v4 ? 'A' : 'AAAA', name: owner, ttl, data: ip });
  }
  return out;
}

/** Labels matched against a port or protocol: '' (not given) matches any. */
const match = (want: string, have: string) => want === '' || want === have;

/** CoreDNS's findServices: what `[<endpoint>.|_<port>._<proto>.]<svc>.<ns>.svc` holds. */
function serviceRecords(svc: DnsService, endpoint: string, portName: string, proto: string): Rec[] {
  const base = join(svc.name, svc.namespace, 'svc');
  const out: Rec[] = [];
  if (svc.kind === 'Headless' || endpoint !== '') {
    for (const ep of svc.endpoints) {
      if (endpoint !== '' && endpoint !== ep.hostname) continue;
      const target = join(ep.hostname, base);
      // A slice without ports still gives its endpoints' addresses (no SRV), as CoreDNS's sentinel port.
      if (ep.ports.length === 0) {
        if (portName === '' && proto === '') out.push({ ip: ep.ip, port: -1, target });
        continue;
      }
      for (const p of ep.ports) if (match(portName, p.name) && match(proto, p.protocol)) out.push({ ip: ep.ip, port: p.port, target });
    }
    return out;
  }
  for (const p of svc.ports) {
    if (!match(portName, p.name) || !match(proto, p.protocol)) continue;
    for (const ip of svc.clusterIPs) out.push({ ip, port: p.port, target: base });
  }
  return out;
}

const stripUnderscore = (s: string) => (s.startsWith('_') ? s.slice(1) : s);

/** Answers one question. `depth` bounds CNAME chasing inside the zone. */
export function answerQuestion(snap: DnsSnapshot, q: DnsQuestion, cfg: ZoneConfig, depth = 0): DnsResult {
  const qclass = (q.class ?? 'IN').toUpperCase();
  const name = normalizeName(q.name);
  const type = q.type.toUpperCase();
  const owner = q.name.replace(/\.$/, '') || '.';
  const zone = cfg.zone;

  const rzone = reverseZoneOf(name);
  const rel = relativeLabels(name, zone);
  if (qclass !== 'IN' && qclass !== 'ANY') return empty('REFUSED', false);
  // No zone transfers (CoreDNS needs its transfer plugin for them): the cluster's names are not handed out whole.
  if (type === 'AXFR' || type === 'IXFR') return empty('REFUSED', false);
  if (rzone && rel === null) return answerReverse(snap, name, owner, type, rzone, cfg);
  if (rel === null) return empty('REFUSED', false);

  // The apex: its SOA and NS; the nameserver's own name below it.
  if (rel.length === 0) {
    if (type === 'SOA') return positive([{ ...soa(zone, cfg), name: owner }], [], zone, cfg);
    if (type === 'NS' || type === 'ANY') {
      const ns = join('ns.dns', zone);
      const answers: Answer[] = [{ type: 'NS', name: owner, ttl: cfg.ttl, data: ns }];
      return positive(answers, addressRecords(ns, cfg.nameserverIPs, 'ANY', cfg.ttl), zone, cfg);
    }
    return nodata(zone, cfg);
  }
  const relName = rel.join('.');
  if (relName === 'dns-version') {
    if (type !== 'TXT' && type !== 'ANY') return nodata(zone, cfg);
    return positive([{ type: 'TXT', name: owner, ttl: DNS_VERSION_TTL, data: [DNS_SCHEMA_VERSION] }], [], zone, cfg);
  }
  if (relName === 'ns.dns') return positive(addressRecords(owner, cfg.nameserverIPs, type, cfg.ttl), [], zone, cfg);
  if (relName === 'dns' && cfg.nameserverIPs.length > 0) return nodata(zone, cfg);

  // [<endpoint>. | _<port>._<proto>.]<service>.<namespace>.(svc|pod)
  const last = rel[rel.length - 1]!;
  if (last !== 'svc' && last !== 'pod') return nxdomain(zone, cfg);
  if (rel.length === 1) return nodata(zone, cfg);
  const ns = rel[rel.length - 2]!;
  if (!snap.namespaceExists(ns)) return nxdomain(zone, cfg);
  if (rel.length === 2) return nodata(zone, cfg);
  const svcName = rel[rel.length - 3]!;
  const extra = rel.slice(0, -3);
  if (extra.length > 2) return nxdomain(zone, cfg);

  if (last === 'pod') {
    const ip = extra.length === 0 ? podLabelToIP(svcName) : null;
    if (!ip) return nxdomain(zone, cfg);
    return positive(addressRecords(owner, [ip], type, cfg.ttl), [], zone, cfg);
  }

  const svc = snap.service(ns, svcName);
  if (!svc) return nxdomain(zone, cfg);
  if (svc.kind === 'ExternalName') return answerExternalName(snap, svc, owner, type, cfg, depth);
  const endpoint = extra.length === 1 ? extra[0]! : '';
  const portName = extra.length === 2 ? stripUnderscore(extra[0]!) : '';
  const proto = extra.length === 2 ? stripUnderscore(extra[1]!) : '';
  const recs = serviceRecords(svc, endpoint, portName, proto);
  // No records at all: the name does not exist (a headless Service without ready endpoints, an unknown port).
  if (recs.length === 0) return nxdomain(zone, cfg);

  if (type === 'A' || type === 'AAAA' || type === 'ANY') return positive(addressRecords(owner, recs.map((r) => r.ip), type, cfg.ttl), [], zone, cfg);
  if (type === 'SRV') return positive(...srvRecords(owner, recs, cfg), zone, cfg);
  return nodata(zone, cfg);
}

/** SRV per distinct (target, port), priority 0 and weights sharing 100 (CoreDNS's spread); targets' addresses as additionals. */
function srvRecords(owner: string, recs: Rec[], cfg: ZoneConfig): [Answer[], Answer[]] {
  const seen = new Set<string>();
  const srv: Rec[] = [];
  for (const r of recs) {
    if (r.port < 0) continue;
    const k = `${r.target}|${r.port}`;
    if (seen.has(k)) continue;
    seen.add(k);
    srv.push(r);
  }
  const weight = srv.length > 0 ? Math.floor(100 / srv.length) : 0;
  const answers: Answer[] = srv.map((r) => ({ type: 'SRV', name: owner, ttl: cfg.ttl, data: { priority: 0, weight, port: r.port, target: join(r.target, cfg.zone) } }));
  const additionals: Answer[] = [];
  const glue = new Set<string>();
  for (const r of recs) {
    const k = `${r.target}|${ipKey(r.ip)}`;
    if (glue.has(k)) continue;
    glue.add(k);
    additionals.push(...addressRecords(join(r.target, cfg.zone), [r.ip], 'ANY', cfg.ttl));
  }
  return [answers, additionals];
}

/**
 * ExternalName: a CNAME to the external name, whatever the extra labels (as CoreDNS). A target inside the zone is
 * followed here (no upstream to do it); one outside is left to the client. SRV gets NODATA, as CoreDNS drops
 * CNAMEs from SRV answers; a name that is an IP address is no CNAME target, so NXDOMAIN.
 */
function answerExternalName(snap: DnsSnapshot, svc: DnsService, owner: string, type: string, cfg: ZoneConfig, depth: number): DnsResult {
  if (svc.externalName === '' || ipKey(svc.externalName) !== null) return nxdomain(cfg.zone, cfg);
  if (type === 'SRV') return nodata(cfg.zone, cfg);
  const cname: Answer = { type: 'CNAME', name: owner, ttl: cfg.ttl, data: svc.externalName };
  if (type === 'CNAME' || type === 'ANY' || depth >= 8 || relativeLabels(svc.externalName, cfg.zone) === null) return positive([cname], [], cfg.zone, cfg);
  const next = answerQuestion(snap, { name: svc.externalName, type, class: 'IN' }, cfg, depth + 1);
  return { ...next, rcode: next.rcode, authoritative: true, answers: [cname, ...next.answers] };
}

/** PTR: a ClusterIP's Service first; otherwise every ready endpoint with the address. */
function answerReverse(snap: DnsSnapshot, name: string, owner: string, type: string, rzone: string, cfg: ZoneConfig): DnsResult {
  const ip = reverseToIP(name);
  const k = ip ? ipKey(ip) : null;
  const rcfg = { ...cfg, zone: rzone };
  if (!k) return name === rzone ? nodata(rzone, rcfg) : nxdomain(rzone, rcfg);
  const svc = snap.serviceForIP(k);
  const targets = svc ? [join(svc.name, svc.namespace, 'svc')] : snap.endpointNamesForIP(k).map((t) => join(t, 'svc'));
  if (targets.length === 0) return nxdomain(rzone, rcfg);
  if (type !== 'PTR' && type !== 'ANY') return nodata(rzone, rcfg);
  return positive(targets.map((t) => ({ type: 'PTR', name: owner, ttl: cfg.ttl, data: join(t, cfg.zone) })), [], rzone, rcfg);
}
