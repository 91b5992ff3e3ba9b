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

/** The Accept header's media ranges in the order given (clients list their preference first). */
export function parseAccept(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseMediaType);
}

export type ResponseFormat =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: 'v1' }
  | { kind: 'discovery' };

export const AGGREGATED_DISCOVERY_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

const isJsonish = (t: string): boolean => t === 'application/json' || t === '*/*' || t === 'application/*';

/**
 * Picks the response format: the first range we can serve wins. Protobuf ranges are skipped (JSON is always
 * acceptable to Kubernetes clients that list it as a fallback).
 */
export function negotiate(accept: MediaType[], opts: { table?: boolean; discovery?: boolean }): ResponseFormat | null {
  if (accept.length === 0) return { kind: 'json' };
  for (const m of accept) {
    const as = m.params['as'];
    if (as) {
      if (opts.table && as === 'Table' && m.params['g'] === 'meta.k8s.io' && m.params['v'] === 'v1' && isJsonish(m.type))
        return { kind: 'table', version: 'v1' };
      if (opts.discovery && as === 'APIGroupDiscoveryList' && m.params['g'] === 'apidiscovery.k8s.io' && m.params['v'] === 'v2' && m.type === 'application/json')
        return { kind: 'discovery' };
      continue;
    }
    if (isJsonish(m.type)) return { kind: 'json' };
    if (m.type === 'application/yaml') return { kind: 'yaml' };
  }
  return null;
}

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

/**
 * Sends a serialised body with exactly the given Content-Type. (fastify rewrites a string body's JSON media
 * type, e.g. adding `; charset=utf-8` and quoting parameters; clients match aggregated discovery's type
 * literally, so bodies go out as Buffers.)
 */
export function sendText(reply: { code(c: number): unknown; header(k: string, v: string): unknown; send(b: Buffer): unknown }, code: number, type: string, text: string): void {
  reply.code(code);
  reply.header('content-type', type);
  reply.send(Buffer.from(text));
}
