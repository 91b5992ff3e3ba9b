/**
 * A pod as the scheduler's plugins see it, parsed once from the Kubernetes object: effective requests (upstream's
 * resourcehelper.PodRequests: containers summed, init containers as a running max with restartable sidecars
 * added, overhead on top), tolerations, compiled node affinity, host ports, images, topology spread constraints
 * and pod (anti-)affinity terms. Shared by the reference core and the WASM bridge so both read pods alike.
 */
import type { KubeObject } from '../api/resource.js';
import type { KubeLabelSelector } from './core.js';
import { list } from './json.js';
import { resourceValue } from './quantity.js';
import {
  compileLabelSelector, compileNodeTerm, matchesLabels, withLabelKeys,
  type LabelSelector, type NodeTerm,
} from './selector.js';

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

export interface Toleration { key: string; operator: 'Exists' | 'Equal'; value: string; effect: string }
export interface HostPort { port: number; protocol: string; ip: string }
export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  hard: boolean;
  selector: LabelSelector;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
}
export interface AffinityTerm {
  selector: LabelSelector;
  /** null = every namespace (an empty namespaceSelector). */
  namespaces: string[] | null;
  topologyKey: string;
}
export interface WeightedAffinityTerm { weight: number; term: AffinityTerm }
export interface WeightedNodeTerm { weight: number; term: NodeTerm }

export interface ParsedPod {
  namespace: string;
  name: string;
  /** namespace/name, the key the cores track bound pods by. */
  key: string;
  labels: Readonly<Record<string, string>>;
  nodeName: string;
  terminating: boolean;
  /** Effective requests by resource name (cpu in millicores), as NodeResourcesFit's filter reads them. */
  requests: ReadonlyMap<string, number>;
  /** cpu/memory with upstream's non-missing defaults (100m, 200Mi) per container, for scoring and NonZeroRequested. */
  nonZeroCpu: number;
  nonZeroMem: number;
  tolerations: readonly Toleration[];
  nodeSelector: Record<string, string> | null;
  /** Required node affinity terms (ORed), or null when the pod has none. */
  requiredTerms: NodeTerm[] | null;
  preferredTerms: readonly WeightedNodeTerm[];
  hostPorts: readonly HostPort[];
  /** Normalised image names of containers and init containers, and how many containers there are. */
  images: readonly string[];
  containerCount: number;
  spread: readonly SpreadConstraint[];
  /** Whether `spread` holds the system default constraints (set by withSystemDefaultSpread, never by parsePod). */
  systemDefaultSpread: boolean;
  requiredAffinity: readonly AffinityTerm[];
  requiredAntiAffinity: readonly AffinityTerm[];
  preferredAffinity: readonly WeightedAffinityTerm[];
  preferredAntiAffinity: readonly WeightedAffinityTerm[];
}

type ResourceList = Map<string, number>;

function parseResourceList(raw: unknown): ResourceList {
  const out: ResourceList = new Map();
  if (raw === null || typeof raw !== 'object') return out;
  for (const [name, q] of Object.entries(raw as Record<string, unknown>)) {
    const v = resourceValue(name, q);
    if (v !== null) out.set(name, v);
  }
  return out;
}

function add(into: ResourceList, from: ResourceList): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}
function max(into: ResourceList, from: ResourceList): void {
  for (const [k, v] of from) if (!into.has(k) || v > into.get(k)!) into.set(k, v);
}

interface RawContainer {
  image?: string;
  restartPolicy?: string;
  resources?: { requests?: unknown };
  ports?: { hostPort?: number; protocol?: string; hostIP?: string }[];
}

/**
 * Upstream's PodRequests. `nonMissing` fills a container's missing cpu/memory request with the scheduler's
 * defaults (only when absent, not when explicitly zero), as NonMissingContainerRequests does.
 */
function podRequests(spec: Record<string, unknown>, nonMissing: boolean): ResourceList {
  const containerReqs = (c: RawContainer): ResourceList => {
    const r = parseResourceList(c.resources?.requests);
    if (nonMissing) {
      if (!r.has('cpu')) r.set('cpu', DEFAULT_MILLI_CPU_REQUEST);
      if (!r.has('memory')) r.set('memory', DEFAULT_MEMORY_REQUEST);
    }
    return r;
  };
  const reqs: ResourceList = new Map();
  for (const c of list<RawContainer>(spec.containers)) add(reqs, containerReqs(c));
  const sidecars: ResourceList = new Map();
  const initMax: ResourceList = new Map();
  for (const c of list<RawContainer>(spec.initContainers)) {
    let r = containerReqs(c);
    if (c.restartPolicy === 'Always') {
      add(reqs, r);
      add(sidecars, r);
      r = new Map(sidecars);
    } else {
      const tmp = new Map(r);
      add(tmp, sidecars);
      r = tmp;
    }
    max(initMax, r);
  }
  max(reqs, initMax);
  add(reqs, parseResourceList(spec.overhead));
  return reqs;
}

