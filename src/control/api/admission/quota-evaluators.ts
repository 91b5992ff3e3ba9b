/**
 * What an object costs in quota, per kind, as upstream's quota evaluators (pkg/quota/v1/evaluator/core and the
 * generic object-count evaluator): its usage, which quota resource names it can consume, whether a quota's scopes
 * select it (only pods have scopes), and the pod rule that compute quotas need explicit requests/limits. Pure
 * functions over JSON objects, shared by the ResourceQuota admission plugin and the resourcequota controller.
 */
import type { KubeObject } from '../resource.js';
import {
  addLists, maxLists, maxQuantity, ONE, parseResourceList, type ResourceList,
} from './quota-resources.js';
import type { ExactQuantity } from '../validation/quantity-canonical.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const objs = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** One requirement of a quota's scopes (spec.scopes become Exists requirements). */
export interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

export interface QuotaEvaluator {
  group: string;
  resource: string;
  /** Whether an operation can change usage (object counts: creates only). */
  handles(operation: string): boolean;
  /** The names of `names` this kind can consume. */
  matchingResources(names: readonly string[]): string[];
  /** Whether a scope requirement selects the object (false for kinds without scopes). */
  matchesScope(req: ScopeRequirement, obj: KubeObject, now: number): boolean;
  usage(obj: KubeObject, now: number): ResourceList;
  /** Why the object cannot be admitted under a quota limiting `required`, or undefined. */
  constraints?(required: readonly string[], obj: KubeObject): string | undefined;
}

/** count/<resource>[.<group>], upstream's ObjectCountQuotaResourceNameFor. */
export const objectCountName = (group: string, resource: string): string => (group ? `count/${resource}.${group}` : `count/${resource}`);

/** Kinds with a name of their own from before count/ existed. */
const LEGACY_COUNT_NAMES: Readonly<Record<string, string>> = {
  configmaps: 'configmaps', secrets: 'secrets', replicationcontrollers: 'replicationcontrollers', resourcequotas: 'resourcequotas',
};

/** Kinds quota never counts (upstream's ignored resources: events, reviews, …). */
const IGNORED = new Set(['/events', 'events.k8s.io/events', 'authentication.k8s.io/tokenreviews', 'authentication.k8s.io/selfsubjectreviews',
  'authorization.k8s.io/subjectaccessreviews', 'authorization.k8s.io/selfsubjectaccessreviews', 'authorization.k8s.io/localsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews']);

const one = (): ResourceList => new Map();

function objectCountEvaluator(group: string, resource: string): QuotaEvaluator {
  const names = [objectCountName(group, resource)];
  const legacy = group === '' ? LEGACY_COUNT_NAMES[resource] : undefined;
  if (legacy) names.push(legacy);
  return {
    group, resource,
    handles: (op) => op === 'CREATE',
    matchingResources: (input) => input.filter((n) => names.includes(n)),
    matchesScope: () => false,
    usage: () => new Map(names.map((n) => [n, ONE])),
  };
}

// ---------------------------------------------------------------- services

const SERVICE_RESOURCES = ['services', 'count/services', 'services.nodeports', 'services.loadbalancers'];
const count = (n: number): ExactQuantity => ({ digits: BigInt(n), exp10: 0, format: 'DecimalSI' });

const serviceEvaluator: QuotaEvaluator = {
  group: '', resource: 'services',
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchingResources: (input) => input.filter((n) => SERVICE_RESOURCES.includes(n)),
  matchesScope: () => false,
  usage(svc) {
    const spec = isObj(svc['spec']) ? svc['spec'] : {};
    const ports = objs(spec['ports']);
    const out = one();
    out.set('services', ONE);
    out.set('count/services', ONE);
    const type = str(spec['type']);
    if (type === 'NodePort') out.set('services.nodeports', count(ports.length));
    if (type === 'LoadBalancer') {
      out.set('services.loadbalancers', ONE);
      // With allocateLoadBalancerNodePorts false only ports that still carry a nodePort count.
      const n = spec['allocateLoadBalancerNodePorts'] === false ? ports.filter((p) => typeof p['nodePort'] === 'number' && p['nodePort'] !== 0).length : ports.length;
      out.set('services.nodeports', count(n));
    }
    return out;
  },
};

// ---------------------------------------------------------------- persistentvolumeclaims

const CLASS_SUFFIX = '.storageclass.storage.k8s.io/';
const PVC_RESOURCES = ['persistentvolumeclaims', 'count/persistentvolumeclaims', 'requests.storage'];

