/**
 * GET /openapi/v2 as `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, the only form kubectl asks for:
 * gnostic's openapi_v2.Document (field numbers from gnostic's OpenAPIv2.proto). kubectl reads the definitions
 * for client-side validation (its fallback for kinds without a PATCH operation, such as TokenReview), so the
 * document carries swagger, info and every definition; paths are left out. Values gnostic keeps as `Any`
 * (defaults, enums, examples, x- extensions) are its `yaml` text, which JSON is. The answer's Content-Type is
 * application/octet-stream, as kube-openapi's: the asked-for type is not a valid media type (its '@').
 */
import type { SwaggerDocument } from './index.js';
import { ProtoWriter } from '../protobuf/writer.js';

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** proto3 leaves default values out: these write a field only when it is set. */
const text = (w: ProtoWriter, field: number, s: unknown): void => {
  if (typeof s === 'string' && s) w.string(field, s);
};
const texts = (w: ProtoWriter, field: number, list: readonly string[] | undefined): void => {
  for (const s of list ?? []) w.string(field, s);
};
const flag = (w: ProtoWriter, field: number, b: unknown): void => {
  if (b !== true) return;
  w.tag(field, 0);
  w.varint(1);
};
const int = (w: ProtoWriter, field: number, v: unknown): void => {
  if (typeof v !== 'number' || v === 0) return;
  w.tag(field, 0);
  w.varint(v);
};
const num = (w: ProtoWriter, field: number, v: unknown): void => {
  if (typeof v === 'number' && v !== 0) w.double(field, v);
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** gnostic's Any: field 2 is the value's YAML text. */
const any = (value: unknown) => (w: ProtoWriter) => text(w, 2, JSON.stringify(value));

/** NamedAny {name, value} for each x- extension of `o`. */
function vendorExtensions(w: ProtoWriter, field: number, o: Json): void {
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('x-')) continue;
    w.message(field, (n) => {
      text(n, 1, k);
      n.message(2, any(v));
    });
  }
}

function schema(w: ProtoWriter, s: Json): void {
  text(w, 1, typeof s['$ref'] === 'string' ? s['$ref'] : undefined);
  text(w, 2, s['format']);
  text(w, 3, s['title']);
  text(w, 4, s['description']);
  if (s['default'] !== undefined) w.message(5, any(s['default']));
  num(w, 6, s['multipleOf']);
  num(w, 7, s['maximum']);
  flag(w, 8, s['exclusiveMaximum']);
  num(w, 9, s['minimum']);
  flag(w, 10, s['exclusiveMinimum']);
  int(w, 11, s['maxLength']);
  int(w, 12, s['minLength']);
  text(w, 13, s['pattern']);
  int(w, 14, s['maxItems']);
  int(w, 15, s['minItems']);
  flag(w, 16, s['uniqueItems']);
  int(w, 17, s['maxProperties']);
  int(w, 18, s['minProperties']);
  if (Array.isArray(s['required'])) texts(w, 19, s['required'] as string[]);
  if (Array.isArray(s['enum'])) for (const e of s['enum']) w.message(20, any(e));
  const ap = s['additionalProperties'];
  if (isObject(ap)) w.message(21, (a) => a.message(1, (x) => schema(x, ap)));
  else if (typeof ap === 'boolean') w.message(21, (a) => {
    // AdditionalPropertiesItem's boolean arm is written even when false: being present says which arm is set.
    a.tag(2, 0);
    a.varint(ap ? 1 : 0);
  });
  const type = s['type'];
  if (typeof type === 'string' || Array.isArray(type)) w.message(22, (t) => texts(t, 1, Array.isArray(type) ? type as string[] : [type]));
  const items = s['items'];
  if (isObject(items)) w.message(23, (i) => i.message(1, (x) => schema(x, items)));
  else if (Array.isArray(items)) w.message(23, (i) => { for (const it of items) if (isObject(it)) i.message(1, (x) => schema(x, it)); });
  if (Array.isArray(s['allOf'])) for (const a of s['allOf']) if (isObject(a)) w.message(24, (x) => schema(x, a));
  const props = s['properties'];
  if (isObject(props)) {
    w.message(25, (p) => {
      for (const [name, ps] of Object.entries(props)) {
        if (!isObject(ps)) continue;
        p.message(1, (n) => {
          text(n, 1, name);
          n.message(2, (x) => schema(x, ps));
        });
      }
    });
  }
  text(w, 26, s['discriminator']);
  flag(w, 27, s['readOnly']);
  if (s['example'] !== undefined) w.message(30, any(s['example']));
  vendorExtensions(w, 31, s);
}

const encoded = new WeakMap<SwaggerDocument, Buffer>();

/** The document in gnostic's protobuf form (encoded once per document: the registry's documents are memoised). */
export function openapiV2Protobuf(doc: SwaggerDocument): Buffer {
  let b = encoded.get(doc);
  if (!b) {
    const w = new ProtoWriter();
    text(w, 1, doc.swagger);
    w.message(2, (i) => {
      text(i, 1, doc.info.title);
      text(i, 2, doc.info.version);
    });
    w.message(9, (d) => {
      for (const [name, s] of Object.entries(doc.definitions as Record<string, unknown>)) {
        if (!isObject(s)) continue;
        d.message(1, (n) => {
          text(n, 1, name);
          n.message(2, (x) => schema(x, s));
        });
      }
    });
    b = w.finish();
    encoded.set(doc, b);
  }
  return b;
}

/** Whether an Accept header asks for this form before (or instead of) JSON. */
export function prefersOpenAPIv2Protobuf(accept: string | undefined): boolean {
  if (!accept) return false;
  for (const part of accept.split(',')) {
    const type = part.split(';')[0]!.trim();
    if (type === OPENAPI_V2_PROTOBUF || type === 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf') return true;
    if (type === 'application/json' || type === '*/*' || type === 'application/*') return false;
  }
  return false;
}
