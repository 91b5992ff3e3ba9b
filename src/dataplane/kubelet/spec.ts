/**
 * What nodes an agent runs: a small spec from flags or a YAML file (`--spec FILE`), validated with errors that
 * name the field, then expanded into one NodeConfig per node.
 *
 *   count: 100                 # how many nodes (default 1)
 *   namePrefix: sim-node-      # names are <prefix><index>, index from 0 (default "sim-node-", as kwok's kwok-node-0)
 *   names: [a, b]              # or explicit names (count is then names.length)
 *   cpu: "8"                   # capacity = allocatable (a simulated node reserves nothing); default 8
 *   memory: 32Gi               # default 32Gi
 *   pods: 110                  # default 110, the kubelet's maxPods
 *   ephemeralStorage: 100Gi    # default 100Gi
 *   labels: {tier: sim}        # extra labels on every node
 *   annotations: {}            # extra annotations
 *   taints: [{key: k, value: v, effect: NoSchedule}]
 *   zones: [z1, z2]            # spread round-robin into topology.kubernetes.io/zone
 *   region: r1                 # topology.kubernetes.io/region
 *   nodeCIDR: 10.200.0.0/16    # nodes' InternalIPs: the range's 1st, 2nd, ... host address. Default: none, every
 *                              # node's InternalIP is the agent's own address (as kwok's), so the API server
 *                              # reaches the agent (usage, later logs) at InternalIP:kubelet port
 *   unpullableImages: ["webserver:404", "*:non-existent"]
 *                              # images these nodes fail to pull (default none: every image pulls). `*` is any
 *                              # run of characters; matched against the pod's image as written and as resolved
 *                              # (docker.io/library/...). Such a container waits in ErrImagePull/ImagePullBackOff
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { imagePatternProblem } from './runtime/simulated/image-pull.js';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeSpec {
  count: number;
  namePrefix: string;
  names?: string[];
  cpu: string;
  memory: string;
  pods: number;
  ephemeralStorage: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  taints: Taint[];
  zones: string[];
  region?: string;
  /** Absent: every node's InternalIP is the agent's address. */
  nodeCIDR?: string;
  /** Image patterns the nodes fail to pull (simulated runtime); empty: every image pulls. */
  unpullableImages: string[];
}

/** One node, ready to become a Node object. */
export interface NodeConfig {
  name: string;
  internalIP: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  taints: Taint[];
  /** cpu, memory, pods, ephemeral-storage (+ hugepages as the kubelet reports them). */
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  /** Image patterns this node fails to pull (simulated runtime). */
  unpullableImages?: string[];
}

export const DEFAULT_NODE_SPEC: NodeSpec = {
  count: 1,
  namePrefix: 'sim-node-',
  cpu: '8',
  memory: '32Gi',
  pods: 110,
  ephemeralStorage: '100Gi',
  labels: {},
  annotations: {},
  taints: [],
  zones: [],
  unpullableImages: [],
};

export class NodeSpecError extends Error {
  constructor(
    readonly field: string,
    detail: string,
    where = 'node spec',
  ) {
    super(`${where}: ${field}: ${detail}`);
    this.name = 'NodeSpecError';
  }
}

const KNOWN_FIELDS = new Set(['count', 'namePrefix', 'names', 'cpu', 'memory', 'pods', 'ephemeralStorage', 'labels', 'annotations', 'taints', 'zones', 'region', 'nodeCIDR', 'unpullableImages']);
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const QUANTITY = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** A qualified name as label keys take it: [prefix/]name, name ≤ 63, prefix a DNS subdomain ≤ 253. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : '';
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0 && (!prefix || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return 'prefix part must be a lowercase RFC 1123 subdomain';
  if (!name || name.length > 63 || !LABEL_NAME.test(name)) return "name part must consist of alphanumeric characters, '-', '_' or '.', start and end with an alphanumeric character, at most 63 characters";
  return undefined;
}

export function labelValueProblem(v: string): string | undefined {
  if (v === '') return undefined;
  if (v.length > 63 || !LABEL_NAME.test(v)) return "a valid label value must be 63 characters or less and consist of alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character";
  return undefined;
}

function parseIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

const formatIPv4 = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** Base address and host count of an IPv4 CIDR, or undefined when it is not one. */
export function parseCIDR(cidr: string): { base: number; hosts: number } | undefined {
  const [ip, bits] = cidr.split('/');
  const base = ip === undefined ? undefined : parseIPv4(ip);
  if (base === undefined || bits === undefined || !/^\d+$/.test(bits) || Number(bits) > 30) return undefined;
  const size = 2 ** (32 - Number(bits));
  return { base: base - (base % size), hosts: size - 2 };
}

