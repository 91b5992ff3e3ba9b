/**
 * Media types: request body decoding (JSON, YAML, the patch types) and Accept negotiation (JSON, YAML, Table,
 * aggregated discovery). Decoding failures become 400/415 Statuses here, never exceptions from a parser.
 */
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ApiError, badRequest, unsupportedMediaType } from './status.js';
import { decodeProtobuf } from './protobuf/decode.js';

/** kube-apiserver's limit for JSON and YAML request bodies. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/** Body media types clients send (writes, patches); any other still reaches decodeBody/decodePatch, which answer 415. */
export const BODY_MEDIA_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', ...PATCH_TYPES];

export interface MediaType {
  type: string; // "application/json"
  params: Record<string, string>;
}

/** Parses one media range: `application/json;as=Table;v=v1;g=meta.k8s.io`. */
export function parseMediaType(text: string): MediaType {
  const [head, ...rest] = text.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
  }
  return { type: (head ?? '').trim().toLowerCase(), params };
}

/** One clause of an Accept header, as goautoneg (apimachinery's negotiation) parses it. */
export interface AcceptClause {
  type: string;
  subtype: string;
  params: Record<string, string>;
  q: number;
}

/**
 * The Accept header's clauses, best first: higher q, then a concrete type before `*`, then a concrete subtype
 * before `*`, otherwise in the order given. A clause without a `/` (other than a bare `*`) is dropped.
 */
export function parseAccept(header: string | undefined): AcceptClause[] {
  if (!header) return [];
  const out: AcceptClause[] = [];
  for (const part of header.split(',')) {
    const [range, ...params] = part.split(';');
    const sp = range!.split('/');
    const type = sp[0]!.trim();
    let subtype: string;
    if (sp.length === 1 && type === '*') subtype = '*';
    else if (sp.length === 2) subtype = sp[1]!.trim();
    else continue;
    const c: AcceptClause = { type, subtype, params: {}, q: 1 };
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim();
      const value = p.slice(eq + 1).trim();
      if (key === 'q') c.q = Number.parseFloat(value) || 0;
      else c.params[key] = value;
    }
    out.push(c);
  }
  const rank = (c: AcceptClause) => (c.type !== '*' ? 2 : 0) + (c.subtype !== '*' ? 1 : 0);
  return out.sort((a, b) => b.q - a.q || rank(b) - rank(a));
}

/** A server-side conversion asked for with `;as=<Kind>;g=meta.k8s.io;v=<version>`. */
export interface Conversion {
  kind: 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList';
  version: 'v1' | 'v1beta1';
}

/** What a response is written as: the serializer, an optional conversion, and whether it is indented. */
export interface ResponseFormat {
  media: 'json' | 'yaml' | 'protobuf';
  as?: Conversion;
  pretty?: boolean;
}

/**
 * The serializers responses are written with, in upstream's order. Protobuf is not offered for conversions (a
 * client asking for it that also accepts JSON gets JSON there); watches frame it as protobuf/watch-frame.ts does.
 */
const SERIALIZERS = [
  { type: 'application', subtype: 'json', media: 'json', stream: true },
  { type: 'application', subtype: 'yaml', media: 'yaml', stream: false },
  { type: 'application', subtype: 'vnd.kubernetes.protobuf', media: 'protobuf', stream: true },
] as const;

/** The media types a 406 lists, as upstream's NotAcceptable does. */
export const ACCEPTED_MEDIA_TYPES = SERIALIZERS.map((s) => `${s.type}/${s.subtype}`);
export const ACCEPTED_STREAM_MEDIA_TYPES = SERIALIZERS.filter((s) => s.stream).map((s) => `${s.type}/${s.subtype};stream=watch`);

/** What an endpoint can convert to (upstream's AllowsMediaTypeTransform): Tables need the kind's printer. */
export interface EndpointRestrictions {
  table: boolean;
  /** A watch: only serializers that frame a stream are considered (NegotiateOutputMediaTypeStream). */
  watch?: boolean;
}

const CONVERSIONS = new Set(['Table', 'PartialObjectMetadata', 'PartialObjectMetadataList']);

/**
 * Picks the response format as apimachinery's NegotiateMediaTypeOptions: the first clause, best first, that
 * names a served serializer and whose parameters the endpoint allows (`as`/`g`/`v` a conversion it can make,
 * `stream` only `watch` on a streaming serializer). No Accept header means JSON; null means 406.
 */
export function negotiate(header: string | undefined, endpoint: EndpointRestrictions): ResponseFormat | null {
  if (!header) return { media: 'json' };
  // Clients send the same few Accept headers on every request: the outcome is remembered per header and endpoint
  // (a copy goes out, since callers set `pretty` on it).
  const key = `${endpoint.table ? 't' : 'f'}${endpoint.watch ? 't' : 'f'}${header}`;
  let f = negotiated.get(key);
  if (f === undefined) {
    f = negotiateClauses(header, endpoint);
    if (negotiated.size >= MAX_NEGOTIATED) negotiated.clear();
    negotiated.set(key, f);
  }
  return f && { ...f };
}

