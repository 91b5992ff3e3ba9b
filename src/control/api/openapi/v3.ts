/**
 * Swagger 2.0 → OpenAPI 3.0 for kube-apiserver's per group-version documents: refs move to components.schemas,
 * a described ref becomes `allOf: [{$ref}]` beside its description (as upstream publishes it), body parameters
 * become request bodies and produces/consumes become content maps.
 */
import type { Schema } from '../schema/index.js';
import type { Operation, Parameter, PathItem } from './paths.js';

export interface SchemaV3 extends Omit<Schema, 'properties' | 'items' | 'additionalProperties'> {
  properties?: Record<string, SchemaV3>;
  items?: SchemaV3;
  additionalProperties?: SchemaV3 | boolean;
  allOf?: SchemaV3[];
}

const V2_REF = '#/definitions/';
const V3_REF = '#/components/schemas/';

const moveRef = (ref: string): string => (ref.startsWith(V2_REF) ? V3_REF + ref.slice(V2_REF.length) : ref);

export function schemaToV3(s: Schema, nested = false): SchemaV3 {
  if (s.$ref) {
    const { $ref, ...rest } = s;
    if (nested && Object.keys(rest).length > 0) return { ...rest, allOf: [{ $ref: moveRef($ref) }] };
    return { $ref: moveRef($ref) };
  }
  const out: SchemaV3 = { ...(s as Omit<Schema, 'properties' | 'items' | 'additionalProperties'>) };
  if (s.properties) {
    out.properties = {};
    for (const [k, v] of Object.entries(s.properties)) out.properties[k] = schemaToV3(v, true);
  }
  if (s.items) out.items = schemaToV3(s.items, true);
  if (s.additionalProperties !== undefined) {
    out.additionalProperties = typeof s.additionalProperties === 'boolean'
      ? s.additionalProperties
      : schemaToV3(s.additionalProperties, true);
  }
  return out;
}

export interface ParameterV3 {
  name: string;
  in: 'query' | 'path';
  description: string;
  required?: boolean;
  schema: { type: string; uniqueItems?: boolean };
}

export interface OperationV3 {
  tags: string[];
  description: string;
  operationId: string;
  parameters?: ParameterV3[];
  requestBody?: { content: Record<string, { schema: SchemaV3 }>; required: boolean };
  responses: Record<string, { description: string; content?: Record<string, { schema: SchemaV3 }> }>;
  'x-kubernetes-action': string;
  'x-kubernetes-group-version-kind': Operation['x-kubernetes-group-version-kind'];
}

export type PathItemV3 = Partial<Record<'get' | 'put' | 'post' | 'patch' | 'delete', OperationV3>> & { parameters?: ParameterV3[] };

function paramToV3(p: Parameter): ParameterV3 {
  const out: ParameterV3 = { name: p.name, in: p.in as 'query' | 'path', description: p.description, schema: { type: p.type ?? 'string' } };
  if (p.uniqueItems) out.schema.uniqueItems = true;
  if (p.required) out.required = true;
  return out;
}

function operationToV3(op: Operation): OperationV3 {
  const out: OperationV3 = {
    tags: op.tags,
    description: op.description,
    operationId: op.operationId,
    responses: {},
    'x-kubernetes-action': op['x-kubernetes-action'],
    'x-kubernetes-group-version-kind': op['x-kubernetes-group-version-kind'],
  };
  const params = op.parameters.filter((p) => p.in !== 'body').map(paramToV3);
  if (params.length) out.parameters = params;
  const bodyParam = op.parameters.find((p) => p.in === 'body');
  if (bodyParam?.schema) {
    const schema = schemaToV3(bodyParam.schema);
    out.requestBody = { content: Object.fromEntries(op.consumes.map((c) => [c, { schema }])), required: true };
  }
  for (const [code, r] of Object.entries(op.responses)) {
    out.responses[code] = r.schema
      ? { description: r.description, content: Object.fromEntries(op.produces.map((c) => [c, { schema: schemaToV3(r.schema!) }])) }
      : { description: r.description };
  }
  return out;
}

export function pathItemToV3(item: PathItem): PathItemV3 {
  const out: PathItemV3 = {};
  for (const verb of ['get', 'put', 'post', 'patch', 'delete'] as const) {
    const op = item[verb];
    if (op) out[verb] = operationToV3(op);
  }
  if (item.parameters) out.parameters = item.parameters.map(paramToV3);
  return out;
}
