/**
 * JSON type errors, as kube-apiserver's decoder finds them before any validation runs: a body is decoded into
 * the kind's Go structs, and a value of the wrong JSON kind (a string for an int32, an object for a string), an
 * integer outside its format's range or a fraction for an integer fails the request with 400 BadRequest:
 * `Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct
 * field DeploymentSpec.spec.replicas of type int32`.
 *
 * The walk mirrors encoding/json (sigs.k8s.io/json's fork): the path holds struct field names only (list indexes
 * and map keys are not part of it), the struct named is the innermost one holding the field, JSON null is
 * accepted everywhere, fields the schema lacks are skipped. Plain type errors are remembered and the walk goes
 * on (the first one is reported); errors raised by types with their own decoder (IntOrString, Quantity, Time)
 * end the walk at once and win, as a returned error does there.
 *
 * Known gaps: the schema does not carry Go's named string types; the common ones are listed below
 * (NAMED_TYPES) and any other prints as `string`. Number text is JavaScript's rendering of the parsed value
 * (`1e3` and `5.0` arrive as integers and pass; upstream rejects them for integer fields).
 */
import { groupVersion, type ResourceType } from '../resource.js';
import { definitionSchema, REF_PREFIX, type Schema } from '../schema/index.js';
import { isPlainObject } from '../content.js';
import { badRequest } from '../status.js';
import { QUANTITY_FORMAT_ERROR } from './quantities.js';

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
const MICRO_TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime';

const INT_RANGE: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  // 2^63 is exactly representable and already out of range; every double below it is in range.
  int64: [-(2 ** 63), 2 ** 63 - 1],
  uint8: [0, 255],
};

const CORE = 'io.k8s.api.core.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const APPS = 'io.k8s.api.apps.v1';

/**
 * Fields whose Go type is a named string type (or a slice of one), as reflect prints it; the OpenAPI schema only
 * says `string`. The most used enum-like fields of core, meta, apps and batch.
 */
export const NAMED_TYPES: ReadonlyMap<string, Readonly<Record<string, string>>> = new Map<string, Record<string, string>>([
  [`${CORE}.Container`, { imagePullPolicy: 'v1.PullPolicy', terminationMessagePolicy: 'v1.TerminationMessagePolicy' }],
  [`${CORE}.EphemeralContainer`, { imagePullPolicy: 'v1.PullPolicy', terminationMessagePolicy: 'v1.TerminationMessagePolicy' }],
  [`${CORE}.ContainerPort`, { protocol: 'v1.Protocol' }],
  [`${CORE}.ServicePort`, { protocol: 'v1.Protocol' }],
  [`${CORE}.EndpointPort`, { protocol: 'v1.Protocol' }],
  ['io.k8s.api.discovery.v1.EndpointPort', { protocol: 'v1.Protocol' }],
  [`${CORE}.PodSpec`, { restartPolicy: 'v1.RestartPolicy', dnsPolicy: 'v1.DNSPolicy', preemptionPolicy: 'v1.PreemptionPolicy' }],
  [`${CORE}.PodStatus`, { phase: 'v1.PodPhase', qosClass: 'v1.PodQOSClass' }],
  [`${CORE}.PodCondition`, { type: 'v1.PodConditionType', status: 'v1.ConditionStatus' }],
  [`${CORE}.NodeCondition`, { type: 'v1.NodeConditionType', status: 'v1.ConditionStatus' }],
  [`${CORE}.NamespaceStatus`, { phase: 'v1.NamespacePhase' }],
  [`${CORE}.ServiceSpec`, {
    type: 'v1.ServiceType', sessionAffinity: 'v1.ServiceAffinity', externalTrafficPolicy: 'v1.ServiceExternalTrafficPolicy',
    internalTrafficPolicy: 'v1.ServiceInternalTrafficPolicy', ipFamilyPolicy: 'v1.IPFamilyPolicy', ipFamilies: '[]v1.IPFamily',
  }],
  [`${CORE}.Toleration`, { operator: 'v1.TolerationOperator', effect: 'v1.TaintEffect' }],
  [`${CORE}.Taint`, { effect: 'v1.TaintEffect' }],
  [`${CORE}.NodeSelectorRequirement`, { operator: 'v1.NodeSelectorOperator' }],
  [`${CORE}.Capabilities`, { add: '[]v1.Capability', drop: '[]v1.Capability' }],
  [`${CORE}.PersistentVolumeClaimSpec`, { accessModes: '[]v1.PersistentVolumeAccessMode' }],
  [`${CORE}.HTTPGetAction`, { scheme: 'v1.URIScheme' }],
  [`${CORE}.Secret`, { type: 'v1.SecretType' }],
  [`${META}.ObjectMeta`, { uid: 'types.UID' }],
  [`${META}.OwnerReference`, { uid: 'types.UID' }],
  [`${META}.LabelSelectorRequirement`, { operator: 'v1.LabelSelectorOperator' }],
  [`${APPS}.DeploymentStrategy`, { type: 'v1.DeploymentStrategyType' }],
  [`${APPS}.StatefulSetSpec`, { podManagementPolicy: 'v1.PodManagementPolicyType' }],
  [`${APPS}.StatefulSetUpdateStrategy`, { type: 'v1.StatefulSetUpdateStrategyType' }],
  [`${APPS}.DaemonSetUpdateStrategy`, { type: 'v1.DaemonSetUpdateStrategyType' }],
  ['io.k8s.api.batch.v1.CronJobSpec', { concurrencyPolicy: 'v1.ConcurrencyPolicy' }],
]);

