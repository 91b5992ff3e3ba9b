/**
 * Encoding responses as `application/vnd.kubernetes.protobuf`: "k8s\0", then runtime.Unknown {typeMeta
 * {apiVersion, kind}, raw}, raw the object in the k8s.io/api wire format, walked with the same table decoding
 * uses. An object holding a field the table does not know (a custom resource, a field newer than the table) is
 * not encodable: the caller answers in JSON instead, which every protobuf client also accepts, so nothing is lost.
 */
import { messageOfKind, WIRE_TABLE, type TableField, type TableMessage } from './table.js';
import { ProtoWriter } from './writer.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** Thrown when an object cannot be written in the wire format without losing something. */
export class NotEncodable extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(path: string, why: string): never {
  throw new NotEncodable(`${path}: ${why}`);
}

/** Go's zero time.Time (Date.UTC would read year 1 as 1901). */
const ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

/** RFC 3339 text → {seconds, nanos}. */
function timeMessage(w: ProtoWriter, text: unknown, path: string): void {
  if (typeof text !== 'string') fail(path, 'not a time');
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) fail(path, 'not a time');
  const frac = /\.(\d+)/.exec(text)?.[1] ?? '';
  // The zero time (0001-01-01T00:00:00Z) is an empty message, as upstream's Marshal writes it.
  if (ms === ZERO_TIME_MS) return;
  const seconds = Math.floor(ms / 1000);
  const nanos = frac ? Number(frac.padEnd(9, '0').slice(0, 9)) : 0;
  if (seconds !== 0) {
    w.tag(1, 0);
    w.varint(seconds);
  }
  if (nanos !== 0) {
    w.tag(2, 0);
    w.varint(nanos);
  }
}

const INLINE_OWNED = new WeakMap<TableMessage, Set<string>>();

/** The JSON names an inline field's message takes from its parent (cached per message). */
function inlineNames(message: string): Set<string> {
  const m = WIRE_TABLE.get(message)!;
  let names = INLINE_OWNED.get(m);
  if (!names) {
    names = new Set();
    for (const f of m.values()) {
      if (f.type === 'message' && f.inline) for (const n of inlineNames(f.message)) names.add(n);
      else names.add(f.name);
    }
    INLINE_OWNED.set(m, names);
  }
  return names;
}

function scalar(w: ProtoWriter, num: number, f: TableField & { type: Exclude<TableField['type'], 'message' | 'messagemap'> }, value: unknown, path: string): void {
  switch (f.type) {
    case 'string':
      if (typeof value !== 'string') fail(path, 'not a string');
      w.string(num, value);
      return;
    case 'strings':
      if (!Array.isArray(value)) fail(path, 'not a list');
      for (const s of value) {
        if (typeof s !== 'string') fail(path, 'not a string');
        w.string(num, s);
      }
      return;
    case 'bytes':
      if (typeof value !== 'string') fail(path, 'not base64');
      w.bytes(num, Buffer.from(value, 'base64'));
      return;
    case 'bytess':
      if (!Array.isArray(value)) fail(path, 'not a list');
      for (const s of value) w.bytes(num, Buffer.from(String(s), 'base64'));
      return;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) fail(path, 'not an integer');
      w.tag(num, 0);
      w.varint(value);
      return;
    case 'ints':
      if (!Array.isArray(value)) fail(path, 'not a list');
      for (const n of value) {
        if (typeof n !== 'number' || !Number.isInteger(n)) fail(path, 'not an integer');
        w.tag(num, 0);
        w.varint(n);
      }
      return;
    case 'double':
      if (typeof value !== 'number') fail(path, 'not a number');
      w.double(num, value);
      return;
    case 'bool':
      if (typeof value !== 'boolean') fail(path, 'not a bool');
      w.tag(num, 0);
      w.varint(value ? 1 : 0);
      return;
    case 'time':
    case 'microtime':
      w.message(num, (t) => timeMessage(t, value, path));
      return;
    case 'quantity':
      if (typeof value !== 'string' && typeof value !== 'number') fail(path, 'not a quantity');
      w.message(num, (q) => q.string(1, String(value)));
      return;
    case 'intorstring':
      if (typeof value === 'number') w.message(num, (x) => { x.tag(1, 0); x.varint(0); x.tag(2, 0); x.varint(value); });
      else if (typeof value === 'string') w.message(num, (x) => { x.tag(1, 0); x.varint(1); x.string(3, value); });
      else fail(path, 'not an int or string');
      return;
    case 'map':
    case 'bytesmap':
    case 'quantitymap':
    case 'stringsmap':
      if (!isObject(value)) fail(path, 'not a map');
      for (const [k, v] of Object.entries(value)) {
        w.message(num, (e) => {
          e.string(1, k);
          if (f.type === 'map') e.string(2, String(v));
          else if (f.type === 'bytesmap') e.bytes(2, Buffer.from(String(v), 'base64'));
          else if (f.type === 'quantitymap') e.message(2, (q) => q.string(1, String(v)));
          else {
            if (!Array.isArray(v)) fail(`${path}.${k}`, 'not a list');
            e.message(2, (x) => { for (const s of v) x.string(1, String(s)); });
          }
        });
      }
      return;
    case 'fieldsv1':
    case 'rawextension':
      w.message(num, (r) => r.string(1, JSON.stringify(value)));
      return;
    case 'duration':
      fail(path, 'durations are not written');
  }
}

