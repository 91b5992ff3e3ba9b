/**
 * /openapi/v2 and /openapi/v3 documents, generated from the registry and the shared schema catalog (the same
 * schemas the strategic-merge patcher reads). Computed once per registry and cached.
 */
import { createHash } from 'node:crypto';
import type { ResourceType } from '../resource.js';
import { reachableDefinitions, registrySchemas, type Definitions } from '../schema/index.js';
import { resourcePaths, type PathItem } from './paths.js';
import { pathItemToV3, schemaToV3, type PathItemV3, type SchemaV3 } from './v3.js';
import { customDefinitionV2 } from '../crd/openapi.js';

export type { PathItem, Operation, Parameter } from './paths.js';
export type { PathItemV3, OperationV3, SchemaV3 } from './v3.js';

/** The Kubernetes release whose API Skiff serves; reported as info.version. */
export const OPENAPI_INFO = { title: 'Kubernetes', version: 'v1.32.0' } as const;

const SECURITY_V2 = {
  securityDefinitions: {
    BearerToken: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer Token authentication' },
  },
  security: [{ BearerToken: [] as string[] }],
};

export interface SwaggerDocument {
  swagger: '2.0';
  info: typeof OPENAPI_INFO;
  paths: Record<string, PathItem>;
  definitions: Definitions;
  securityDefinitions: typeof SECURITY_V2.securityDefinitions;
  security: typeof SECURITY_V2.security;
}

export interface OpenAPIV3Document {
  openapi: '3.0.0';
  info: typeof OPENAPI_INFO;
  paths: Record<string, PathItemV3>;
  components: {
    schemas: Record<string, SchemaV3>;
    securitySchemes: { BearerToken: { type: 'apiKey'; description: string; name: string; in: 'header' } };
  };
}

export interface OpenAPIV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

interface Built {
  v2: SwaggerDocument;
  /** Keyed by `api/v1`, `apis/apps/v1`, … */
  v3: Map<string, { doc: OpenAPIV3Document; hash: string }>;
  v3Index: OpenAPIV3Index;
}

/** Types every group-version document carries (errors, deletes, patch bodies, watch events). */
const COMMON_DEFINITIONS = [
  'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
  'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
  'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent',
];

const cache = new WeakMap<readonly ResourceType[], Built>();

/** `api/v1` or `apis/<group>/<version>`: the key of a group-version in /openapi/v3. */
export const v3Key = (r: Pick<ResourceType, 'group' | 'version'>): string =>
  r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;

function collectRefs(paths: Record<string, PathItem>): string[] {
  const refs: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string') refs.push(x.slice('#/definitions/'.length));
        else visit(x);
      }
    }
  };
  visit(paths);
  return refs;
}