/** The `index`-th host address of the range (0 → network + 1). */
export function hostAddress(cidr: string, index: number): string {
  const r = parseCIDR(cidr);
  if (!r) throw new NodeSpecError('nodeCIDR', `${JSON.stringify(cidr)} is not an IPv4 CIDR such as 10.200.0.0/16`);
  if (index >= r.hosts) throw new NodeSpecError('nodeCIDR', `${cidr} has room for ${r.hosts} nodes, not ${index + 1}`);
  return formatIPv4(r.base + 1 + index);
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function quantity(v: unknown, field: string, where: string): string {
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string' || !QUANTITY.test(s)) throw new NodeSpecError(field, `${JSON.stringify(v)} is not a quantity (e.g. 8, 500m, 32Gi)`, where);
  return s;
}

function stringMap(v: unknown, field: string, where: string, labels: boolean): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) throw new NodeSpecError(field, 'must be a map of strings', where);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    const s = typeof val === 'number' || typeof val === 'boolean' ? String(val) : val;
    if (typeof s !== 'string') throw new NodeSpecError(`${field}.${k}`, 'must be a string', where);
    const kp = labelKeyProblem(k);
    if (kp) throw new NodeSpecError(`${field}.${k}`, `invalid key: ${kp}`, where);
    if (labels) {
      const vp = labelValueProblem(s);
      if (vp) throw new NodeSpecError(`${field}.${k}`, `invalid value ${JSON.stringify(s)}: ${vp}`, where);
    }
    out[k] = s;
  }
  return out;
}

function nonNegativeInt(v: unknown, field: string, where: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new NodeSpecError(field, `${JSON.stringify(v)} is not a non-negative integer`, where);
  return n;
}

function taintList(v: unknown, where: string): Taint[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new NodeSpecError('taints', 'must be a list of {key, value, effect}', where);
  return v.map((t, i) => {
    const f = `taints[${i}]`;
    if (typeof t === 'string') return parseTaint(t, f, where);
    if (!isRecord(t)) throw new NodeSpecError(f, 'must be {key, value, effect} or "key=value:Effect"', where);
    const key = t.key;
    if (typeof key !== 'string' || !key) throw new NodeSpecError(`${f}.key`, 'required', where);
    const kp = labelKeyProblem(key);
    if (kp) throw new NodeSpecError(`${f}.key`, kp, where);
    const value = t.value === undefined || t.value === null ? undefined : String(t.value);
    if (value !== undefined && labelValueProblem(value)) throw new NodeSpecError(`${f}.value`, labelValueProblem(value)!, where);
    if (typeof t.effect !== 'string' || !TAINT_EFFECTS.includes(t.effect)) {
      throw new NodeSpecError(`${f}.effect`, `${JSON.stringify(t.effect ?? '')}: supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`, where);
    }
    return value === undefined || value === '' ? { key, effect: t.effect as Taint['effect'] } : { key, value, effect: t.effect as Taint['effect'] };
  });
}

/** kubectl taint's syntax: key[=value]:Effect. */
export function parseTaint(text: string, field = 'taint', where = 'node spec'): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(.+)$/.exec(text.trim());
  if (!m) throw new NodeSpecError(field, `${JSON.stringify(text)} is not key[=value]:Effect`, where);
  return taintList([{ key: m[1], value: m[2], effect: m[3] }], where)[0]!;
}

/** `k=v,k2=v2` as flags take labels. */
export function parseLabelFlag(text: string, field = 'labels', where = 'flags'): Record<string, string> {
  const out: Record<string, unknown> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) throw new NodeSpecError(field, `${JSON.stringify(part)} is not key=value`, where);
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return stringMap(out, field, where, true);
}

function stringList(v: unknown, field: string, where: string, check: (s: string) => string | undefined): string[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
  if (!Array.isArray(list)) throw new NodeSpecError(field, 'must be a list of strings', where);
  return list.map((s, i) => {
    if (typeof s !== 'string' || !s) throw new NodeSpecError(`${field}[${i}]`, 'must be a non-empty string', where);
    const p = check(s);
    if (p) throw new NodeSpecError(`${field}[${i}]`, `${JSON.stringify(s)}: ${p}`, where);
    return s;
  });
}

const nodeNameProblem = (s: string): string | undefined =>
  s.length <= 253 && DNS_SUBDOMAIN.test(s) ? undefined : 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character';

/**
 * Validates a spec (a parsed YAML document or flags' values) over `base` (the defaults). Unknown fields are an
 * error: a misspelt `memroy` must not silently run 32Gi nodes.
 */