/** Where the decoder is: the innermost struct holding the field, and the struct field names from the root. */
interface Context {
  struct: string;
  path: string[];
}

/** The JSON kind as encoding/json names it in its errors. */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return 'object';
  }
}

function unmarshalError(value: string, ctx: Context, goType: string): string {
  if (ctx.struct === '' && ctx.path.length === 0) return `json: cannot unmarshal ${value} into Go value of type ${goType}`;
  return `json: cannot unmarshal ${value} into Go struct field ${ctx.struct}.${ctx.path.join('.')} of type ${goType}`;
}

const refNames = new Map<string, string>();
/** The definition a `$ref` names (memoised: this runs on every field of every write). */
function refName(s: Schema | undefined): string | undefined {
  const ref = s?.$ref;
  if (!ref) return undefined;
  let name = refNames.get(ref);
  if (name === undefined) refNames.set(ref, (name = ref.slice(REF_PREFIX.length)));
  return name;
}

interface GoStruct {
  /** The struct's name (DeploymentSpec), as errors name the struct holding a field. */
  name: string;
  /** The type as reflect prints it (v1.DeploymentSpec). */
  type: string;
  /** The definition's package (io.k8s.api.apps.v1). */
  pkg: string;
}

const goStructs = new Map<string, GoStruct>();
function goStruct(definition: string): GoStruct {
  let g = goStructs.get(definition);
  if (!g) {
    const parts = definition.split('.');
    const name = parts[parts.length - 1]!;
    g = { name, type: `${parts[parts.length - 2]}.${name}`, pkg: parts.slice(0, -1).join('.') };
    goStructs.set(definition, g);
  }
  return g;
}

const isIntOrString = (s: Schema): boolean => s.format === 'int-or-string' || s['x-kubernetes-int-or-string'] === true;

/** Values any JSON fits: untyped objects (RawExtension, JSON), preserve-unknown-fields. */
const isFreeForm = (s: Schema): boolean =>
  s['x-kubernetes-preserve-unknown-fields'] === true ||
  s.type === undefined ||
  (s.type === 'object' && !s.properties && (s.additionalProperties === undefined || s.additionalProperties === true));

/** The Go type reflect prints for a schema (best effort: named scalar types print as their underlying type). */
/** A number's Go type (int32, int64, float64, ...), which does not depend on the package: once per schema. */
const numberTypes = new WeakMap<Schema, string>();
function numberType(s: Schema): string {
  let t = numberTypes.get(s);
  if (t === undefined) numberTypes.set(s, (t = goType(s, '')));
  return t;
}

function goType(schema: Schema | undefined, pkg: string): string {
  const ref = refName(schema);
  if (ref === QUANTITY) return 'resource.Quantity';
  if (ref === INT_OR_STRING) return 'intstr.IntOrString';
  if (ref) return goStruct(ref).type;
  const s = schema;
  if (!s) return 'interface {}';
  if (isIntOrString(s)) return 'intstr.IntOrString';
  switch (s.type) {
    case 'array':
      return `[]${goType(s.items, pkg)}`;
    case 'object':
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        // core/v1's maps of quantities are all ResourceList.
        if (refName(s.additionalProperties) === QUANTITY && pkg === 'io.k8s.api.core.v1') return 'v1.ResourceList';
        return `map[string]${goType(s.additionalProperties, pkg)}`;
      }
      return 'map[string]interface {}';
    case 'integer':
      return s.format === 'int64' ? 'int64' : 'int32';
    case 'number':
      return s.format === 'float' ? 'float32' : 'float64';
    case 'boolean':
      return 'bool';
    case 'string':
      return s.format === 'byte' ? '[]uint8' : 'string';
  }
  return 'interface {}';
}

