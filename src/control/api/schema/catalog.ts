/**
 * The object schemas of the built-in kinds, read from @kubernetes/client-node's generated models (generated from
 * upstream's OpenAPI document, release 1.36): property names and types from each model's `attributeTypeMap` (read
 * from the model's file: model-attributes.ts), descriptions and required fields from the model's declaration file,
 * patch/list semantics from patch-meta.ts.
 * client-node's declarations omit the description of struct-typed fields (`spec`, `affinity`, …); those come
 * from kubernetes-types' declarations (release 1.30) when it has them.
 * Nothing here is a copy of an upstream file; the packages are the source and this module only reshapes them.
 *
 * Definition names follow kube-apiserver's (`io.k8s.api.core.v1.PodSpec`). The package's class names drop the
 * Go package, so a nested type is named after the package of the root it was reached from, except the
 * apimachinery meta/v1 types and types reachable from a core/v1 kind, which keep their own packages.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MODEL_DIR, modelAttributes } from './model-attributes.js';
import { patchMeta } from './patch-meta.js';
import { REF_PREFIX, type Definitions, type GroupVersionKind, type Schema } from './types.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
/** apimachinery's meta/v1 types as the package names them (without the version prefix). */
const META_TYPES = new Set([
  'ObjectMeta', 'ListMeta', 'LabelSelector', 'LabelSelectorRequirement', 'Condition', 'ManagedFieldsEntry',
  'OwnerReference', 'Status', 'StatusDetails', 'StatusCause', 'DeleteOptions', 'Preconditions', 'WatchEvent',
  'APIResource', 'APIResourceList', 'APIGroup', 'APIGroupList', 'APIVersions', 'GroupVersionForDiscovery',
  'ServerAddressByClientCIDR',
]);
const TIME = `${META}.Time`;
const MICRO_TIME = `${META}.MicroTime`;
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

/** Core kinds walked first so that every type they reach is named in io.k8s.api.core.v1. */
const CORE_ROOTS = [
  'Pod', 'PodTemplate', 'ReplicationController', 'Node', 'Service', 'Endpoints', 'ConfigMap', 'Secret',
  'ServiceAccount', 'Event', 'Namespace', 'PersistentVolume', 'PersistentVolumeClaim', 'ResourceQuota',
  'LimitRange', 'Binding',
].map((k) => `io.k8s.api.core.v1.${k}`);

const typesDir = dirname(createRequire(import.meta.url).resolve('kubernetes-types/package.json'));

interface TypesField {
  description?: string;
  /** The field holds a resource.Quantity (client-node types it as a plain string). */
  quantity: boolean;
}

/** kubernetes-types declarations: file → interface → field. */
const typesCache = new Map<string, Map<string, Map<string, TypesField>>>();

/** Parses one kubernetes-types declaration file (`core/v1.d.ts`): per interface, its fields' text and types. */
function parseTypesFile(text: string): Map<string, Map<string, TypesField>> {
  const interfaces = new Map<string, Map<string, TypesField>>();
  for (const block of text.split(/\nexport interface /).slice(1)) {
    const name = /^(\w+)/.exec(block)![1]!;
    const fields = new Map<string, TypesField>();
    let doc: string | undefined;
    let inDoc = false;
    let docLines: string[] = [];
    let current: { name: string; type: string; description?: string } | undefined;
    const flush = (): void => {
      if (current) fields.set(current.name, { description: current.description, quantity: /\bQuantity\b/.test(current.type) });
      current = undefined;
    };
    for (const line of block.slice(0, block.indexOf('\n}')).split('\n').slice(1)) {
      if (inDoc) {
        docLines.push(line);
        if (line.includes('*/')) {
          inDoc = false;
          doc = docText(docLines.join('\n').replace(/^\s*\/\*\*/, '').replace(/\*\/\s*$/, ''));
        }
        continue;
      }
      if (/^ {4}\/\*\*/.test(line)) {
        flush();
        docLines = [line];
        inDoc = !line.includes('*/');
        if (!inDoc) doc = docText(line.replace(/^\s*\/\*\*/, '').replace(/\*\/\s*$/, ''));
        continue;
      }
      const prop = /^ {4}(\w+)\??: (.*)$/.exec(line);
      if (prop) {
        flush();
        current = { name: prop[1]!, type: prop[2]!, description: doc };
        doc = undefined;
      } else if (current) {
        current.type += line;
      }
    }
    flush();
    interfaces.set(name, fields);
  }
  return interfaces;
}

