#!/usr/bin/env node
/**
 * Generates src/control/api/protobuf/generated-messages.ts: the k8s.io/api wire format (message → field number →
 * JSON name and type) of every served group-version, read from an upstream source tree's generated.proto files
 * (the structure) and types.go files (JSON names, inline embeddings, pointer and omitempty fields).
 * Usage: node scripts/gen-protobuf-tables.mjs <kubernetes>/staging/src/k8s.io [/usr/bin/kubectl]
 * The tree used: Debian bookworm's `kubernetes` source package (upstream v1.20.2). With a Go binary of a later
 * release (kubectl 1.32), the wire format of the messages and fields added since is read from the file descriptors
 * that binary carries (gogo-protobuf registers every generated.proto as a gzipped FileDescriptorProto): numbers,
 * names and types. What only types.go tells (JSON name, inline, pointer or omitempty) comes from v1.20.2 where it
 * has the field; a newer scalar keeps its zero value when it is an int or a bool (API conventions make new
 * optional numbers and flags pointers) and drops an empty string. messages.ts is laid over the result.
 */
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const root = process.argv[2];
const newerBinary = process.argv[3];
if (!root) throw new Error('usage: gen-protobuf-tables.mjs <staging/src/k8s.io> [go binary with newer descriptors]');

/** Directories whose generated.proto we read (packages), newest served version first where v1 is missing. */
const DIRS = [
  'apimachinery/pkg/apis/meta/v1', 'apimachinery/pkg/api/resource', 'apimachinery/pkg/util/intstr', 'apimachinery/pkg/runtime',
  'api/core/v1', 'api/apps/v1', 'api/batch/v1', 'api/batch/v1beta1', 'api/autoscaling/v1', 'api/autoscaling/v2beta2',
  'api/rbac/v1', 'api/networking/v1', 'api/storage/v1', 'api/storage/v1beta1', 'api/policy/v1beta1', 'api/coordination/v1',
  'api/discovery/v1beta1', 'api/events/v1', 'api/node/v1', 'api/scheduling/v1', 'api/certificates/v1', 'api/admissionregistration/v1',
  'api/authentication/v1', 'api/authorization/v1', 'api/flowcontrol/v1beta1', 'kube-aggregator/pkg/apis/apiregistration/v1',
];

/** Proto types with a JSON form of their own. */
const SPECIAL = {
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time': 'time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': 'microtime',
  'k8s.io.apimachinery.pkg.api.resource.Quantity': 'quantity',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'intorstring',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': 'fieldsv1',
  'k8s.io.apimachinery.pkg.runtime.RawExtension': 'rawextension',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration': 'duration',
};