const pvcEvaluator: QuotaEvaluator = {
  group: '', resource: 'persistentvolumeclaims',
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchingResources: (input) => input.filter((n) => PVC_RESOURCES.includes(n)
    || (n.includes(CLASS_SUFFIX) && (n.endsWith('/requests.storage') || n.endsWith('/persistentvolumeclaims')))),
  matchesScope: () => false,
  usage(pvc) {
    const spec = isObj(pvc['spec']) ? pvc['spec'] : {};
    const out = one();
    out.set('persistentvolumeclaims', ONE);
    out.set('count/persistentvolumeclaims', ONE);
    const cls = str(spec['storageClassName']) || str(pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class']);
    if (cls) out.set(`${cls}${CLASS_SUFFIX}persistentvolumeclaims`, ONE);
    const requested = parseResourceList(isObj(spec['resources']) ? spec['resources']['requests'] : undefined).get('storage');
    // A resize in progress counts the larger of what is asked and what was allocated.
    const status = isObj(pvc['status']) ? pvc['status'] : {};
    const allocated = parseResourceList(status['allocatedResources']).get('storage');
    const storage = requested && allocated ? maxQuantity(requested, allocated) : requested ?? allocated;
    if (storage) {
      out.set('requests.storage', storage);
      if (cls) out.set(`${cls}${CLASS_SUFFIX}requests.storage`, storage);
    }
    return out;
  },
};

// ---------------------------------------------------------------- pods

const POD_RESOURCES = [
  'cpu', 'memory', 'ephemeral-storage', 'pods', 'count/pods', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
];
/** Compute quotas that require every container to state its requests/limits (upstream's validationSet). */
const VALIDATION_SET = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/** upstream's IsExtendedResourceName: a vendor-domain name, not kubernetes.io's, not a requests.* one. */
function isExtendedResourceName(n: string): boolean {
  if (!n.includes('/') || n.startsWith('requests.')) return false;
  const domain = n.slice(0, n.indexOf('/'));
  return domain !== 'kubernetes.io' && !domain.endsWith('.kubernetes.io');
}

function podMatchingResources(input: readonly string[]): string[] {
  return input.filter((n) => POD_RESOURCES.includes(n) || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-')
    || (n.startsWith('requests.') && isExtendedResourceName(n.slice('requests.'.length))));
}

/** upstream's podComputeUsageHelper: what requests and limits add up to in quota names (plus pods=1). */
export function podComputeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out = one();
  out.set('pods', ONE);
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const req = requests.get(r);
    if (req) {
      out.set(r, req);
      out.set(`requests.${r}`, req);
    }
    const lim = limits.get(r);
    if (lim) out.set(`limits.${r}`, lim);
  }
  for (const [r, q] of requests) {
    if (r.startsWith('hugepages-')) {
      out.set(r, q);
      out.set(`requests.${r}`, q);
    }
    if (isExtendedResourceName(r)) out.set(`requests.${r}`, q);
  }
  return out;
}

const resourcesOf = (c: Obj, field: 'requests' | 'limits'): ResourceList =>
  parseResourceList(isObj(c['resources']) ? c['resources'][field] : undefined);

/**
 * upstream's PodRequests/PodLimits: containers summed, init containers at their peak, sidecars throughout, and the
 * pod's overhead unless `withOverhead` is false (LimitRanger's own helper leaves it out).
 */
export function podAggregate(spec: Obj, field: 'requests' | 'limits', withOverhead = true): ResourceList {
  let total: ResourceList = one();
  for (const c of objs(spec['containers'])) total = addLists(total, resourcesOf(c, field));
  let sidecars: ResourceList = one();
  let initPeak: ResourceList = one();
  for (const c of objs(spec['initContainers'])) {
    const r = resourcesOf(c, field);
    let during: ResourceList;
    if (c['restartPolicy'] === 'Always') {
      total = addLists(total, r);
      sidecars = addLists(sidecars, r);
      during = sidecars;
    } else during = addLists(r, sidecars);
    initPeak = maxLists(initPeak, during);
  }
  total = maxLists(total, initPeak);
  const overhead = withOverhead ? parseResourceList(spec['overhead']) : new Map();
  return overhead.size ? addLists(total, overhead) : total;
}

/** upstream's QuotaV1Pod: terminal pods and pods stuck past their deletion grace are not charged compute. */
export function podCharged(pod: KubeObject, now: number): boolean {
  const phase = str((pod['status'] as Obj | undefined)?.['phase']);
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const meta = pod.metadata;
  if (meta?.deletionTimestamp && typeof meta.deletionGracePeriodSeconds === 'number') {
    const t = Date.parse(meta.deletionTimestamp);
    if (!Number.isNaN(t) && now > t + meta.deletionGracePeriodSeconds * 1000) return false;
  }
  return true;
}

const QOS_RESOURCES = ['cpu', 'memory'];

/** BestEffort QoS: no container (or init container) requests or limits cpu or memory. */
export function isBestEffort(pod: KubeObject): boolean {
  const qos = str((pod['status'] as Obj | undefined)?.['qosClass']);
  if (qos) return qos === 'BestEffort';
  const spec = isObj(pod['spec']) ? pod['spec'] : {};
  for (const c of [...objs(spec['containers']), ...objs(spec['initContainers'])]) {
    for (const f of ['requests', 'limits'] as const) {
      const l = resourcesOf(c, f);
      if (QOS_RESOURCES.some((r) => l.has(r))) return false;
    }
  }
  return true;
}

