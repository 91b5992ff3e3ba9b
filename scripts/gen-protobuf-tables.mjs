#!/usr/bin/env node
/**
 * Generates src/control/api/protobuf/generated-messages.ts: the k8s.io/api wire format (message → field number →
 * JSON name and type) of every served group-version, read from an upstream source tree's generated.proto files
 * (the structure) and types.go files (JSON names, inline embeddings, pointer and omitempty fields).
 * Usage: node scripts/gen-protobuf-tables.mjs <kubernetes>/staging/src/k8s.io
 * The tree used: Debian bookworm's `kubernetes` source package (upstream v1.20.2); fields added upstream since are
 * listed by hand in messages.ts, which wins over this table.
 */
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2];
if (!root) throw new Error('usage: gen-protobuf-tables.mjs <staging/src/k8s.io>');

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
for (const d of DIRS) {
  const dir = join(root, d);
  const file = join(dir, 'generated.proto');
  if (!existsSync(file)) throw new Error(`missing ${file}`);
  const src = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
  const pkg = /^package ([\w.]+);/m.exec(src)[1];
  const go = goFields(dir);
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

const lines = Object.entries(messages).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
const out = `// Generated by scripts/gen-protobuf-tables.mjs from upstream v1.20.2's generated.proto and types.go. Do not edit.
/**
 * Each message's fields: number → [jsonName, type, ...]. Types as messages.ts's ScalarType, plus 'message'
 * [json, 'message', qualifiedMessage, repeated?: 1, inline?: 1] and 'messagemap' [json, 'messagemap', message].
 * A trailing 'z' marks a scalar whose zero value is kept (a Go pointer, or a field JSON does not omit when empty).
 */
export type GeneratedField = readonly (string | number)[];
export const GENERATED_MESSAGES: Record<string, Record<number, GeneratedField>> = {
${lines.join('\n')}
};
`;
writeFileSync(new URL('../src/control/api/protobuf/generated-messages.ts', import.meta.url), out);
console.log(`${Object.keys(messages).length} messages`);
