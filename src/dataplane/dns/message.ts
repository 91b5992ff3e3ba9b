/**
 * One DNS message in, one out (dns-packet does the wire format): header checks (FORMERR, NOTIMP), EDNS0
 * (the client's UDP payload size honoured, BADVERS for versions other than 0), and the UDP size limit: an answer
 * over the limit first loses its additional section, then sets TC with empty sections so the client retries over
 * TCP (512 bytes without EDNS0, RFC 1035; TCP answers are never truncated).
 */
import packet, { type Answer, type DecodedPacket, type OptAnswer, type Packet } from 'dns-packet';
import type { DnsQuestion, DnsResult, Rcode } from './answer.js';

export type Transport = 'udp' | 'tcp';

/** Largest UDP answer we send whatever the client offers (and what our OPT record advertises). */
export const MAX_UDP_PAYLOAD = 4096;
const CLASSIC_UDP_LIMIT = 512;

const RCODES: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const QR = 1 << 15;
const OPCODE_QUERY = 0;

/** Resolves one question; null when the server cannot answer yet (SERVFAIL, as CoreDNS before its caches sync). */
export type Resolver = (q: DnsQuestion) => DnsResult | null;

function header(id: number, flags: number, rcode: number, opcode = OPCODE_QUERY): { id: number; flags: number } {
  return { id, flags: (flags & ~0x780f) | (opcode << 11) | (rcode & 0xf) };
}

/** A header-only answer for a message whose body could not be read: its id, QR, the opcode and FORMERR. */
function formErrFromHeader(msg: Buffer): Buffer | null {
  if (msg.length < 12) return null;
  const flags = msg.readUInt16BE(2);
  if (flags & QR) return null;
  const out = Buffer.alloc(12);
  out.writeUInt16BE(msg.readUInt16BE(0), 0);
  out.writeUInt16BE(QR | (flags & 0x7900) | RCODES.FORMERR, 2);
  return out;
}

/** The answer to one wire message, or null when nothing should be sent (a response, a runt). */
export function handleMessage(msg: Buffer, resolve: Resolver, transport: Transport): Buffer | null {
  let req: DecodedPacket;
  try {
    req = packet.decode(msg);
  } catch {
    return formErrFromHeader(msg);
  }
  if (req.type === 'response') return null;
  const id = req.id ?? 0;
  const reqFlags = req.flags ?? 0;
  const opcode = (msg.readUInt16BE(2) >> 11) & 0xf;
  const rd = reqFlags & packet.RECURSION_DESIRED;
  const cd = reqFlags & packet.CHECKING_DISABLED;
  const opts = (req.additionals ?? []).filter((a): a is OptAnswer => a.type === 'OPT');
  const opt = opts[0];
  const questions = req.questions ?? [];

  const reply = (rcode: Rcode | number, body: Partial<Packet> = {}, extendedRcode = 0): Buffer => {
    const code = typeof rcode === 'number' ? rcode : RCODES[rcode];
    const h = header(id, (body.flags ?? 0) | rd | cd, code, opcode);
    const additionals = [...(body.additionals ?? [])];
    if (opt) additionals.push({ type: 'OPT', name: '.', udpPayloadSize: MAX_UDP_PAYLOAD, extendedRcode, ednsVersion: 0, flags: 0, flag_do: false, options: [] });
    return packet.encode({ type: 'response', ...h, questions: opcode === OPCODE_QUERY ? questions : [], answers: body.answers ?? [], authorities: body.authorities ?? [], additionals });
  };

  if (opcode !== OPCODE_QUERY) return reply('NOTIMP');
  if (opts.length > 1 || questions.length !== 1) return reply('FORMERR');
  // BADVERS is 16: extended rcode 1, header rcode 0 (RFC 6891 6.1.3).
  if (opt && opt.ednsVersion !== 0) return reply(0, {}, 1);

  let result: DnsResult | null;
  let full: Buffer;
  try {
    result = resolve({ name: questions[0]!.name, type: questions[0]!.type, class: questions[0]!.class ?? 'IN' });
    if (!result) return reply('SERVFAIL');
    full = reply(result.rcode, { flags: result.authoritative ? packet.AUTHORITATIVE_ANSWER : 0, answers: result.answers, authorities: result.authorities, additionals: result.additionals });
  } catch {
    // A record the encoder refuses (or a bug) costs this one answer, never the server.
    return reply('SERVFAIL');
  }
  const aa = result.authoritative ? packet.AUTHORITATIVE_ANSWER : 0;
  // A TCP message's length is two bytes; nothing this server holds comes near it, but never send a broken frame.
  const limit = transport === 'tcp' ? 65535 : opt ? Math.min(Math.max(opt.udpPayloadSize, CLASSIC_UDP_LIMIT), MAX_UDP_PAYLOAD) : CLASSIC_UDP_LIMIT;
  if (full.length <= limit) return full;
  // Additional records are optional (RFC 2181 9): dropping them needs no TC bit.
  const lean = reply(result.rcode, { flags: aa, answers: result.answers, authorities: result.authorities });
  if (lean.length <= limit) return lean;
  return reply(result.rcode, { flags: aa | packet.TRUNCATED_RESPONSE });
}

/** For tests and tools: the rcode of an encoded answer, EDNS extended bits included. */
export function rcodeOf(msg: Buffer): number {
  const d = packet.decode(msg);
  const opt = (d.additionals ?? []).find((a: Answer): a is OptAnswer => a.type === 'OPT');
  return ((opt?.extendedRcode ?? 0) << 4) | (msg.readUInt16BE(2) & 0xf);
}