class Walker {
  /** The first plain type error; reported unless a decoder-raised error ends the walk first. */
  saved: string | undefined;
  /**
   * Whether the body may hold a field its schema lacks: a struct's undeclared key, or an object or list under a
   * free-form schema (not walked here; the unknown-fields walk may still descend into its properties).
   */
  mayHoldUnknown = false;

  private save(message: string): void {
    this.saved ??= message;
  }

  /** Checks `v` against `schema`; returns an error that ends decoding, if any. `pkg` is the enclosing definition's package. */
  value(v: unknown, schema: Schema | undefined, pkg: string, ctx: Context, named?: string): string | undefined {
    if (v === null || v === undefined || !schema) return undefined;
    const ref = refName(schema);
    if (ref === QUANTITY) {
      // Quantity decodes itself: strings and numbers are parsed, anything else fails its format check.
      return typeof v === 'string' || typeof v === 'number' ? undefined : QUANTITY_FORMAT_ERROR;
    }
    if (ref === TIME || ref === MICRO_TIME) {
      // metav1.Time decodes its input as a Go string first; that inner error gets the outer field's context.
      return typeof v === 'string' ? undefined : unmarshalError(jsonKind(v), ctx, 'string');
    }
    // The cached name, not resolveSchema's slice of the $ref: this runs for every value of every write body.
    const s = ref === undefined ? schema : definitionSchema(ref);
    if (!s) return undefined;
    if (ref === INT_OR_STRING || isIntOrString(s)) return this.intOrString(v, ctx);
    if (ref && s.properties) return this.struct(v, s, ref, ctx);
    if (isFreeForm(s)) {
      if (typeof v === 'object') this.mayHoldUnknown = true;
      return undefined;
    }
    switch (s.type) {
      case 'object':
        if (s.properties) return this.struct(v, s, undefined, ctx, () => goType(schema, pkg));
        return this.map(v, s, pkg, ctx);
      case 'array':
        return this.array(v, s, pkg, ctx, named);
      case 'string':
        if (s.format === 'byte') return this.bytes(v, ctx);
        if (typeof v !== 'string') this.save(unmarshalError(jsonKind(v), ctx, named ?? 'string'));
        return undefined;
      case 'boolean':
        if (typeof v !== 'boolean') this.save(unmarshalError(jsonKind(v), ctx, 'bool'));
        return undefined;
      case 'integer':
      case 'number': {
        const type = numberType(s);
        if (typeof v !== 'number') this.save(unmarshalError(jsonKind(v), ctx, type));
        else if (!numberFits(v, type)) this.save(unmarshalError(`number ${String(v)}`, ctx, type));
        return undefined;
      }
    }
    return undefined;
  }

  /** `type`: an inline struct's Go type, for the error message only (so worked out only then). */
  private struct(v: unknown, s: Schema, definition: string | undefined, ctx: Context, type?: () => string): string | undefined {
    const go = definition ? goStruct(definition) : { name: ctx.struct, pkg: '' };
    if (!isPlainObject(v)) {
      this.save(unmarshalError(jsonKind(v), ctx, 'type' in go ? go.type : (type?.() ?? 'struct {}')));
      return undefined;
    }
    const outer = ctx.struct;
    const props = s.properties!;
    const named = definition ? NAMED_TYPES.get(definition) : undefined;
    for (const key in v) {
      const prop = props[key];
      if (!prop || !Object.hasOwn(props, key)) {
        this.mayHoldUnknown = true;
        continue;
      }
      // One mutable context for the whole walk: field name pushed on entry, popped on the way out.
      ctx.struct = go.name;
      ctx.path.push(key);
      const fatal = this.value(v[key], prop, go.pkg, ctx, named?.[key]);
      if (fatal) return fatal;
      ctx.path.pop();
      ctx.struct = outer;
    }
    return undefined;
  }

  private map(v: unknown, s: Schema, pkg: string, ctx: Context): string | undefined {
    if (!isPlainObject(v)) {
      this.save(unmarshalError(jsonKind(v), ctx, goType(s, pkg)));
      return undefined;
    }
    const elem = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    for (const key of Object.keys(v)) {
      const fatal = this.value(v[key], elem, pkg, ctx);
      if (fatal) return fatal;
    }
    return undefined;
  }

