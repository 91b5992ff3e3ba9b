/**
 * Media types: request body decoding (JSON, YAML, the patch types) and Accept negotiation (JSON, YAML, Table,
 * aggregated discovery). Decoding failures become 400/415 Statuses here, never exceptions from a parser.
 */
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ApiError, badRequest, unsupportedMediaType } from './status.js';

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

// ---------------------------------------------------------------- Kubernetes protobuf (a small subset)
//
// kubectl's typed generators (`kubectl create namespace|configmap|secret|serviceaccount|service|deployment|job|
// cronjob`) send `application/vnd.kubernetes.protobuf`: the bytes "k8s\0" and a runtime.Unknown
// {typeMeta{apiVersion,kind}, raw}, raw being the object in the k8s.io/api wire format. Skiff knows the field
// numbers of the fields those generators fill (checked against kubectl's own bytes); any other kind, or a field
// number it does not know, is 415 with a hint, never a guess.

type ProtoField =
  | {
      name: string;
      type: 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'map' | 'bytesmap' | 'strings' | 'intorstring' | 'quantitymap';
      /** Go pointer fields: present means set, so a zero is kept (replicas: 0). */
      keepZero?: boolean;
    }
  | { name: string; type: 'message'; message: string; repeated?: boolean };

const PROTO_MESSAGES: Record<string, Record<number, ProtoField>> = {
  ObjectMeta: {
    1: { name: 'name', type: 'string' }, 2: { name: 'generateName', type: 'string' }, 3: { name: 'namespace', type: 'string' },
    4: { name: 'selfLink', type: 'string' }, 5: { name: 'uid', type: 'string' }, 6: { name: 'resourceVersion', type: 'string' },
    7: { name: 'generation', type: 'int' }, 8: { name: 'creationTimestamp', type: 'time' }, 9: { name: 'deletionTimestamp', type: 'time' },
    10: { name: 'deletionGracePeriodSeconds', type: 'int' }, 11: { name: 'labels', type: 'map' }, 12: { name: 'annotations', type: 'map' },
    14: { name: 'finalizers', type: 'strings' },
  },
  Namespace: { 1: { name: 'metadata', type: 'message', message: 'ObjectMeta' }, 2: { name: 'spec', type: 'message', message: 'NamespaceSpec' }, 3: { name: 'status', type: 'message', message: 'NamespaceStatus' } },
  NamespaceSpec: { 1: { name: 'finalizers', type: 'strings' } },
  NamespaceStatus: { 1: { name: 'phase', type: 'string' } },
  ConfigMap: {
    1: { name: 'metadata', type: 'message', message: 'ObjectMeta' }, 2: { name: 'data', type: 'map' }, 3: { name: 'binaryData', type: 'bytesmap' },
    4: { name: 'immutable', type: 'bool', keepZero: true },
  },
  Secret: {
    1: { name: 'metadata', type: 'message', message: 'ObjectMeta' }, 2: { name: 'data', type: 'bytesmap' }, 3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: 'map' }, 5: { name: 'immutable', type: 'bool', keepZero: true },
  },
  ServiceAccount: {
    1: { name: 'metadata', type: 'message', message: 'ObjectMeta' },
    3: { name: 'imagePullSecrets', type: 'message', message: 'LocalObjectReference', repeated: true },
    4: { name: 'automountServiceAccountToken', type: 'bool', keepZero: true },
  },
  LocalObjectReference: { 1: { name: 'name', type: 'string' } },
  Time: { 1: { name: 'seconds', type: 'int' }, 2: { name: 'nanos', type: 'int' } },
  // The workload kinds as `kubectl create deployment|job|cronjob|service` fill them.
  Deployment: { 1: { name: 'metadata', type: 'message', message: 'ObjectMeta' }, 2: { name: 'spec', type: 'message', message: 'DeploymentSpec' }, 3: { name: 'status', type: 'message', message: 'DeploymentStatus' } },
  DeploymentSpec: {
    1: { name: 'replicas', type: 'int', keepZero: true }, 2: { name: 'selector', type: 'message', message: 'LabelSelector' },
    3: { name: 'template', type: 'message', message: 'PodTemplateSpec' }, 4: { name: 'strategy', type: 'message', message: 'DeploymentStrategy' },
    5: { name: 'minReadySeconds', type: 'int' }, 6: { name: 'revisionHistoryLimit', type: 'int', keepZero: true }, 7: { name: 'paused', type: 'bool' },
    9: { name: 'progressDeadlineSeconds', type: 'int', keepZero: true },
  },
  DeploymentStrategy: { 1: { name: 'type', type: 'string' } },
  DeploymentStatus: {
    1: { name: 'observedGeneration', type: 'int' }, 2: { name: 'replicas', type: 'int' }, 3: { name: 'updatedReplicas', type: 'int' },
    4: { name: 'availableReplicas', type: 'int' }, 5: { name: 'unavailableReplicas', type: 'int' }, 7: { name: 'readyReplicas', type: 'int' },
  },
  LabelSelector: { 1: { name: 'matchLabels', type: 'map' } },
  PodTemplateSpec: { 1: { name: 'metadata', type: 'message', message: 'ObjectMeta' }, 2: { name: 'spec', type: 'message', message: 'PodSpec' } },
  PodSpec: {
    2: { name: 'containers', type: 'message', message: 'Container', repeated: true }, 3: { name: 'restartPolicy', type: 'string' },
    4: { name: 'terminationGracePeriodSeconds', type: 'int', keepZero: true }, 6: { name: 'dnsPolicy', type: 'string' },
    8: { name: 'serviceAccountName', type: 'string' }, 9: { name: 'serviceAccount', type: 'string' }, 10: { name: 'nodeName', type: 'string' },
    11: { name: 'hostNetwork', type: 'bool' }, 12: { name: 'hostPID', type: 'bool' }, 13: { name: 'hostIPC', type: 'bool' },
    16: { name: 'hostname', type: 'string' }, 17: { name: 'subdomain', type: 'string' }, 19: { name: 'schedulerName', type: 'string' },
    24: { name: 'priorityClassName', type: 'string' },
  },
  Container: {
    1: { name: 'name', type: 'string' }, 2: { name: 'image', type: 'string' }, 3: { name: 'command', type: 'strings' }, 4: { name: 'args', type: 'strings' },
    5: { name: 'workingDir', type: 'string' }, 6: { name: 'ports', type: 'message', message: 'ContainerPort', repeated: true },
    8: { name: 'resources', type: 'message', message: 'ResourceRequirements' }, 13: { name: 'terminationMessagePath', type: 'string' },
    14: { name: 'imagePullPolicy', type: 'string' }, 16: { name: 'stdin', type: 'bool' }, 17: { name: 'stdinOnce', type: 'bool' },
    18: { name: 'tty', type: 'bool' }, 20: { name: 'terminationMessagePolicy', type: 'string' },
  },
  ContainerPort: {
    1: { name: 'name', type: 'string' }, 2: { name: 'hostPort', type: 'int' }, 3: { name: 'containerPort', type: 'int' },
    4: { name: 'protocol', type: 'string' }, 5: { name: 'hostIP', type: 'string' },
  },
  ResourceRequirements: { 1: { name: 'limits', type: 'quantitymap' }, 2: { name: 'requests', type: 'quantitymap' } },
  Job: { 1: { name: 'metadata', type: 'message', message: 'ObjectMeta' }, 2: { name: 'spec', type: 'message', message: 'JobSpec' }, 3: { name: 'status', type: 'message', message: 'JobStatus' } },
  JobSpec: {
    1: { name: 'parallelism', type: 'int', keepZero: true }, 2: { name: 'completions', type: 'int', keepZero: true },
    6: { name: 'template', type: 'message', message: 'PodTemplateSpec' }, 7: { name: 'backoffLimit', type: 'int', keepZero: true },
  },
  JobStatus: { 4: { name: 'active', type: 'int' }, 5: { name: 'succeeded', type: 'int' }, 6: { name: 'failed', type: 'int' }, 7: { name: 'completedIndexes', type: 'string' } },
  CronJob: { 1: { name: 'metadata', type: 'message', message: 'ObjectMeta' }, 2: { name: 'spec', type: 'message', message: 'CronJobSpec' }, 3: { name: 'status', type: 'message', message: 'CronJobStatus' } },
  CronJobSpec: {
    1: { name: 'schedule', type: 'string' }, 2: { name: 'startingDeadlineSeconds', type: 'int', keepZero: true }, 3: { name: 'concurrencyPolicy', type: 'string' },
    4: { name: 'suspend', type: 'bool', keepZero: true }, 5: { name: 'jobTemplate', type: 'message', message: 'JobTemplateSpec' },
    6: { name: 'successfulJobsHistoryLimit', type: 'int', keepZero: true }, 7: { name: 'failedJobsHistoryLimit', type: 'int', keepZero: true },
  },
  CronJobStatus: {},
  JobTemplateSpec: { 1: { name: 'metadata', type: 'message', message: 'ObjectMeta' }, 2: { name: 'spec', type: 'message', message: 'JobSpec' } },
  Service: { 1: { name: 'metadata', type: 'message', message: 'ObjectMeta' }, 2: { name: 'spec', type: 'message', message: 'ServiceSpec' }, 3: { name: 'status', type: 'message', message: 'ServiceStatus' } },
  ServiceSpec: {
    1: { name: 'ports', type: 'message', message: 'ServicePort', repeated: true }, 2: { name: 'selector', type: 'map' },
    3: { name: 'clusterIP', type: 'string' }, 4: { name: 'type', type: 'string' }, 7: { name: 'sessionAffinity', type: 'string' },
    8: { name: 'loadBalancerIP', type: 'string' }, 10: { name: 'externalName', type: 'string' }, 11: { name: 'externalTrafficPolicy', type: 'string' },
    12: { name: 'healthCheckNodePort', type: 'int' }, 13: { name: 'publishNotReadyAddresses', type: 'bool' },
  },
  ServicePort: {
    1: { name: 'name', type: 'string' }, 2: { name: 'protocol', type: 'string' }, 3: { name: 'port', type: 'int' },
    4: { name: 'targetPort', type: 'intorstring' }, 5: { name: 'nodePort', type: 'int' },
  },
  ServiceStatus: { 1: { name: 'loadBalancer', type: 'message', message: 'LoadBalancerStatus' } },
  LoadBalancerStatus: {},
  IntOrString: { 1: { name: 'type', type: 'int' }, 2: { name: 'intVal', type: 'int' }, 3: { name: 'strVal', type: 'string' } },
};

