/**
 * GET /openapi/v2 as `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, the only form kubectl asks for:
 * gnostic's openapi_v2.Document (field numbers from gnostic's OpenAPIv2.proto). kubectl reads the definitions
 * for client-side validation (its fallback for kinds without a PATCH operation, such as TokenReview), so the
 * document carries swagger, info and every definition; paths are left out. Values gnostic keeps as `Any`
 * (defaults, enums, examples, x- extensions) are its `yaml` text, which JSON is. The answer's Content-Type is
 * application/octet-stream, as kube-openapi's: the asked-for type is not a valid media type (its '@').
 */
import type { SwaggerDocument } from './index.js';

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** Protobuf writer for the few wire types this document needs. */
class Writer {
  private readonly parts: Buffer[] = [];

  private varint(v: number): void {
    const bytes: number[] = [];
    let n = BigInt.asUintN(64, BigInt(Math.trunc(v)));
    while (n >= 0x80n) {
      bytes.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    bytes.push(Number(n));
    this.parts.push(Buffer.from(bytes));
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  string(field: number, s: string | undefined): void {
    if (!s) return;
    this.bytes(field, Buffer.from(s, 'utf8'));
  }

  strings(field: number, list: readonly string[] | undefined): void {
    for (const s of list ?? []) this.bytes(field, Buffer.from(s, 'utf8'));
  }

  bytes(field: number, b: Buffer): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.parts.push(b);
  }

  bool(field: number, b: unknown): void {
    if (b !== true) return;
    this.tag(field, 0);
    this.varint(1);
  }

  /** A bool written even when false: a oneof arm says which arm is set by being present. */
  oneofBool(field: number, b: boolean): void {
    this.tag(field, 0);
    this.varint(b ? 1 : 0);
  }

  int(field: number, v: unknown): void {
    if (typeof v !== 'number' || v === 0) return;
    this.tag(field, 0);
    this.varint(v);
  }

  double(field: number, v: unknown): void {
    if (typeof v !== 'number' || v === 0) return;
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.parts.push(b);
  }

  message(field: number, encode: (w: Writer) => void): void {
    const w = new Writer();
    encode(w);
    this.bytes(field, w.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** gnostic's Any: field 2 is the value's YAML text. */
const any = (value: unknown) => (w: Writer) => w.string(2, JSON.stringify(value));

/** NamedAny {name, value} for each x- extension of `o`. */
function vendorExtensions(w: Writer, field: number, o: Json): void {
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('x-')) continue;
    w.message(field, (n) => {
      n.string(1, k);
      n.message(2, any(v));
    });
  }
}

function schema(w: Writer, s: Json): void {
  w.string(1, typeof s['$ref'] === 'string' ? s['$ref'] : undefined);
  w.string(2, s['format'] as string | undefined);
  w.string(3, s['title'] as string | undefined);
  w.string(4, s['description'] as string | undefined);
  if (s['default'] !== undefined) w.message(5, any(s['default']));
  w.double(6, s['multipleOf']);
  w.double(7, s['maximum']);
  w.bool(8, s['exclusiveMaximum']);
  w.double(9, s['minimum']);
  w.bool(10, s['exclusiveMinimum']);
  w.int(11, s['maxLength']);
  w.int(12, s['minLength']);
  w.string(13, s['pattern'] as string | undefined);
  w.int(14, s['maxItems']);
  w.int(15, s['minItems']);
  w.bool(16, s['uniqueItems']);
  w.int(17, s['maxProperties']);
  w.int(18, s['minProperties']);
  if (Array.isArray(s['required'])) w.strings(19, s['required'] as string[]);
  if (Array.isArray(s['enum'])) for (const e of s['enum']) w.message(20, any(e));
  const ap = s['additionalProperties'];
  if (isObject(ap)) w.message(21, (a) => a.message(1, (x) => schema(x, ap)));
  else if (typeof ap === 'boolean') w.message(21, (a) => a.oneofBool(2, ap));
  const type = s['type'];
  if (typeof type === 'string' || Array.isArray(type)) w.message(22, (t) => t.strings(1, Array.isArray(type) ? type as string[] : [type]));
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
          n.string(1, name);
          n.message(2, (x) => schema(x, ps));
        });
      }
    });
  }
  w.string(26, s['discriminator'] as string | undefined);
  w.bool(27, s['readOnly']);
  if (s['example'] !== undefined) w.message(30, any(s['example']));
  vendorExtensions(w, 31, s);
}

const encoded = new WeakMap<SwaggerDocument, Buffer>();

/** The document in gnostic's protobuf form (encoded once per document: the registry's documents are memoised). */
export function openapiV2Protobuf(doc: SwaggerDocument): Buffer {
  let b = encoded.get(doc);
  if (!b) {
    const w = new Writer();
    w.string(1, doc.swagger);
    w.message(2, (i) => {
      i.string(1, doc.info.title);
      i.string(2, doc.info.version);
    });
    w.message(9, (d) => {
      for (const [name, s] of Object.entries(doc.definitions as Record<string, unknown>)) {
        if (!isObject(s)) continue;
        d.message(1, (n) => {
          n.string(1, name);
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
