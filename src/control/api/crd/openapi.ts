/**
 * The OpenAPI definitions of a custom resource version, as upstream's CRD OpenAPI builder publishes them: the
 * kind (named `<reversed group>.<version>.<Kind>`) with apiVersion, kind and metadata (ObjectMeta) around the
 * CRD's own schema, and its list kind. Published in the Swagger 2.0 flavour the catalog holds (openapi/v3.ts
 * derives the 3.0 documents): nullable, the logical junctors and CEL rules are left out, as upstream's v2
 * conversion leaves them out.
 */
import type { Definitions, Schema } from '../schema/types.js';
import { isObject, itemsOf, type JSONSchemaProps } from './schema/types.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const API_VERSION = 'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND = 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
const METADATA = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const LIST_METADATA = 'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

/** `stable.example.com`, `v1`, `CronTab` → `com.example.stable.v1.CronTab`. */
export function definitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

const KEEP = new Set([
  'type', 'format', 'description', 'title', 'default', 'example', 'enum', 'pattern', 'maximum', 'exclusiveMaximum',
  'minimum', 'exclusiveMinimum', 'multipleOf', 'maxLength', 'minLength', 'maxItems', 'minItems', 'uniqueItems',
  'maxProperties', 'minProperties', 'required', 'x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type',
]);

/** A CRD schema node in the published form. */
function publish(s: JSONSchemaProps): Schema {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (KEEP.has(k)) out[k] = structuredClone(v);
  if (s['x-kubernetes-int-or-string']) {
    delete out['type'];
    out['format'] = 'int-or-string';
  }
  if (s.properties) out['properties'] = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, publish(v)]));
  const items = itemsOf(s);
  if (items) out['items'] = publish(items);
  if (isObject(s.additionalProperties)) out['additionalProperties'] = publish(s.additionalProperties as JSONSchemaProps);
  else if (s.additionalProperties === true) out['additionalProperties'] = true;
  return out as Schema;
}

export interface CustomKindNames {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
}

/** The definitions of one served version: the kind and its list. */
export function customDefinitions(n: CustomKindNames, schema: JSONSchemaProps | undefined): { definition: string; definitions: Definitions } {
  const definition = definitionName(n.group, n.version, n.kind);
  const list = definitionName(n.group, n.version, n.listKind);
  const body = schema ? publish(schema) : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } as Schema;
  const own = { ...(body.properties ?? {}) };
  delete own['apiVersion'];
  delete own['kind'];
  delete own['metadata'];
  const kindSchema: Schema = {
    ...body,
    type: 'object',
    properties: {
      apiVersion: { type: 'string', description: API_VERSION },
      kind: { type: 'string', description: KIND },
      metadata: { $ref: `#/definitions/${META}.ObjectMeta`, description: METADATA },
      ...own,
    },
  };
  const listSchema: Schema = {
    type: 'object',
    description: `${n.listKind} is a list of ${n.kind}`,
    required: ['items'],
    properties: {
      apiVersion: { type: 'string', description: API_VERSION },
      items: { type: 'array', description: `List of ${n.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`, items: { $ref: `#/definitions/${definition}` } },
      kind: { type: 'string', description: KIND },
      metadata: { $ref: `#/definitions/${META}.ListMeta`, description: LIST_METADATA },
    },
  };
  return { definition, definitions: { [definition]: kindSchema, [list]: listSchema } };
}

/** A nested node as upstream's ToStructuralOpenAPIV2 leaves it for kubectl's v2 reader. */
function nodeToV2(s: Schema): Schema {
  const out: Schema = { ...s };
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  // kubectl's v2 reader would take properties or items beside preserve-unknown-fields as the whole shape.
  if (preserve) {
    delete out.properties;
    delete out.items;
  }
  if (out.properties) out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, nodeToV2(v)]));
  if (out.items) out.items = nodeToV2(out.items);
  if (out.additionalProperties && typeof out.additionalProperties === 'object') out.additionalProperties = nodeToV2(out.additionalProperties);
  // An array without items, or an open object, is left untyped: kubectl's v2 reader cannot cope with either.
  if ((out.type === 'array' && !out.items) || (preserve && out.type === 'object')) delete out.type;
  return out;
}

/**
 * A custom kind's definition as /openapi/v2 publishes it (upstream's buildKubeNative with v2): a root that keeps
 * unknown fields becomes a bare object (no properties at all, else kubectl would refuse everything else);
 * otherwise nested nodes that keep unknown fields lose their properties and items and, for objects, their type.
 * /openapi/v3 publishes the schema unchanged.
 */
export function customDefinitionV2(s: Schema): Schema {
  const gvk = s['x-kubernetes-group-version-kind'];
  if (s['x-kubernetes-preserve-unknown-fields'] === true) return { type: 'object', ...(gvk ? { 'x-kubernetes-group-version-kind': gvk } : {}) };
  return nodeToV2(s);
}