/** The kinds decodable from protobuf, by apiVersion/kind. */
const PROTO_KINDS: Record<string, string> = {
  'v1/Namespace': 'Namespace', 'v1/ConfigMap': 'ConfigMap', 'v1/Secret': 'Secret', 'v1/ServiceAccount': 'ServiceAccount', 'v1/Service': 'Service',
  'apps/v1/Deployment': 'Deployment', 'batch/v1/Job': 'Job', 'batch/v1/CronJob': 'CronJob',
};

class ProtoReader {
  pos = 0;
  constructor(readonly buf: Buffer, readonly end = buf.length) {}
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  }
  /** int32/int64 fields: negative values arrive as 10-byte two's complement, past a double's precision. */
  signedVarint(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return Number(BigInt.asIntN(64, result));
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }
  bytes(): Buffer {
    const len = this.varint();
    if (this.pos + len > this.end) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

/**
 * A message of a string in field 1 and a second field read by `second`, other fields skipped: a map<string, V>
 * entry (key, value), runtime.TypeMeta (apiVersion, kind), resource.Quantity (its text, field 1 alone).
 */
function fieldPair(buf: Buffer, second: (bytes: Buffer) => string): [string, string] {
  const entry = new ProtoReader(buf);
  let key = '';
  let v = '';
  while (entry.pos < entry.end) {
    const t = entry.varint();
    if (t === 0x0a) key = entry.bytes().toString('utf8');
    else if (t === 0x12) v = second(entry.bytes());
    else entry.skip(t & 7);
  }
  return [key, v];
}

const utf8 = (b: Buffer): string => b.toString('utf8');
const quantityText = (buf: Buffer): string => fieldPair(buf, () => '')[0];

function protoMessage(buf: Buffer, message: string, path: string): Record<string, unknown> {
  const fields = PROTO_MESSAGES[message]!;
  const out: Record<string, unknown> = {};
  const r = new ProtoReader(buf);
  while (r.pos < r.end) {
    const tag = r.varint();
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    const f = fields[num];
    if (!f) throw unsupportedProto(`field ${num} of ${message} at ${path || '<root>'}`);
    const at = path ? `${path}.${f.name}` : f.name;
    if (wire !== (f.type === 'int' || f.type === 'bool' ? 0 : 2)) throw badRequest(`protobuf field ${at} has the wrong wire type`);
    switch (f.type) {
      case 'string':
        out[f.name] = r.bytes().toString('utf8');
        break;
      case 'strings':
        ((out[f.name] ??= []) as string[]).push(r.bytes().toString('utf8'));
        break;
      case 'bytes':
        out[f.name] = r.bytes().toString('base64');
        break;
      case 'int':
        out[f.name] = r.signedVarint();
        break;
      case 'bool':
        out[f.name] = r.varint() !== 0;
        break;
      case 'time': {
        const t = protoMessage(r.bytes(), 'Time', at);
        if (typeof t['seconds'] === 'number' && t['seconds'] > 0) out[f.name] = new Date(t['seconds'] * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        break;
      }
      case 'map':
      case 'bytesmap':
      case 'quantitymap': {
        const [key, value] = fieldPair(r.bytes(), f.type === 'map' ? utf8 : f.type === 'bytesmap' ? (b) => b.toString('base64') : quantityText);
        ((out[f.name] ??= {}) as Record<string, string>)[key] = value;
        break;
      }
      case 'intorstring': {
        const v = protoMessage(r.bytes(), 'IntOrString', at);
        if (v['type'] === 1) out[f.name] = v['strVal'] ?? '';
        else if (typeof v['intVal'] === 'number') out[f.name] = v['intVal'];
        break;
      }
      case 'message': {
        const v = protoMessage(r.bytes(), f.message, at);
        if (f.repeated) ((out[f.name] ??= []) as unknown[]).push(v);
        else out[f.name] = v;
        break;
      }
    }
    // gogo-protobuf writes non-pointer scalars even when empty; JSON would have omitted them.
    const v = out[f.name];
    if ((v === '' || v === 0 || v === false) && !('keepZero' in f && f.keepZero)) delete out[f.name];
  }
  return out;
}

const unsupportedProto = (what: string): ApiError =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (Skiff decodes the protobuf that kubectl create namespace|configmap|secret|serviceaccount|service|deployment|job|cronjob sends, not ${what}: use kubectl create -f or kubectl apply -f)`,
  );

/** Decodes a `application/vnd.kubernetes.protobuf` body of one of PROTO_KINDS into its JSON form. */
export function decodeProtobuf(raw: Buffer): unknown {
  if (raw.length < 4 || raw.readUInt32BE(0) !== 0x6b387300) throw badRequest('protobuf body does not start with the "k8s\\x00" prefix');
  try {
    const r = new ProtoReader(raw);
    r.pos = 4;
    let apiVersion = '';
    let kind = '';
    let body: Buffer | null = null;
    while (r.pos < r.end) {
      const tag = r.varint();
      if (tag === 0x0a) [apiVersion, kind] = fieldPair(r.bytes(), utf8);
      else if (tag === 0x12) body = r.bytes();
      else r.skip(tag & 7);
    }
    const message = PROTO_KINDS[`${apiVersion}/${kind}`];
    if (!message) throw unsupportedProto(`${kind || 'an unnamed kind'} (${apiVersion})`);
    return { apiVersion, kind, ...protoMessage(body ?? Buffer.alloc(0), message, '') };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest(`unable to decode protobuf body: ${(err as Error).message}`);
  }
}

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