  private array(v: unknown, s: Schema, pkg: string, ctx: Context, named?: string): string | undefined {
    if (!Array.isArray(v)) {
      this.save(unmarshalError(jsonKind(v), ctx, named ?? goType(s, pkg)));
      return undefined;
    }
    const item = named?.startsWith('[]') ? named.slice(2) : undefined;
    for (const x of v) {
      const fatal = this.value(x, s.items, pkg, ctx, item);
      if (fatal) return fatal;
    }
    return undefined;
  }

  /** []byte: a base64 string, or (as for any slice) an array of uint8 numbers. */
  private bytes(v: unknown, ctx: Context): undefined {
    if (typeof v === 'string') return undefined;
    if (!Array.isArray(v)) {
      this.save(unmarshalError(jsonKind(v), ctx, '[]uint8'));
      return undefined;
    }
    for (const item of v) {
      if (item === null) continue;
      if (typeof item !== 'number') this.save(unmarshalError(jsonKind(item), ctx, 'uint8'));
      else if (!numberFits(item, 'uint8')) this.save(unmarshalError(`number ${String(item)}`, ctx, 'uint8'));
    }
    return undefined;
  }

  /** IntOrString decodes a quoted value as a string and anything else as an int32, inside the outer field's context. */
  private intOrString(v: unknown, ctx: Context): string | undefined {
    if (typeof v === 'string') return undefined;
    if (typeof v !== 'number') return unmarshalError(jsonKind(v), ctx, 'int32');
    return numberFits(v, 'int32') ? undefined : unmarshalError(`number ${String(v)}`, ctx, 'int32');
  }
}

function numberFits(n: number, goType: string): boolean {
  if (goType === 'float64') return Number.isFinite(n);
  if (goType === 'float32') return Number.isFinite(n) && Math.abs(n) <= 3.4028234663852886e38;
  const range = INT_RANGE[goType];
  if (!range) return true;
  return Number.isInteger(n) && n >= range[0] && (goType === 'int64' ? n < 2 ** 63 : n <= range[1]);
}

/**
 * The first error encoding/json would report decoding `value` into the Go type of `definition`, in its words
 * (`json: cannot unmarshal …`, or a type's own decoder message); undefined when it decodes, or when the schema
 * catalog does not know the definition.
 */
export function firstTypeError(value: unknown, definition: string): string | undefined {
  return walkTypes(value, definition)?.error;
}

function walkTypes(value: unknown, definition: string): { error: string | undefined; mayHoldUnknown: boolean } | undefined {
  const root = definitionSchema(definition);
  if (!root) return undefined;
  const w = new Walker();
  const fatal = w.value(value, { $ref: REF_PREFIX + definition }, '', { struct: '', path: [] });
  return { error: fatal ?? w.saved, mayHoldUnknown: w.mayHoldUnknown };
}

/** Bodies checkBodyTypes found to hold only fields their definition (the value) declares. */
const declaredOnly = new WeakMap<object, string>();

/**
 * Whether checkBodyTypes walked `obj` against `definition` and met only declared fields: the unknown-fields walk
 * would find none (it descends nowhere the type walk did not). Writers that add fields after the check add only
 * declared ones (apiVersion, kind, metadata).
 */
export function holdsDeclaredFieldsOnly(obj: object, definition: string): boolean {
  return declaredOnly.get(obj) === definition;
}

export type DecodeTarget = Pick<ResourceType, 'group' | 'version' | 'kind' | 'definition'>;

/**
 * Rejects a create or update body that does not decode into the kind's types: 400 BadRequest with
 * kube-apiserver's message. Bodies that are not objects, or name another apiVersion or kind, are left for the
 * body checks that follow (they answer those in upstream's words). Returns the body for use inline.
 */
export function checkBodyTypes<T>(target: DecodeTarget, body: T): T {
  if (!isPlainObject(body)) return body;
  if (body['apiVersion'] !== undefined && body['apiVersion'] !== groupVersion(target)) return body;
  if (body['kind'] !== undefined && body['kind'] !== target.kind) return body;
  const res = walkTypes(body, target.definition);
  const err = res?.error;
  if (res && !res.mayHoldUnknown && !err) declaredOnly.set(body, target.definition);
  if (err) throw badRequest(`${target.kind} in version "${target.version}" cannot be handled as a ${target.kind}: ${err}`);
  return body;
}