export function parseNodeSpec(input: unknown, where = 'node spec', base: NodeSpec = DEFAULT_NODE_SPEC): NodeSpec {
  if (input === undefined || input === null) return { ...base };
  if (!isRecord(input)) throw new NodeSpecError('(root)', 'must be a map of fields (count, namePrefix, cpu, memory, pods, ...)', where);
  for (const k of Object.keys(input)) if (!KNOWN_FIELDS.has(k)) throw new NodeSpecError(k, `unknown field; known fields: ${[...KNOWN_FIELDS].join(', ')}`, where);
  const spec: NodeSpec = { ...base };
  if (input.count !== undefined) spec.count = nonNegativeInt(input.count, 'count', where);
  if (input.namePrefix !== undefined) {
    if (typeof input.namePrefix !== 'string' || !/^[a-z0-9]([-a-z0-9.]*)$/.test(input.namePrefix) || input.namePrefix.length > 240) {
      throw new NodeSpecError('namePrefix', `${JSON.stringify(input.namePrefix)}: must start with a lowercase letter or digit and contain only lowercase letters, digits, '-' and '.'`, where);
    }
    spec.namePrefix = input.namePrefix;
  }
  if (input.names !== undefined) {
    spec.names = stringList(input.names, 'names', where, nodeNameProblem);
    const dup = spec.names.find((n, i) => spec.names!.indexOf(n) !== i);
    if (dup) throw new NodeSpecError('names', `${JSON.stringify(dup)} appears twice`, where);
    if (input.count !== undefined && spec.count !== spec.names.length) throw new NodeSpecError('count', `${spec.count} disagrees with names (${spec.names.length} given)`, where);
    spec.count = spec.names.length;
  }
  if (input.cpu !== undefined) spec.cpu = quantity(input.cpu, 'cpu', where);
  if (input.memory !== undefined) spec.memory = quantity(input.memory, 'memory', where);
  if (input.ephemeralStorage !== undefined) spec.ephemeralStorage = quantity(input.ephemeralStorage, 'ephemeralStorage', where);
  if (input.pods !== undefined) spec.pods = nonNegativeInt(input.pods, 'pods', where);
  if (input.labels !== undefined) spec.labels = { ...base.labels, ...stringMap(input.labels, 'labels', where, true) };
  if (input.annotations !== undefined) spec.annotations = { ...base.annotations, ...stringMap(input.annotations, 'annotations', where, false) };
  if (input.taints !== undefined) spec.taints = taintList(input.taints, where);
  if (input.zones !== undefined) spec.zones = stringList(input.zones, 'zones', where, labelValueProblem);
  if (input.region !== undefined) {
    if (typeof input.region !== 'string' || labelValueProblem(input.region)) throw new NodeSpecError('region', `${JSON.stringify(input.region)} is not a valid label value`, where);
    spec.region = input.region || undefined;
  }
  if (input.nodeCIDR !== undefined) {
    if (typeof input.nodeCIDR !== 'string' || !parseCIDR(input.nodeCIDR)) throw new NodeSpecError('nodeCIDR', `${JSON.stringify(input.nodeCIDR)} is not an IPv4 CIDR (prefix /30 or shorter) such as 10.200.0.0/16`, where);
    spec.nodeCIDR = input.nodeCIDR;
  }
  if (input.unpullableImages !== undefined) spec.unpullableImages = stringList(input.unpullableImages, 'unpullableImages', where, imagePatternProblem);
  const room = spec.nodeCIDR ? parseCIDR(spec.nodeCIDR)!.hosts : Infinity;
  if (spec.count > room) throw new NodeSpecError('count', `${spec.count} nodes do not fit nodeCIDR ${spec.nodeCIDR} (${room} addresses)`, where);
  return spec;
}

/** Reads and validates a YAML (or JSON) spec file. */
export function loadNodeSpecFile(path: string, base: NodeSpec = DEFAULT_NODE_SPEC): NodeSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new NodeSpecError('(file)', `cannot read: ${(e as Error).message}`, path);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new NodeSpecError('(file)', `not YAML: ${(e as Error).message}`, path);
  }
  return parseNodeSpec(doc, path, base);
}

/**
 * The spec's nodes: names, zones round-robin, InternalIPs (in order from nodeCIDR, or all `agentAddress`), the
 * kubelet's well-known labels.
 */
export function expandNodes(spec: NodeSpec, agentAddress = '127.0.0.1'): NodeConfig[] {
  const capacity = {
    cpu: spec.cpu,
    'ephemeral-storage': spec.ephemeralStorage,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: spec.memory,
    pods: String(spec.pods),
  };
  const out: NodeConfig[] = [];
  for (let i = 0; i < spec.count; i++) {
    const name = spec.names?.[i] ?? `${spec.namePrefix}${i}`;
    const labels: Record<string, string> = {
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      ...spec.labels,
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
    };
    if (spec.zones.length) labels['topology.kubernetes.io/zone'] = spec.zones[i % spec.zones.length]!;
    if (spec.region) labels['topology.kubernetes.io/region'] = spec.region;
    out.push({
      name,
      internalIP: spec.nodeCIDR ? hostAddress(spec.nodeCIDR, i) : agentAddress,
      labels,
      annotations: { ...spec.annotations },
      taints: spec.taints.map((t) => ({ ...t })),
      capacity: { ...capacity },
      allocatable: { ...capacity },
      ...(spec.unpullableImages.length ? { unpullableImages: [...spec.unpullableImages] } : {}),
    });
  }
  return out;
}