const negotiated = new Map<string, ResponseFormat | null>();
const MAX_NEGOTIATED = 256;

function negotiateClauses(header: string, endpoint: EndpointRestrictions): ResponseFormat | null {
  for (const c of parseAccept(header)) {
    for (const s of SERIALIZERS) {
      if (endpoint.watch && !s.stream) continue;
      const matches = (c.type === s.type && (c.subtype === s.subtype || c.subtype === '*')) || (c.type === '*' && c.subtype === '*');
      if (!matches) continue;
      const f = acceptClause(c.params, s, endpoint);
      if (f) return f;
    }
  }
  return null;
}

function acceptClause(params: Record<string, string>, s: (typeof SERIALIZERS)[number], endpoint: EndpointRestrictions): ResponseFormat | null {
  const f: ResponseFormat = { media: s.media };
  const { as, g, v, stream } = params;
  if (stream !== undefined && stream !== '' && (!s.stream || stream !== 'watch')) return null;
  if (params['pretty'] === '1') f.pretty = true;
  if (as === undefined && g === undefined && v === undefined) return f;
  if (s.media === 'protobuf') return null;
  // A conversion: only meta.k8s.io v1/v1beta1 Table (JSON or YAML, where the kind prints) and PartialObjectMetadata(List).
  if (g !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1') || !as || !CONVERSIONS.has(as)) return null;
  if (as === 'Table' && !endpoint.table) return null;
  f.as = { kind: as as Conversion['kind'], version: v };
  return f;
}

/** A watch's format (NegotiateOutputMediaTypeStream): the negotiated serializer must stream, else 406. */
export const streams = (f: ResponseFormat): boolean => SERIALIZERS.some((s) => s.media === f.media && s.stream);

/** Indents JSON as upstream's pretty serializer (two spaces, trailing newline). */
export const prettyJson = (text: string): string => `${JSON.stringify(JSON.parse(text), null, 2)}\n`;

/** Decodes a write body by Content-Type: JSON, or YAML (one document). */
export function decodeBody(contentType: string | undefined, raw: Buffer | undefined): unknown {
  if (!raw || raw.length === 0) throw badRequest('the request body is empty; an object is required');
  const type = parseMediaType(contentType ?? 'application/json').type;
  const text = raw.toString('utf8');
  if (type === 'application/json' || type === '' || type === 'text/plain' || type.endsWith('+json')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
    }
  }
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml' || type.endsWith('+yaml')) {
    return decodeYaml(text);
  }
  if (type === 'application/vnd.kubernetes.protobuf') return decodeProtobuf(raw);
  throw unsupportedMediaType(type, ['application/json', 'application/yaml']);
}

// Kubernetes protobuf bodies (what kubectl's typed `create` generators send): decoded in ./protobuf/.
export { decodeProtobuf } from './protobuf/decode.js';

export function decodeYaml(text: string): unknown {
  let docs;
  try {
    docs = parseAllDocuments(text);
  } catch (err) {
    throw badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) {
    if (d.errors.length > 0) throw badRequest(`error converting YAML to JSON: ${d.errors[0]!.message}`);
  }
  const nonEmpty = list.filter((d) => d.contents !== null);
  if (nonEmpty.length > 1) throw badRequest('error converting YAML to JSON: expected a single YAML document');
  return nonEmpty.length === 0 ? null : nonEmpty[0]!.toJS({ maxAliasCount: 100 });
}

/** Patch bodies: JSON for the JSON patch types, YAML (a superset) for apply. */
export function decodePatch(contentType: string | undefined, raw: Buffer | undefined): { type: string; patch: unknown } {
  const type = parseMediaType(contentType ?? '').type;
  if (!PATCH_TYPES.includes(type)) throw unsupportedMediaType(type, PATCH_TYPES);
  if (!raw || raw.length === 0) throw badRequest('the request body is empty; a patch is required');
  const text = raw.toString('utf8');
  if (type === 'application/apply-patch+yaml') {
    try {
      return { type, patch: parseYaml(text) };
    } catch (err) {
      throw badRequest(`error decoding YAML: ${(err as Error).message}`);
    }
  }
  try {
    return { type, patch: JSON.parse(text) };
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** What sendText gives fastify as the reply's serializer: the text is the body already. */
const asIs = (text: string): string => text;

/**
 * Sends a serialised body with exactly the given Content-Type. fastify rewrites a string body's JSON media type
 * (adding `; charset=utf-8`, quoting parameters; clients match aggregated discovery's type literally) unless the
 * reply has its own serializer, which a string goes through as is. A string, not a Buffer: node writes the
 * headers and a string body as one string, where a Buffer body is a second chunk (a writev whose chunks TLS
 * copies together before one record): 6 µs less server CPU per request over TLS in a bare node https server.
 */
export function sendText(reply: { code(c: number): unknown; header(k: string, v: string): unknown; serializer(fn: (text: string) => string): unknown; send(b: string): unknown }, code: number, type: string, text: string): void {
  reply.code(code);
  reply.header('content-type', type);
  reply.serializer(asIs);
  reply.send(text);
}
