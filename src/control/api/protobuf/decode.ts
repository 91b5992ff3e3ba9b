/**
 * Decoding `application/vnd.kubernetes.protobuf` request bodies: the bytes "k8s\0", then a runtime.Unknown
 * {typeMeta{apiVersion, kind}, raw}, raw being the object in the k8s.io/api wire format. One table-driven walk
 * (table.ts: every served built-in kind) turns it into the object's JSON form; an unknown kind or field number is
 * 415 with a hint.
 */
import { ApiError, badRequest } from '../status.js';
import { messageOfKind, WIRE_TABLE, type TableField } from './table.js';

class ProtoReader {
  pos = 0;
  constructor(readonly buf: Buffer, readonly end = buf.length) {}
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  }
  /** int32/int64 fields: negative values arrive as 10-byte two's complement, past a double's precision. */
  signedVarint(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return Number(BigInt.asIntN(64, result));
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }
  double(): number {
    if (this.pos + 8 > this.end) throw new Error('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(): Buffer {
    const len = this.varint();
    if (this.pos + len > this.end) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

/**
 * A message of a string in field 1 and a second field read by `second`, other fields skipped: a map<string, V>
 * entry (key, value), runtime.TypeMeta (apiVersion, kind), resource.Quantity (its text, field 1 alone).
 */
function fieldPair(buf: Buffer, second: (bytes: Buffer) => string): [string, string] {
  const entry = new ProtoReader(buf);
  let key = '';
  let v = '';
  while (entry.pos < entry.end) {
    const t = entry.varint();
    if (t === 0x0a) key = entry.bytes().toString('utf8');
    else if (t === 0x12) v = second(entry.bytes());
    else entry.skip(t & 7);
  }
  return [key, v];
}

const utf8 = (b: Buffer): string => b.toString('utf8');
const quantityText = (buf: Buffer): string => fieldPair(buf, () => '')[0];

/** The wire type a field's values come in (`ints` also packed, as wire type 2). */
const wireOf = (f: TableField): number => (f.type === 'int' || f.type === 'bool' || f.type === 'ints' ? 0 : f.type === 'double' ? 1 : 2);

/**
 * meta/v1 Time and MicroTime ({seconds, nanos}) as their RFC 3339 text (MicroTime with microseconds). Only an
 * empty message is the zero time, as upstream's Unmarshal has it: seconds before 1970 are negative, and a
 * client's `time.Time{}.Add(2 * time.Second)` (year 1) is a real value.
 */
function timeText(buf: Buffer, at: string, micro: boolean): string | undefined {
  if (buf.length === 0) return undefined;
  const t = protoMessage(buf, TIME, at);
  const seconds = typeof t['seconds'] === 'number' ? t['seconds'] : 0;
  const nanos = typeof t['nanos'] === 'number' ? t['nanos'] : 0;
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}

/** runtime.RawExtension / apiextensions JSON {raw bytes}: the JSON those bytes hold. */
function rawJson(buf: Buffer, at: string): unknown {
  const raw = new ProtoReader(buf);
  let out: unknown;
  while (raw.pos < raw.end) {
    const t = raw.varint();
    if (t === 0x0a) {
      const bytes = raw.bytes();
      if (bytes.length === 0) continue;
      try {
        out = JSON.parse(bytes.toString('utf8')) as unknown;
      } catch {
        throw badRequest(`protobuf field ${at} is not JSON`);
      }
    } else raw.skip(t & 7);
  }
  return out;
}

const TIME = 'k8s.io.apimachinery.pkg.apis.meta.v1.Time';
const INT_OR_STRING = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';

/** Decodes one message into `out` (a fresh object, or the parent's for an inline, embedded struct). */
function protoMessage(buf: Buffer, message: string, path: string, out: Record<string, unknown> = {}): Record<string, unknown> {
  const fields = WIRE_TABLE.get(message);
  if (!fields) throw unsupportedProto(`${message} at ${path || '<root>'}`);
  const r = new ProtoReader(buf);
  while (r.pos < r.end) {
    const tag = r.varint();
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    const f = fields.get(num);
    if (!f) throw unsupportedProto(`field ${num} of ${message.slice(message.lastIndexOf('.') + 1)} at ${path || '<root>'}`);
    const at = path ? `${path}.${f.name}` : f.name;
    if (wire !== wireOf(f) && !(f.type === 'ints' && wire === 2)) throw badRequest(`protobuf field ${at} has the wrong wire type`);
    switch (f.type) {
      case 'string':
        out[f.name] = r.bytes().toString('utf8');
        break;
      case 'strings':
        ((out[f.name] ??= []) as string[]).push(r.bytes().toString('utf8'));
        break;
      case 'bytes':
        out[f.name] = r.bytes().toString('base64');
        break;
      case 'bytess':
        ((out[f.name] ??= []) as string[]).push(r.bytes().toString('base64'));
        break;
      case 'int':
        out[f.name] = r.signedVarint();
        break;
      case 'double':
        out[f.name] = r.double();
        break;
      case 'ints': {
        const list = (out[f.name] ??= []) as number[];
        if (wire === 0) list.push(r.signedVarint());
        else {
          const packed = r.bytes();
          const pr = new ProtoReader(packed);
          while (pr.pos < pr.end) list.push(pr.signedVarint());
        }
        break;
      }
      case 'bool':
        out[f.name] = r.varint() !== 0;
        break;
      case 'time':
      case 'microtime': {
        const t = timeText(r.bytes(), at, f.type === 'microtime');
        if (t !== undefined) out[f.name] = t;
        break;
      }
      case 'duration': {
        const d = protoMessage(r.bytes(), 'k8s.io.apimachinery.pkg.apis.meta.v1.Duration', at);
        out[f.name] = `${(Number(d['duration'] ?? 0) / 1e9).toString()}s`;
        break;
      }
      case 'quantity':
        out[f.name] = quantityText(r.bytes());
        break;
      case 'map':
      case 'bytesmap':
      case 'quantitymap': {
        const [key, value] = fieldPair(r.bytes(), f.type === 'map' ? utf8 : f.type === 'bytesmap' ? (b) => b.toString('base64') : quantityText);
        ((out[f.name] ??= {}) as Record<string, string>)[key] = value;
        break;
      }
      case 'stringsmap':
      case 'messagemap': {
        const entry = new ProtoReader(r.bytes());
        let key = '';
        let value: unknown = f.type === 'stringsmap' ? [] : {};
        while (entry.pos < entry.end) {
          const t = entry.varint();
          if (t === 0x0a) key = entry.bytes().toString('utf8');
          else if (t === 0x12) {
            const v = entry.bytes();
            // ExtraValue is a []string on the wire as {repeated string items = 1}, and a plain array in JSON.
            value = f.type === 'messagemap' ? protoMessage(v, f.message, at) : (protoMessage(v, 'k8s.io.api.authentication.v1.ExtraValue', at)['items'] ?? []);
          } else entry.skip(t & 7);
        }
        ((out[f.name] ??= {}) as Record<string, unknown>)[key] = value;
        break;
      }
      case 'fieldsv1':
      case 'rawextension': {
        const v = rawJson(r.bytes(), at);
        if (v !== undefined) out[f.name] = v;
        break;
      }
      case 'intorstring': {
        const v = protoMessage(r.bytes(), INT_OR_STRING, at);
        if (v['type'] === 1) out[f.name] = v['strVal'] ?? '';
        else out[f.name] = v['intVal'] ?? 0;
        break;
      }
      case 'message': {
        if (f.inline) {
          protoMessage(r.bytes(), f.message, path, out);
          continue;
        }
        const v = protoMessage(r.bytes(), f.message, at);
        if (f.repeated) ((out[f.name] ??= []) as unknown[]).push(v);
        else out[f.name] = v;
        break;
      }
    }
    // gogo-protobuf writes non-pointer scalars even when empty; JSON would have omitted them.
    const v = out[f.name];
    if ((v === '' || v === 0 || v === false) && !('keepZero' in f && f.keepZero)) delete out[f.name];
  }
  return out;
}

const unsupportedProto = (what: string): ApiError =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (no protobuf wire form known here for ${what})`,
  );

/** Decodes a `application/vnd.kubernetes.protobuf` body of a built-in kind into its JSON form. */
export function decodeProtobuf(raw: Buffer): unknown {
  if (raw.length < 4 || raw.readUInt32BE(0) !== 0x6b387300) throw badRequest('protobuf body does not start with the "k8s\\x00" prefix');
  try {
    const r = new ProtoReader(raw);
    r.pos = 4;
    let apiVersion = '';
    let kind = '';
    let body: Buffer | null = null;
    while (r.pos < r.end) {
      const tag = r.varint();
      if (tag === 0x0a) [apiVersion, kind] = fieldPair(r.bytes(), utf8);
      else if (tag === 0x12) body = r.bytes();
      else r.skip(tag & 7);
    }
    const message = messageOfKind(apiVersion, kind);
    if (!message) throw unsupportedProto(`${kind || 'an unnamed kind'} (${apiVersion})`);
    return { apiVersion, kind, ...protoMessage(body ?? Buffer.alloc(0), message, '') };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest(`unable to decode protobuf body: ${(err as Error).message}`);
  }
}