/** Image name with ":latest" added when it has no tag or digest, as ImageLocality normalises it. */
export function normalizeImage(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

function parseAffinityTerm(raw: unknown, ns: string, labels: Record<string, string>): AffinityTerm | null {
  if (raw === null || typeof raw !== 'object') return null;
  const t = raw as Record<string, unknown>;
  const selector = withLabelKeys(compileLabelSelector(t.labelSelector), labels, t.matchLabelKeys, t.mismatchLabelKeys);
  const list = Array.isArray(t.namespaces) ? (t.namespaces as unknown[]).map(String) : [];
  const nsSel = t.namespaceSelector;
  // An empty namespaceSelector selects every namespace; a non-empty one needs namespace labels, which the core
  // does not track, so it adds no namespaces (documented limitation). No list and no selector: own namespace.
  let namespaces: string[] | null;
  if (nsSel && typeof nsSel === 'object' && Object.keys(nsSel).length === 0) namespaces = null;
  else if (list.length === 0 && (nsSel === undefined || nsSel === null)) namespaces = [ns];
  else namespaces = list;
  return { selector, namespaces, topologyKey: typeof t.topologyKey === 'string' ? t.topologyKey : '' };
}

function weighted(raw: unknown, ns: string, labels: Record<string, string>): WeightedAffinityTerm[] {
  const out: WeightedAffinityTerm[] = [];
  for (const w of Array.isArray(raw) ? raw : []) {
    const term = parseAffinityTerm((w as Record<string, unknown>)?.podAffinityTerm, ns, labels);
    const weight = Number((w as Record<string, unknown>)?.weight ?? 0);
    if (term && weight !== 0) out.push({ weight, term });
  }
  return out;
}

function terms(raw: unknown, ns: string, labels: Record<string, string>): AffinityTerm[] {
  const out: AffinityTerm[] = [];
  for (const t of Array.isArray(raw) ? raw : []) {
    const term = parseAffinityTerm(t, ns, labels);
    if (term) out.push(term);
  }
  return out;
}

/**
 * Shared, read-only pieces of parse results. Every bound pod stays parsed in the core for its life (150,000 at
 * scale), and pods of one template parse alike: an empty list is one frozen array; labels, tolerations and
 * containers that are frozen (the informer's shared parts, share-parts.ts) are parsed once per distinct value
 * and the result is shared by every pod that has it. Unfrozen inputs may change under us, so they are parsed
 * (and labels copied) per pod as before. 20,000 Running pods: the core and the scheduler cache held 1.46 → 0.51 KB
 * a pod.
 */
const NONE: readonly never[] = Object.freeze([]);
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const nonEmpty = <T>(xs: T[]): readonly T[] => (xs.length === 0 ? NONE : xs);

/** What a pod's containers alone decide (no init containers, no overhead), by the frozen containers list. */
interface ContainerFacts {
  requests: ReadonlyMap<string, number>;
  nonZeroCpu: number;
  nonZeroMem: number;
  hostPorts: readonly HostPort[];
  images: readonly string[];
  containerCount: number;
}
const containerFacts = new WeakMap<object, ContainerFacts>();
const parsedTolerations = new WeakMap<object, readonly Toleration[]>();

function factsOf(spec: Record<string, unknown>): ContainerFacts {
  const reqs = podRequests(spec, false);
  const nz = podRequests(spec, true);
  const hostPorts: HostPort[] = [];
  const images: string[] = [];
  const containers = [...(list<RawContainer>(spec.initContainers)), ...(list<RawContainer>(spec.containers))];
  for (const c of list<RawContainer>(spec.containers)) {
    for (const p of list<NonNullable<RawContainer['ports']>[number]>(c.ports)) {
      if (typeof p.hostPort === 'number' && p.hostPort > 0) {
        hostPorts.push({ port: p.hostPort, protocol: p.protocol || 'TCP', ip: p.hostIP || '0.0.0.0' });
      }
    }
  }
  for (const c of containers) if (c && typeof c.image === 'string' && c.image !== '') images.push(normalizeImage(c.image));
  return {
    requests: reqs, nonZeroCpu: nz.get('cpu') ?? 0, nonZeroMem: nz.get('memory') ?? 0,
    hostPorts: nonEmpty(hostPorts), images: nonEmpty(images), containerCount: containers.length,
  };
}

/** Distinct facts kept at most before the table starts over (starting over costs one more copy, never a wrong one). */
const MAX_EQUAL_FACTS = 4096;
let equalFacts = new Map<string, ContainerFacts>();

/**
 * One object for equal facts. A pod's containers list is unique to it when a container mounts a volume of the
 * pod's own (upstream names the service-account one kube-api-access-<random>), so the frozen-list cache below
 * misses, and every pod the scheduler placed held its own requests Map and images array (~330 B at 10,000 pods).
 */
function internFacts(f: ContainerFacts): ContainerFacts {
  let key = `${f.nonZeroCpu};${f.nonZeroMem};${f.containerCount};`;
  for (const [name, v] of f.requests) key += `${name}=${v};`;
  key += '|';
  for (const p of f.hostPorts) key += `${p.port}/${p.protocol}/${p.ip};`;
  key += '|';
  for (const i of f.images) key += `${i.length}:${i}`;
  const hit = equalFacts.get(key);
  if (hit !== undefined) return hit;
  if (equalFacts.size >= MAX_EQUAL_FACTS) equalFacts = new Map();
  equalFacts.set(key, f);
  return f;
}

/** factsOf(spec), shared by every pod whose frozen containers list is this one (and that has nothing else adding to it). */
function sharedFactsOf(spec: Record<string, unknown>): ContainerFacts {
  const cs = spec.containers;
  const alone = spec.initContainers === undefined && spec.overhead === undefined;
  if (!alone || typeof cs !== 'object' || cs === null || !Object.isFrozen(cs)) return internFacts(factsOf(spec));
  let f = containerFacts.get(cs);
  if (!f) containerFacts.set(cs, (f = internFacts(factsOf(spec))));
  return f;
}

function tolerationsOf(raw: unknown): readonly Toleration[] {
  const frozen = typeof raw === 'object' && raw !== null && Object.isFrozen(raw);
  const hit = frozen ? parsedTolerations.get(raw) : undefined;
  if (hit) return hit;
  const out: Toleration[] = [];
  for (const t of list<Record<string, unknown>>(raw)) {
    out.push({
      key: typeof t.key === 'string' ? t.key : '',
      operator: t.operator === 'Exists' ? 'Exists' : 'Equal',
      value: typeof t.value === 'string' ? t.value : '',
      effect: typeof t.effect === 'string' ? t.effect : '',
    });
  }
  const r = nonEmpty(out);
  if (frozen) parsedTolerations.set(raw as object, r);
  return r;
}

function labelsOf(raw: Record<string, string> | undefined): Readonly<Record<string, string>> {
  if (raw === undefined) return NO_LABELS;
  return Object.isFrozen(raw) ? raw : { ...raw };
}

export function parsePod(pod: KubeObject): ParsedPod {
  const meta = pod.metadata ?? {};
  const spec = (pod.spec ?? {}) as Record<string, unknown>;
  const namespace = meta.namespace ?? 'default';
  const name = meta.name ?? '';
  const labels = labelsOf(meta.labels);
  const facts = sharedFactsOf(spec);

  const affinity = (spec.affinity ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const na = affinity.nodeAffinity ?? {};
  const required = na.requiredDuringSchedulingIgnoredDuringExecution as { nodeSelectorTerms?: unknown[] } | undefined;
  const requiredTerms = required ? list<unknown>(required.nodeSelectorTerms).map(compileNodeTerm) : null;
  const preferredTerms: WeightedNodeTerm[] = [];
  for (const p of list<Record<string, unknown>>(na.preferredDuringSchedulingIgnoredDuringExecution)) {
    const weight = Number(p.weight ?? 0);
    if (weight !== 0) preferredTerms.push({ weight, term: compileNodeTerm(p.preference) });
  }

  const spread: SpreadConstraint[] = [];
  for (const c of list<Record<string, unknown>>(spec.topologySpreadConstraints)) {
    const selector = withLabelKeys(compileLabelSelector(c.labelSelector), labels, c.matchLabelKeys, undefined);
    spread.push({
      maxSkew: Number(c.maxSkew ?? 1),
      topologyKey: String(c.topologyKey ?? ''),
      hard: c.whenUnsatisfiable !== 'ScheduleAnyway',
      selector,
      minDomains: typeof c.minDomains === 'number' ? c.minDomains : 1,
      honorAffinity: c.nodeAffinityPolicy !== 'Ignore',
      honorTaints: c.nodeTaintsPolicy === 'Honor',
    });
  }
  const pa = affinity.podAffinity ?? {};
  const paa = affinity.podAntiAffinity ?? {};
  return {
    namespace, name, key: `${namespace}/${name}`, labels,
    nodeName: typeof spec.nodeName === 'string' ? spec.nodeName : '',
    terminating: typeof meta.deletionTimestamp === 'string' && meta.deletionTimestamp !== '',
    requests: facts.requests,
    nonZeroCpu: facts.nonZeroCpu,
    nonZeroMem: facts.nonZeroMem,
    tolerations: tolerationsOf(spec.tolerations),
    nodeSelector: spec.nodeSelector && typeof spec.nodeSelector === 'object' ? (spec.nodeSelector as Record<string, string>) : null,
    requiredTerms, preferredTerms: nonEmpty(preferredTerms), hostPorts: facts.hostPorts, images: facts.images,
    containerCount: facts.containerCount, spread: nonEmpty(spread), systemDefaultSpread: false,
    requiredAffinity: nonEmpty(terms(pa.requiredDuringSchedulingIgnoredDuringExecution, namespace, labels)),
    requiredAntiAffinity: nonEmpty(terms(paa.requiredDuringSchedulingIgnoredDuringExecution, namespace, labels)),
    preferredAffinity: nonEmpty(weighted(pa.preferredDuringSchedulingIgnoredDuringExecution, namespace, labels)),
    preferredAntiAffinity: nonEmpty(weighted(paa.preferredDuringSchedulingIgnoredDuringExecution, namespace, labels)),
  };
}

/**
 * The pod with PodTopologySpread's system default constraints (hostname maxSkew 3, zone maxSkew 5, both
 * ScheduleAnyway) over `selector`, as upstream's buildDefaultConstraints: only for a pod with no constraints of
 * its own, and only when the selector has requirements. Otherwise the pod itself, unchanged.
 */
export function withSystemDefaultSpread(pod: ParsedPod, selector: KubeLabelSelector | undefined): ParsedPod {
  if (selector === undefined || pod.spread.length > 0) return pod;
  const compiled = compileLabelSelector(selector);
  if (compiled.nothing || compiled.reqs.length === 0) return pod;
  const c = (topologyKey: string, maxSkew: number): SpreadConstraint =>
    ({ maxSkew, topologyKey, hard: false, selector: compiled, minDomains: 1, honorAffinity: true, honorTaints: false });
  return { ...pod, spread: [c(LABEL_HOSTNAME, 3), c(LABEL_ZONE, 5)], systemDefaultSpread: true };
}

/** Whether an affinity term selects `pod` (namespace and labels), as AffinityTerm.Matches. */
export function termMatchesPod(t: AffinityTerm, pod: ParsedPod): boolean {
  if (t.namespaces !== null && !t.namespaces.includes(pod.namespace)) return false;
  return matchesLabels(t.selector, pod.labels);
}

/** Whether the toleration tolerates the taint (v1 Toleration.ToleratesTaint). */
export function tolerates(t: Toleration, key: string, value: string, effect: string): boolean {
  if (t.effect !== '' && t.effect !== effect) return false;
  if (t.key !== '' && t.key !== key) return false;
  return t.operator === 'Exists' || t.value === value;
}

/** Resource names NodeResourcesFit treats as scalar (extended, hugepages-*, attachable-volumes-*). */
export function isScalarResource(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  return name.includes('/') && !name.includes('kubernetes.io/') && !name.startsWith('requests.');
}

// The loop hands the core the same pod several times (schedule, assume, the informer's confirmation): objects
// from the API server carry uid and resourceVersion, which with the node name identify the parse result.
const parsed = new Map<string, ParsedPod>();

/** parsePod, remembering recent results for API objects (those with uid and resourceVersion). */
export function parsePodCached(pod: KubeObject): ParsedPod {
  const uid = pod.metadata?.uid;
  const rv = pod.metadata?.resourceVersion;
  if (!uid || !rv) return parsePod(pod);
  const key = `${uid}/${rv}/${(pod.spec as { nodeName?: unknown } | undefined)?.nodeName ?? ''}/${pod.metadata?.deletionTimestamp ?? ''}`;
  let p = parsed.get(key);
  if (!p) {
    p = parsePod(pod);
    if (parsed.size >= 8192) parsed.delete(parsed.keys().next().value as string);
    parsed.set(key, p);
  }
  return p;
}