/** Go struct fields: per struct, per proto name: { json, inline, keepZero }. */
function goFields(dir) {
  const out = new Map();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.go') && !n.endsWith('_test.go') && !n.startsWith('zz_') && n !== 'generated.pb.go')) {
    const src = readFileSync(join(dir, f), 'utf8');
    const re = /^type (\w+) struct \{([\s\S]*?)^\}/gm;
    let m;
    while ((m = re.exec(src))) {
      const fields = new Map();
      for (const line of m[2].split('\n')) {
        const tag = /`([^`]*)`/.exec(line);
        if (!tag) continue;
        const pb = /protobuf:"([^"]*)"/.exec(tag[1]);
        if (!pb) continue;
        const name = /name=([^,]+)/.exec(pb[1])?.[1];
        if (!name) continue;
        const json = /json:"([^"]*)"/.exec(tag[1])?.[1] ?? '';
        const [jsonName, ...opts] = json.split(',');
        const decl = line.trim().split(/\s+/);
        const inline = opts.includes('inline');
        const goType = inline ? decl[0] : decl[1] ?? '';
        fields.set(name, { json: jsonName || name, inline, keepZero: goType.startsWith('*') || !opts.includes('omitempty') });
      }
      out.set(m[1], fields);
    }
  }
  return out;
}

const messages = {};
/** types.go facts per proto package: struct → proto field name → { json, inline, keepZero }. */
const goByPackage = new Map();
for (const d of DIRS) {
  const dir = join(root, d);
  const file = join(dir, 'generated.proto');
  if (!existsSync(file)) throw new Error(`missing ${file}`);
  const src = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
  const pkg = /^package ([\w.]+);/m.exec(src)[1];
  const go = goFields(dir);
  goByPackage.set(pkg, go);
  const re = /^message (\w+) \{([\s\S]*?)^\}/gm;
  let m;
  while ((m = re.exec(src))) {
    const name = m[1];
    const gof = go.get(name) ?? new Map();
    const fields = {};
    const fre = /^\s*(optional|repeated)?\s*(map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>|[\w.]+)\s+(\w+)\s*=\s*(\d+)/gm;
    let f;
    while ((f = fre.exec(m[2]))) {
      const [, label, type, , mapValue, pname, num] = f;
      const g = gof.get(pname) ?? { json: pname, inline: false, keepZero: false };
      const repeated = label === 'repeated';
      const qualify = (t) => (t.includes('.') ? t : `${pkg}.${t}`);
      let entry;
      if (mapValue) {
        const v = mapValue;
        if (v === 'string') entry = ['map'];
        else if (v === 'bytes') entry = ['bytesmap'];
        else if (qualify(v).endsWith('.Quantity')) entry = ['quantitymap'];
        else if (qualify(v).endsWith('.ExtraValue')) entry = ['stringsmap'];
        else entry = ['messagemap', qualify(v)];
      } else if (type === 'string') entry = [repeated ? 'strings' : 'string'];
      else if (type === 'bytes') entry = [repeated ? 'bytess' : 'bytes'];
      else if (type === 'int32' || type === 'int64') entry = [repeated ? 'ints' : 'int'];
      else if (type === 'bool') entry = ['bool'];
      else if (type === 'double') entry = ['double'];
      else if (SPECIAL[qualify(type)]) entry = [SPECIAL[qualify(type)], ...(repeated ? ['', 1] : [])];
      else entry = ['message', qualify(type), ...(repeated ? [1] : g.inline ? [0, 1] : [])];
      fields[num] = [g.json, ...entry, ...(g.keepZero && entry[0] !== 'message' ? [] : [])];
      if (g.keepZero && ['string', 'int', 'bool', 'double'].includes(entry[0])) fields[num].push('z');
    }
    messages[`${pkg}.${name}`] = fields;
  }
}

/** Packages whose newer descriptors are read: every group-version Skiff serves (and the meta types). */
const NEWER = [
  'k8s.io/apimachinery/pkg/apis/meta/v1', 'k8s.io/apimachinery/pkg/api/resource', 'k8s.io/apimachinery/pkg/util/intstr',
  'k8s.io/apimachinery/pkg/runtime', 'k8s.io/api/core/v1', 'k8s.io/api/apps/v1', 'k8s.io/api/batch/v1', 'k8s.io/api/autoscaling/v1',
  'k8s.io/api/autoscaling/v2', 'k8s.io/api/rbac/v1', 'k8s.io/api/networking/v1', 'k8s.io/api/storage/v1', 'k8s.io/api/policy/v1',
  'k8s.io/api/coordination/v1', 'k8s.io/api/discovery/v1', 'k8s.io/api/events/v1', 'k8s.io/api/node/v1', 'k8s.io/api/scheduling/v1',
  'k8s.io/api/certificates/v1', 'k8s.io/api/admissionregistration/v1', 'k8s.io/api/authentication/v1', 'k8s.io/api/authorization/v1',
  'k8s.io/api/flowcontrol/v1',
].map((d) => `${d}/generated.proto`);

/** A protobuf message's fields as [number, wireType, value] (varints as numbers, length-delimited as Buffers). */
function protoFields(buf) {
  const out = [];
  let pos = 0;
  const varint = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = buf[pos++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const wire = key & 7;
    if (wire === 0) out.push([Math.floor(key / 8), 0, varint()]);
    else if (wire === 2) {
      const len = varint();
      out.push([Math.floor(key / 8), 2, buf.subarray(pos, pos + len)]);
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`descriptor: wire type ${wire}`);
  }
  return out;
}
const str = (fields, n) => fields.find(([k]) => k === n)?.[2]?.toString('utf8');
const num = (fields, n) => fields.find(([k]) => k === n)?.[2];
const all = (fields, n) => fields.filter(([k]) => k === n).map(([, , v]) => protoFields(v));

/** Every gzipped FileDescriptorProto in a Go binary, by file name. */
function embeddedDescriptors(file) {
  const bin = readFileSync(file);
  const gzip = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]);
  const out = new Map();
  for (let at = bin.indexOf(gzip); at >= 0; at = bin.indexOf(gzip, at + 1)) {
    let raw;
    try {
      raw = inflateRawSync(bin.subarray(at + 10, at + 10 + 8_000_000));
    } catch {
      continue;
    }
    let fields;
    try {
      fields = protoFields(raw);
    } catch {
      continue;
    }
    const name = str(fields, 1);
    if (name?.endsWith('.proto')) out.set(name, fields);
  }
  return out;
}

const TYPE_DOUBLE = 1, TYPE_BOOL = 8, TYPE_STRING = 9, TYPE_MESSAGE = 11, TYPE_BYTES = 12;
const INT_TYPES = new Set([3, 4, 5, 13, 17, 18]);

/** A descriptor field as a table entry; `go` is what v1.20.2's types.go says of it, if it has it. */
function fromDescriptor(f, mapEntries, go) {
  const name = str(f, 1);
  const type = num(f, 5);
  const repeated = num(f, 4) === 3;
  const typeName = (str(f, 6) ?? '').replace(/^\./, '');
  const json = go?.json ?? str(f, 10) ?? name;
  let entry;
  if (type === TYPE_MESSAGE && mapEntries.has(typeName)) {
    const value = mapEntries.get(typeName);
    if (value === 'string') entry = ['map'];
    else if (value === 'bytes') entry = ['bytesmap'];
    else if (value.endsWith('.Quantity')) entry = ['quantitymap'];
    else if (value.endsWith('.ExtraValue')) entry = ['stringsmap'];
    else entry = ['messagemap', value];
  } else if (type === TYPE_STRING) entry = [repeated ? 'strings' : 'string'];
  else if (type === TYPE_BYTES) entry = [repeated ? 'bytess' : 'bytes'];
  else if (INT_TYPES.has(type)) entry = [repeated ? 'ints' : 'int'];
  else if (type === TYPE_BOOL) entry = ['bool'];
  else if (type === TYPE_DOUBLE) entry = ['double'];
  else if (type === TYPE_MESSAGE && SPECIAL[typeName]) entry = [SPECIAL[typeName], ...(repeated ? ['', 1] : [])];
  else if (type === TYPE_MESSAGE) entry = ['message', typeName, ...(repeated ? [1] : go?.inline ? [0, 1] : [])];
  else throw new Error(`descriptor: field ${name} has type ${type}`);
  const keepZero = go ? go.keepZero : entry[0] === 'int' || entry[0] === 'bool' || entry[0] === 'double';
  if (keepZero && ['string', 'int', 'bool', 'double'].includes(entry[0])) entry.push('z');
  // 'n': newer than v1.20.2 and unknown to its types.go, so JSON name and zero handling are guesses messages.ts may correct.
  if (!go) entry.push('n');
  return [json, ...entry];
}

if (newerBinary) {
  const files = embeddedDescriptors(newerBinary);
  let added = 0;
  for (const file of NEWER) {
    const fd = files.get(file);
    if (!fd) throw new Error(`${newerBinary} carries no descriptor of ${file}`);
    const pkg = str(fd, 2);
    const go = goByPackage.get(pkg) ?? new Map();
    const msgs = all(fd, 4);
    // map<K, V> fields are repeated nested XxxEntry messages with options.map_entry; their value field is 2.
    const mapEntries = new Map();
    for (const m of msgs) {
      for (const nested of all(m, 3)) {
        const opts = all(nested, 7)[0];
        if (!opts || num(opts, 7) !== 1) continue;
        const value = all(nested, 2).find((f) => num(f, 3) === 2);
        const vt = num(value, 5);
        mapEntries.set(`${pkg}.${str(m, 1)}.${str(nested, 1)}`, vt === TYPE_STRING ? 'string' : vt === TYPE_BYTES ? 'bytes' : (str(value, 6) ?? '').replace(/^\./, ''));
      }
    }
    for (const m of msgs) {
      const q = `${pkg}.${str(m, 1)}`;
      const target = (messages[q] ??= {});
      const gof = go.get(str(m, 1)) ?? new Map();
      for (const f of all(m, 2)) {
        const n = num(f, 3);
        const fresh = fromDescriptor(f, mapEntries, gof.get(str(f, 1)));
        const old = target[n];
        if (!old) {
          target[n] = fresh;
          added++;
        } else if (old[1] === 'message' && fresh[1] === 'message' && old[2] !== fresh[2]) {
          // Renamed since (v1.20's core Handler is ProbeHandler in Probe, LifecycleHandler in Lifecycle).
          target[n] = [old[0], 'message', fresh[2], ...old.slice(3)];
        }
      }
    }
  }
  console.log(`${added} fields from ${newerBinary}'s descriptors`);
}

const lines = Object.entries(messages).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
const source = newerBinary ? " and the newer messages and fields of kubectl 1.32's embedded descriptors" : '';
const out = `// Generated by scripts/gen-protobuf-tables.mjs from upstream v1.20.2's generated.proto and types.go${source}. Do not edit.
/**
 * Each message's fields: number → [jsonName, type, ...]. Types as messages.ts's ScalarType, plus 'message'
 * [json, 'message', qualifiedMessage, repeated?: 1, inline?: 1] and 'messagemap' [json, 'messagemap', message].
 * A trailing 'z' marks a scalar whose zero value is kept (a Go pointer, or a field JSON does not omit when empty);
 * an 'n' a field newer than v1.20.2 whose JSON facts are guessed (messages.ts corrects them).
 */
export type GeneratedField = readonly (string | number)[];
export const GENERATED_MESSAGES: Record<string, Record<number, GeneratedField>> = {
${lines.join('\n')}
};
`;
writeFileSync(new URL('../src/control/api/protobuf/generated-messages.ts', import.meta.url), out);
console.log(`${Object.keys(messages).length} messages`);