/** A field as kubernetes-types declares it (`core/v1.d.ts`, `meta/v1.d.ts`, …), if it has the type. */
function typesField(definition: string, field: string): TypesField | undefined {
  const parts = definition.split('.');
  const kind = parts[parts.length - 1]!;
  const file = `${parts[parts.length - 3]}/${parts[parts.length - 2]}.d.ts`;
  let interfaces = typesCache.get(file);
  if (!interfaces) {
    let text = '';
    try {
      text = readFileSync(join(typesDir, file), 'utf8');
    } catch {
      // A group the package does not have: nothing from it.
    }
    interfaces = parseTypesFile(text);
    typesCache.set(file, interfaces);
  }
  return interfaces.get(kind)?.get(field);
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The package's class for an upstream definition name, e.g. io.k8s.api.core.v1.Event → CoreV1Event. */
export function classForDefinition(definition: string): string | undefined {
  const parts = definition.split('.');
  const kind = parts[parts.length - 1]!;
  const version = parts[parts.length - 2] ?? '';
  const group = parts[parts.length - 3] ?? '';
  for (const candidate of [`${capitalise(group)}${capitalise(version)}${kind}`, `${capitalise(version)}${kind}`]) {
    if (modelAttributes(candidate)) return candidate;
  }
  return undefined;
}

/** Splits a class name into its group prefix (maybe empty), version and kind: CoreV1EndpointPort → core, v1, EndpointPort. */
function splitClassName(cls: string): { group: string; version: string; kind: string } | undefined {
  const m = /^([A-Z][a-z]+)?(V\d+(?:(?:alpha|beta)\d+)?)([A-Z]\w*)$/.exec(cls);
  if (!m) return undefined;
  return { group: (m[1] ?? '').toLowerCase(), version: m[2]!.toLowerCase(), kind: m[3]! };
}

interface Docs {
  description?: string;
  properties: Map<string, { description?: string; required: boolean }>;
}

const unescape = (s: string): string => s.replace(/\\(['"\\])/g, '$1');

function docText(block: string): string {
  return unescape(
    block
      .split('\n')
      .map((l) => l.replace(/^\s*\*\s?/, '').trimEnd())
      .join('\n')
      .trim(),
  );
}

/** Reads a model's declaration file: the class comment, and per property its comment and optionality. */
function readDocs(cls: string): Docs {
  const docs: Docs = { properties: new Map() };
  let text: string;
  try {
    text = readFileSync(join(MODEL_DIR, `${cls}.d.ts`), 'utf8');
  } catch {
    return docs;
  }
  const classAt = text.indexOf('export declare class');
  if (classAt < 0) return docs;
  const head = text.slice(0, classAt);
  const classDoc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/.exec(head);
  if (classDoc && !/generated by Openapi Generator/.test(classDoc[1]!)) docs.description = docText(classDoc[1]!);
  const body = text.slice(classAt);
  const prop = /(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*)?\n {4}'([^']+)'(\?)?:/g;
  for (let m = prop.exec(body); m; m = prop.exec(body)) {
    docs.properties.set(m[2]!, { description: m[1] ? docText(m[1]) : undefined, required: m[3] !== '?' });
  }
  return docs;
}

/** Builds definitions by walking the package's models from root definition names. */
export class Catalog {
  readonly definitions: Definitions = {};
  /** Class name → definition name, once named. */
  private readonly named = new Map<string, string>();

  constructor() {
    this.addBasics();
    for (const root of CORE_ROOTS) this.add(root);
  }

  /** Adds a definition (and everything it reaches); returns false when the package has no such type. */
  add(definition: string, gvks?: GroupVersionKind[]): boolean {
    if (!this.definitions[definition]) {
      const cls = classForDefinition(definition);
      if (!cls) return false;
      this.named.set(cls, definition);
      this.build(cls, definition);
    }
    if (gvks) {
      const schema = this.definitions[definition]!;
      const have = schema['x-kubernetes-group-version-kind'] ?? [];
      for (const g of gvks) {
        if (!have.some((h) => h.group === g.group && h.version === g.version && h.kind === g.kind)) have.push(g);
      }
      schema['x-kubernetes-group-version-kind'] = have;
    }
    return true;
  }

  private addBasics(): void {
    this.definitions[TIME] = {
      type: 'string', format: 'date-time',
      description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.',
    };
    this.definitions[MICRO_TIME] = {
      type: 'string', format: 'date-time', description: 'MicroTime is version of Time with microsecond level precision.',
    };
    this.definitions[`${META}.Patch`] = {
      type: 'object',
      description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    };
    this.definitions[QUANTITY] = {
      type: 'string',
      description: 'Quantity is a fixed-point representation of a number (e.g. 100m, 1Gi, 1.5). Serialized as a string; integers are accepted on input.',
    };
    this.definitions[INT_OR_STRING] = {
      type: 'string', format: 'int-or-string',
      description: 'IntOrString is a type that can hold an int32 or a string.',
    };
  }

  /** The definition name a referenced class gets when reached from `contextPackage`. */
  private nameFor(cls: string, contextPackage: string): string {
    const known = this.named.get(cls);
    if (known) return known;
    const split = splitClassName(cls);
    let name: string;
    if (!split) name = `${contextPackage}.${cls}`;
    else if (META_TYPES.has(split.kind) && split.version === 'v1' && !split.group) name = `${META}.${split.kind}`;
    else if (split.group) name = `io.k8s.api.${split.group}.${split.version}.${split.kind}`;
    else {
      const ctx = contextPackage.split('.');
      ctx[ctx.length - 1] = split.version;
      name = `${ctx.join('.')}.${split.kind}`;
    }
    this.named.set(cls, name);
    return name;
  }

  private build(cls: string, definition: string): void {
    const attributes = modelAttributes(cls)!;
    const docs = readDocs(cls);
    const pkg = definition.slice(0, definition.lastIndexOf('.'));
    const schema: Schema = { type: 'object' };
    if (docs.description) schema.description = docs.description;
    // Registered before walking so that recursive types (JSONSchemaProps) terminate.
    this.definitions[definition] = schema;
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    const meta = patchMeta[definition] ?? {};
    for (const attr of [...attributes].sort((a, b) => a.baseName.localeCompare(b.baseName))) {
      const doc = docs.properties.get(attr.name);
      const typed = typesField(definition, attr.baseName);
      const prop = this.typeSchema(attr.type, attr.format, pkg, typed?.quantity ?? false);
      const description = doc?.description ?? typed?.description;
      if (description) {
        // Swagger 2.0 ignores siblings of $ref; kube-apiserver publishes descriptions beside refs all the same.
        prop.description = description;
      }
      if (doc?.required) required.push(attr.baseName);
      const pm = meta[attr.baseName];
      if (pm) {
        if (pm.strategy) prop['x-kubernetes-patch-strategy'] = pm.strategy;
        if (pm.mergeKey) prop['x-kubernetes-patch-merge-key'] = pm.mergeKey;
        if (pm.listType) prop['x-kubernetes-list-type'] = pm.listType;
        if (pm.mapKeys) prop['x-kubernetes-list-map-keys'] = pm.mapKeys;
      }
      properties[attr.baseName] = prop;
    }
    schema.properties = properties;
    if (required.length) schema.required = required;
  }

  private typeSchema(type: string, format: string, pkg: string, quantity: boolean): Schema {
    const array = /^Array<(.+)>$/.exec(type);
    if (array) return { type: 'array', items: this.typeSchema(array[1]!, format, pkg, quantity) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: this.typeSchema(map[1]!, format, pkg, quantity) };
    switch (type) {
      case 'string':
        if (quantity) return { $ref: REF_PREFIX + QUANTITY };
        return format ? { type: 'string', format } : { type: 'string' };
      case 'number':
        if (format === 'int32' || format === 'int64') return { type: 'integer', format };
        return format ? { type: 'number', format } : { type: 'number' };
      case 'boolean':
        return { type: 'boolean' };
      case 'Date':
        return { $ref: REF_PREFIX + TIME };
      case 'V1MicroTime':
        return { $ref: REF_PREFIX + MICRO_TIME };
      case 'IntOrString':
        return { $ref: REF_PREFIX + INT_OR_STRING };
      case 'any':
        return { type: 'object' };
    }
    if (!modelAttributes(type)) return { type: 'object' };
    const name = this.nameFor(type, pkg);
    if (!this.definitions[name]) this.build(type, name);
    return { $ref: REF_PREFIX + name };
  }
}