function encodeMessage(w: ProtoWriter, message: string, obj: Record<string, unknown>, path: string, owned?: Set<string>): void {
  const fields = WIRE_TABLE.get(message);
  if (!fields) fail(path, `no wire form for ${message}`);
  // Every JSON member must land in some field (this message's or an inline one's), or the object is not encodable.
  const names = inlineNames(message);
  // TypeMeta is not part of a message (list items and embedded objects carry it in JSON).
  if (!owned) for (const k of Object.keys(obj)) if (!names.has(k) && k !== 'apiVersion' && k !== 'kind') fail(path ? `${path}.${k}` : k, `unknown to ${message}`);
  for (const [num, f] of [...fields].sort((a, b) => a[0] - b[0])) {
    if (f.type === 'message' && f.inline) {
      w.message(num, (x) => encodeMessage(x, f.message, obj, path, names));
      continue;
    }
    const value = obj[f.name];
    if (value === undefined || value === null) continue;
    const at = path ? `${path}.${f.name}` : f.name;
    if (f.type === 'message') {
      if (f.repeated) {
        if (!Array.isArray(value)) fail(at, 'not a list');
        value.forEach((item, i) => {
          if (!isObject(item)) fail(`${at}[${i}]`, 'not an object');
          w.message(num, (x) => encodeMessage(x, f.message, item, `${at}[${i}]`));
        });
      } else {
        if (!isObject(value)) fail(at, 'not an object');
        w.message(num, (x) => encodeMessage(x, f.message, value, at));
      }
    } else if (f.type === 'messagemap') {
      if (!isObject(value)) fail(at, 'not a map');
      for (const [k, v] of Object.entries(value)) {
        if (!isObject(v)) fail(`${at}.${k}`, 'not an object');
        w.message(num, (e) => {
          e.string(1, k);
          e.message(2, (x) => encodeMessage(x, f.message, v, `${at}.${k}`));
        });
      }
    } else scalar(w, num, f, value, at);
  }
}

const PREFIX = Buffer.from('k8s\u0000', 'latin1');

/** The object (with apiVersion and kind) in the wire format; throws NotEncodable when it cannot be. */
export function encodeProtobuf(obj: unknown): Buffer {
  if (!isObject(obj)) throw new NotEncodable('not an object');
  const apiVersion = typeof obj['apiVersion'] === 'string' ? obj['apiVersion'] : '';
  const kind = typeof obj['kind'] === 'string' ? obj['kind'] : '';
  const message = messageOfKind(apiVersion, kind);
  if (!message) throw new NotEncodable(`no wire form for ${kind} (${apiVersion})`);
  const { apiVersion: _a, kind: _k, ...body } = obj;
  const raw = new ProtoWriter();
  encodeMessage(raw, message, body, '');
  const unknown = new ProtoWriter();
  unknown.message(1, (t) => {
    t.string(1, apiVersion);
    t.string(2, kind);
  });
  unknown.bytes(2, raw.finish());
  return Buffer.concat([PREFIX, unknown.finish()]);
}
