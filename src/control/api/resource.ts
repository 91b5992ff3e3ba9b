/**
 * What the API server knows about one kind. The registry (registry.ts) is a list of these and is the single
 * source of truth: routes, discovery, OpenAPI, Table printing and storage keys are all derived from it.
 * Adding a kind is one entry plus its strategy.
 */

// The object shapes are the client's wire types: the API server speaks the same JSON its clients do.
export type { KubeObject, ObjectMeta, OwnerReference } from '../../client/types.js';
import type { KubeObject } from '../../client/types.js';
import type { Definitions } from './schema/types.js';

/** Who made a request, for the kinds that record it (authentication's user.Info). */
export interface Requester {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** One validation failure; `field` is the JSON path upstream reports, e.g. `spec.containers[0].image`. */
export interface FieldError {
  /** Upstream's cause types: FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueDuplicate, … */
  type: string;
  field: string;
  message: string;
}

/**
 * Per-kind behaviour, as upstream's rest strategies: defaulting, validation and what a write may change.
 * All functions are pure on plain objects.
 */
export interface Strategy {
  /** Fills defaults in place (upstream's SetDefaults_*). */
  default?(obj: KubeObject): void;
  /**
   * Create-only mutations after defaulting: upstream's mutating admission plugins that apply to every create of
   * the kind (e.g. DefaultTolerationSeconds for pods).
   */
  admit?(obj: KubeObject, requester?: Requester): void;
  validate?(obj: KubeObject): FieldError[];
  /**
   * What a write through a status subresource validates instead of `validate`: such a write keeps the stored
   * spec, which `validate` checked when it was stored (upstream's status strategies do not look at it).
   */
  validateStatus?(obj: KubeObject, old: KubeObject): FieldError[];
  /** `subresource` is the write's ('' for the main resource, 'status', 'approval'), as upstream's per-subresource strategies. */
  validateUpdate?(obj: KubeObject, old: KubeObject, subresource?: string): FieldError[];
  /**
   * Upstream's PrepareForUpdate beyond the engine's own rules (status kept on the main resource, only status taken
   * through /status): what a write through `subresource` may not change is reset from `old` in place (a
   * CertificateSigningRequest's spec never changes; its /approval takes only the conditions).
   */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, subresource: string, now: Date): void;
  /** Whether the kind has a spec whose changes bump metadata.generation. */
  hasGeneration?: boolean;
  /** Whether the kind has a status subresource (then the main endpoint ignores status, /status ignores the rest). */
  hasStatus?: boolean;
  /**
   * Removes the fields the kind's schema lacks from a request's object and returns their paths, in place of the
   * schema catalog's walk (custom resources prune by their CRD's structural schema).
   */
  prune?(obj: KubeObject): string[];
  /**
   * Called on the stored object when a delete first reaches it (not yet terminating), before finalizers are
   * judged: may add finalizers and conditions, as the CustomResourceDefinition REST's Delete does.
   */
  prepareForDelete?(obj: KubeObject): void;
}