function build(resources: readonly ResourceType[]): Built {
  const { definitions, listDefinitions } = registrySchemas(resources);
  const allPaths: Record<string, PathItem> = {};
  const byGV = new Map<string, Record<string, PathItem>>();
  resources.forEach((r, i) => {
    const paths = resourcePaths(r, listDefinitions[i]!);
    Object.assign(allPaths, paths);
    const key = v3Key(r);
    byGV.set(key, { ...(byGV.get(key) ?? {}), ...paths });
  });

  const sortedPaths = Object.fromEntries(Object.keys(allPaths).sort().map((p) => [p, allPaths[p]!]));
  // Custom kinds go out to v2 in the form kubectl's v2 reader copes with (v3 keeps their schemas whole).
  const customV2 = new Set(resources.filter((r) => r.custom).map((r) => r.definition));
  const v2Definition = (d: string) => (customV2.has(d) ? customDefinitionV2(definitions[d]!) : definitions[d]!);
  const v2: SwaggerDocument = {
    swagger: '2.0',
    info: OPENAPI_INFO,
    paths: sortedPaths,
    // Only what the served paths reach: the catalog also knows core kinds Skiff does not serve.
    definitions: Object.fromEntries(
      [...reachableDefinitions(definitions, [...collectRefs(allPaths), ...COMMON_DEFINITIONS])].sort().map((d) => [d, v2Definition(d)]),
    ),
    ...SECURITY_V2,
  };

  const v3 = new Map<string, { doc: OpenAPIV3Document; hash: string }>();
  const index: OpenAPIV3Index = { paths: {} };
  for (const [key, paths] of [...byGV.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const names = reachableDefinitions(definitions, [...collectRefs(paths), ...COMMON_DEFINITIONS]);
    const schemas: Record<string, SchemaV3> = {};
    for (const name of [...names].sort()) schemas[name] = schemaToV3(definitions[name]!);
    const doc: OpenAPIV3Document = {
      openapi: '3.0.0',
      info: OPENAPI_INFO,
      paths: Object.fromEntries(Object.keys(paths).sort().map((p) => [p, pathItemToV3(paths[p]!)])),
      components: {
        schemas,
        securitySchemes: {
          BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' },
        },
      },
    };
    // Like kube-apiserver: the hash of the document's bytes, so clients cache a version until it changes.
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
    v3.set(key, { doc, hash });
    index.paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { v2, v3, v3Index: index };
}

function built(resources: readonly ResourceType[]): Built {
  let b = cache.get(resources);
  if (!b) {
    b = build(resources);
    cache.set(resources, b);
  }
  return b;
}

/** GET /openapi/v2: one Swagger 2.0 document for every registry kind. */
export function openapiV2(resources: readonly ResourceType[]): SwaggerDocument {
  return built(resources).v2;
}

/** GET /openapi/v3: the index of group-version documents with their content-hash URLs. */
export function openapiV3Paths(resources: readonly ResourceType[]): OpenAPIV3Index {
  return built(resources).v3Index;
}

/** Normalises `/openapi/v3/apis/apps/v1?hash=…`, `/apis/apps/v1` or `apis/apps/v1` to the index key. */
function keyOf(path: string): string {
  return path.split('?')[0]!.replace(/^\/+/, '').replace(/^openapi\/v3\//, '').replace(/\/+$/, '');
}

/** GET /openapi/v3/<api/v1 | apis/g/v>: the OpenAPI 3.0 document of one group-version, or undefined. */
export function openapiV3GroupVersion(resources: readonly ResourceType[], path: string): OpenAPIV3Document | undefined {
  return built(resources).v3.get(keyOf(path))?.doc;
}

/** The content hash of a group-version document (routes compare it with `?hash=` to send immutable caching). */
export function openapiV3Hash(resources: readonly ResourceType[], path: string): string | undefined {
  return built(resources).v3.get(keyOf(path))?.hash;
}


const v2Bytes = new WeakMap<SwaggerDocument, { body: string; etag: string }>();
const protobufETags = new WeakMap<Buffer, string>();

/** kube-openapi's ETag: the SHA-512 of the served bytes in upper-case hex (sent quoted). */
const etagOf = (bytes: string | Buffer): string => createHash('sha512').update(bytes).digest('hex').toUpperCase();

/**
 * GET /openapi/v2 as JSON, serialised once per document, with its ETag: clients that poll it (kubectl's caches,
 * e2e's waits for a CRD's definition) send If-None-Match and get a 304 while nothing changed.
 */
export function openapiV2Json(resources: readonly ResourceType[]): { body: string; etag: string } {
  const doc = openapiV2(resources);
  let b = v2Bytes.get(doc);
  if (!b) {
    const body = JSON.stringify(doc);
    b = { body, etag: etagOf(body) };
    v2Bytes.set(doc, b);
  }
  return b;
}

/** The ETag of an encoded (protobuf) form of the v2 document, computed once per buffer. */
export function openapiV2ETag(bytes: Buffer): string {
  let e = protobufETags.get(bytes);
  if (!e) {
    e = etagOf(bytes);
    protobufETags.set(bytes, e);
  }
  return e;
}

/** Whether an If-None-Match header names the ETag (quoted or not, in a list, or `*`). */
export function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (!header) return false;
  const tags = (Array.isArray(header) ? header.join(',') : header).split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1'));
  return tags.includes(etag) || tags.includes('*');
}