function hasCrossNamespaceAffinity(spec: Obj): boolean {
  const aff = isObj(spec['affinity']) ? spec['affinity'] : {};
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = isObj(aff[kind]) ? aff[kind] as Obj : {};
    const terms = [
      ...objs(a['requiredDuringSchedulingIgnoredDuringExecution']),
      ...objs(a['preferredDuringSchedulingIgnoredDuringExecution']).map((w) => (isObj(w['podAffinityTerm']) ? w['podAffinityTerm'] : {})),
    ];
    if (terms.some((t) => (Array.isArray(t['namespaces']) && t['namespaces'].length > 0) || isObj(t['namespaceSelector']))) return true;
  }
  return false;
}

/** Whether a scope requirement selects the pod (upstream's podMatchesScopeFunc). */
export function podMatchesScope(req: ScopeRequirement, pod: KubeObject): boolean {
  const spec = isObj(pod['spec']) ? pod['spec'] : {};
  const deadline = spec['activeDeadlineSeconds'];
  switch (req.scopeName) {
    case 'Terminating': return typeof deadline === 'number' && deadline >= 0;
    case 'NotTerminating': return deadline === undefined || deadline === null;
    case 'BestEffort': return isBestEffort(pod);
    case 'NotBestEffort': return !isBestEffort(pod);
    case 'CrossNamespacePodAffinity': return hasCrossNamespaceAffinity(spec);
    case 'PriorityClass': {
      const pc = str(spec['priorityClassName']);
      const values = req.values ?? [];
      switch (req.operator) {
        case 'Exists': return pc !== '';
        case 'DoesNotExist': return pc === '';
        case 'In': return values.includes(pc);
        case 'NotIn': return !values.includes(pc);
        default: return false;
      }
    }
    default: return false;
  }
}

const podEvaluator: QuotaEvaluator = {
  group: '', resource: 'pods',
  // A pod's resources do not change after create (resizes go through their own subresource).
  handles: (op) => op === 'CREATE',
  matchingResources: podMatchingResources,
  matchesScope: (req, pod) => podMatchesScope(req, pod),
  usage(pod, now) {
    const out = one();
    out.set('count/pods', ONE);
    if (!podCharged(pod, now)) return out;
    const spec = isObj(pod['spec']) ? pod['spec'] : {};
    for (const [k, q] of podComputeUsage(podAggregate(spec, 'requests'), podAggregate(spec, 'limits'))) out.set(k, q);
    return out;
  },
  constraints(required, pod) {
    const need = required.filter((r) => VALIDATION_SET.has(r));
    if (!need.length) return undefined;
    const spec = isObj(pod['spec']) ? pod['spec'] : {};
    const missing = new Map<string, Set<string>>();
    for (const c of [...objs(spec['containers']), ...objs(spec['initContainers'])]) {
      const has = podComputeUsage(resourcesOf(c, 'requests'), resourcesOf(c, 'limits'));
      for (const r of need) {
        if (has.has(r)) continue;
        const set = missing.get(r) ?? new Set<string>();
        set.add(str(c['name']));
        missing.set(r, set);
      }
    }
    if (!missing.size) return undefined;
    const parts = [...missing].map(([r, names]) => `${r} for: ${[...names].sort().join(',')}`).sort();
    return `must specify ${parts.join('; ')}`;
  },
};

/** The evaluator of a kind, or undefined for kinds quota ignores. */
export function evaluatorFor(group: string, resource: string): QuotaEvaluator | undefined {
  if (IGNORED.has(`${group}/${resource}`)) return undefined;
  if (group === '') {
    if (resource === 'pods') return podEvaluator;
    if (resource === 'services') return serviceEvaluator;
    if (resource === 'persistentvolumeclaims') return pvcEvaluator;
  }
  return objectCountEvaluator(group, resource);
}

/** A quota's spec.scopes (as Exists) and spec.scopeSelector's requirements. */
export function scopeRequirements(quota: KubeObject): ScopeRequirement[] {
  const spec = isObj(quota['spec']) ? quota['spec'] : {};
  const out: ScopeRequirement[] = [];
  if (Array.isArray(spec['scopes'])) for (const s of spec['scopes']) if (typeof s === 'string') out.push({ scopeName: s, operator: 'Exists' });
  const sel = isObj(spec['scopeSelector']) ? spec['scopeSelector'] : {};
  for (const e of objs(sel['matchExpressions'])) {
    out.push({ scopeName: str(e['scopeName']), operator: str(e['operator']), values: Array.isArray(e['values']) ? e['values'].filter((v): v is string => typeof v === 'string') : [] });
  }
  return out;
}

/**
 * upstream's Matches: the quota limits something this kind consumes (of `hard`: status.hard in admission, spec.hard
 * in the controller), and every scope selects the object.
 */
export function quotaMatches(ev: QuotaEvaluator, quota: KubeObject, hard: readonly string[], obj: KubeObject, now: number): boolean {
  if (!ev.matchingResources(hard).length) return false;
  return scopeRequirements(quota).every((r) => ev.matchesScope(r, obj, now));
}