/** The scale subresource's mapping, as a CRD's `subresources.scale`. */
export interface ScaleMapping {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** A server-side printing column; `value` reads the cell from the object. */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  /** 0 = always shown, 1 = only with -o wide (upstream's `priority`). */
  priority: number;
  value(obj: KubeObject, now: Date): string | number | boolean | null;
}

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  /** Verbs served on the main resource, as discovery lists them. */
  verbs: string[];
  /** Subresources: 'status', 'scale', 'binding', 'eviction', 'log', … */
  subresources: string[];
  scale?: ScaleMapping;
  strategy: Strategy;
  /** Printing columns (besides Name, which every Table has first). */
  columns: TableColumn[];
  /** OpenAPI definition name, e.g. `io.k8s.api.core.v1.Pod`. */
  definition: string;
  /**
   * A kind computed on request instead of stored (metrics.k8s.io): nothing is written or watched; get and list
   * are answered by the ComputedSource the server holds for it (routes/resources.ts), never by storage.
   */
  computed?: boolean;
  /** Schemas of definitions the package models lack (the kind's own, its list's, nested types), for OpenAPI. */
  schemas?: Definitions;
  /**
   * Another served version of a stored kind (as autoscaling/v1 beside autoscaling/v2 HorizontalPodAutoscalers):
   * objects are stored, defaulted, validated and printed as `storage`, and converted at the engine's boundary.
   */
  conversion?: VersionConversion;
  /**
   * A custom resource served for a CustomResourceDefinition (crd/): decoded without the built-in types' checks,
   * no strategic merge patch, each version printed with its own columns.
   */
  custom?: boolean;
  /** Fields a field selector may name besides metadata.name/namespace (a CRD version's selectableFields). */
  selectableFields?: string[];
  /** Sent as a `Warning` header with every request to this version (a CRD version marked deprecated). */
  deprecationWarning?: string;
  /**
   * A create-only kind whose create is the binding subresource of the object its body names in metadata.name, in
   * the kind of this plural (core/v1 bindings → pods/binding, as upstream's LegacyBindingREST).
   */
  bindingOf?: string;
}

/**
 * How a served version maps onto its storage version (upstream's conversion through the internal type). Both
 * functions are pure: they return a new object (apiVersion set) and never modify their argument.
 */
export interface VersionConversion {
  /** The stored version's resource: same group, plural and kind, so the same storage keys and watch cache. */
  storage: ResourceType;
  toStorage(obj: KubeObject): KubeObject;
  fromStorage(obj: KubeObject): KubeObject;
  /**
   * Validation in the served version before conversion, for versions whose schema is their own (a CRD's
   * versions); the storage version's strategy still validates what is stored.
   */
  check?(obj: KubeObject): FieldError[];
  /**
   * The storage version's name for a field selector label of the served version (upstream's field label
   * conversion: events.k8s.io's regarding.kind is core's involvedObject.kind); labels it returns unchanged stay.
   */
  fieldLabel?(label: string): string;
  /**
   * A conversion done outside the process (a CRD's conversion webhook): when present the engine awaits it for
   * reads, lists, writes and watch events instead of calling toStorage/fromStorage (which then only set the
   * apiVersion, for what cannot wait: managedFields). Each call converts a batch (a list is one call).
   */
  async?: AsyncVersionConversion;
}

export interface AsyncVersionConversion {
  toStorage(objs: KubeObject[]): Promise<KubeObject[]>;
  /** `list`: the objects are a list's items (errors then name the list kind, as upstream's). */
  fromStorage(objs: KubeObject[], list?: boolean): Promise<KubeObject[]>;
}

/** The resource whose strategy, storage and printers serve `r`: itself, unless it is a converted version. */
export const storageOf = (r: ResourceType): ResourceType => r.conversion?.storage ?? r;

/** The read path of a computed kind: what its routes call instead of the engine. */
export interface ComputedSource {
  /** The object, or an ApiError (404 NotFound) worded as the kind's upstream server words it. */
  get(namespace: string | undefined, name: string): Promise<KubeObject>;
  /** Matching objects in a namespace (undefined: every namespace, or a cluster-scoped kind), in list order. */
  list(namespace: string | undefined, selectors: { labelSelector?: string; fieldSelector?: string }): Promise<KubeObject[]>;
}

export const groupVersion = (r: Pick<ResourceType, 'group' | 'version'>): string =>
  r.group === '' ? r.version : `${r.group}/${r.version}`;

/** kube-apiserver's etcd key layout: core resources under /registry/<plural>, others group-prefixed. */
export function storagePrefix(r: ResourceType, namespace?: string): string {
  const base = r.group === '' ? `/registry/${r.plural}/` : `/registry/${r.group}/${r.plural}/`;
  return r.namespaced && namespace ? `${base}${namespace}/` : base;
}

export function storageKey(r: ResourceType, namespace: string | undefined, name: string): string {
  return `${storagePrefix(r, r.namespaced ? namespace : undefined)}${name}`;
}
