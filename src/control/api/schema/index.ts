/**
 * One schema source for the whole API server: the OpenAPI documents publish it and the strategic-merge patcher
 * reads its patch metadata from it. Built lazily, once per process, from the package models (catalog.ts).
 */
import type { ResourceType } from '../resource.js';
import { Catalog } from './catalog.js';
import { REF_PREFIX, type Definitions, type GroupVersionKind, type Schema } from './types.js';

export type { Definitions, GroupVersionKind, Schema } from './types.js';
export { REF_PREFIX } from './types.js';

let catalog: Catalog | undefined;
const getCatalog = (): Catalog => (catalog ??= new Catalog());

/** Types every group-version document refers to, with the GVKs upstream attaches to them. */
const EXTRA_DEFINITIONS: Array<[string, GroupVersionKind[]]> = [
  ['io.k8s.apimachinery.pkg.apis.meta.v1.Status', [{ group: '', version: 'v1', kind: 'Status' }]],
  ['io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', [{ group: '', version: 'v1', kind: 'DeleteOptions' }]],
  ['io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent', [{ group: '', version: 'v1', kind: 'WatchEvent' }]],
  ['io.k8s.api.autoscaling.v1.Scale', [{ group: 'autoscaling', version: 'v1', kind: 'Scale' }]],
  ['io.k8s.api.core.v1.Binding', [{ group: '', version: 'v1', kind: 'Binding' }]],
  ['io.k8s.api.policy.v1.Eviction', [{ group: 'policy', version: 'v1', kind: 'Eviction' }]],
];

const listDefinition = (r: ResourceType): string => `${r.definition.slice(0, r.definition.lastIndexOf('.'))}.${r.listKind}`;

export interface RegistrySchemas {
  definitions: Definitions;
  /** Definition name of each resource's list kind (index-aligned with the registry). */
  listDefinitions: string[];
}

const byRegistry = new WeakMap<readonly ResourceType[], RegistrySchemas>();

/** Adds every registry kind (and its list kind) with x-kubernetes-group-version-kind; cached per registry. */
export function registrySchemas(resources: readonly ResourceType[]): RegistrySchemas {
  const cached = byRegistry.get(resources);
  if (cached) return cached;
  const c = getCatalog();
  for (const [name, gvks] of EXTRA_DEFINITIONS) c.add(name, gvks);
  const listDefinitions: string[] = [];
  for (const r of resources) {
    const gv = { group: r.group, version: r.version };
    // Kinds the package models lack bring their own schemas (copied: the catalog adds GVKs in place).
    // A custom resource's schemas are its CRD's as they are now (a CRD's update replaces them).
    for (const [name, schema] of Object.entries(r.schemas ?? {})) {
      if (r.custom) c.definitions[name] = structuredClone(schema);
      else c.definitions[name] ??= structuredClone(schema);
    }
    if (!c.add(r.definition, [{ ...gv, kind: r.kind }])) {
      // A kind the package does not know: publish it as an open object so clients still find its GVK.
      c.definitions[r.definition] = {
        type: 'object', 'x-kubernetes-preserve-unknown-fields': true,
        'x-kubernetes-group-version-kind': [{ ...gv, kind: r.kind }],
      };
    }
    const list = listDefinition(r);
    if (!c.add(list, [{ ...gv, kind: r.listKind }])) {
      c.definitions[list] = { type: 'object', 'x-kubernetes-group-version-kind': [{ ...gv, kind: r.listKind }] };
    }
    listDefinitions.push(list);
  }
  const result = { definitions: c.definitions, listDefinitions };
  byRegistry.set(resources, result);
  return result;
}

/**
 * Sets definitions of kinds served at runtime (custom resources), replacing earlier ones of the same names, so
 * that the patchers read them before any OpenAPI document is built; `undefined` removes one.
 */
export function putDefinitions(definitions: Record<string, Schema | undefined>): void {
  const c = getCatalog();
  for (const [name, schema] of Object.entries(definitions)) {
    if (schema) c.definitions[name] = structuredClone(schema);
    else delete c.definitions[name];
  }
  for (const l of changeListeners) l(Object.keys(definitions));
}

const changeListeners: ((names: string[]) => void)[] = [];

/** Calls `listener` with the names putDefinitions changed (readers that cache per definition forget them). */
export function onDefinitionsChanged(listener: (names: string[]) => void): void {
  changeListeners.push(listener);
}

/** The schema of a definition, loading it from the package on first use; undefined when unknown. */
export function definitionSchema(definition: string): Schema | undefined {
  const c = getCatalog();
  if (!c.definitions[definition] && !c.add(definition)) return undefined;
  return c.definitions[definition];
}

/** Follows a `$ref` (Swagger form) to the referenced definition. */
export function resolveSchema(schema: Schema | undefined): Schema | undefined {
  if (!schema?.$ref) return schema;
  return definitionSchema(schema.$ref.slice(REF_PREFIX.length));
}

/** Every definition name reachable from `roots` (the roots included). */
export function reachableDefinitions(definitions: Definitions, roots: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  const visit = (s: Schema | boolean | undefined): void => {
    if (!s || typeof s === 'boolean') return;
    if (s.$ref) stack.push(s.$ref.slice(REF_PREFIX.length));
    visit(s.items);
    visit(s.additionalProperties);
    for (const p of Object.values(s.properties ?? {})) visit(p);
  };
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name) || !definitions[name]) continue;
    seen.add(name);
    visit(definitions[name]);
  }
  return seen;
}
