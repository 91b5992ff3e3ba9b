/**
 * The LimitRanger admission plugin (upstream's plugin/pkg/admission/limitranger): the namespace's LimitRanges
 * give containers and init containers their default limits (`default`) and requests (`defaultRequest`) when a pod
 * is created, recorded in the kubernetes.io/limit-ranger annotation; then min, max and maxLimitRequestRatio are
 * enforced per Container, per Pod (the pod's aggregate) and on PersistentVolumeClaims' storage request, refused
 * with 403 in upstream's words ("maximum cpu usage per Container is 1, but limit is 2"). Pod updates are left
 * alone (containers' resources cannot change), as upstream.
 */
import type { KubeObject } from '../resource.js';
import { forbidden } from '../status.js';
import { compareQuantities, printQuantity, type ExactQuantity } from '../validation/quantity-canonical.js';
import { cachedObjects, type CachingEngine } from '../watch/cached-objects.js';
import { podAggregate } from './quota-evaluators.js';
import { parseResourceList, type ResourceList } from './quota-resources.js';
import type { Admission, AdmissionAttributes, AdmissionTarget } from './types.js';
import { aggregateErrors } from '../../aggregate-errors.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const objs = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

/** The LimitRange's items (spec.limits). */
const itemsOf = (lr: KubeObject): Obj[] => objs(((lr['spec'] ?? {}) as Obj)['limits']);
const sortedEntries = (v: unknown): [string, unknown][] => (isObj(v) ? Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : []);

/** upstream's defaultContainerResourceRequirements: the Container items' defaultRequest and default, merged. */
export function containerDefaults(lr: KubeObject): { requests: Obj; limits: Obj } {
  const requests: Obj = {};
  const limits: Obj = {};
  for (const item of itemsOf(lr)) {
    if (item['type'] !== 'Container') continue;
    for (const [k, v] of sortedEntries(item['defaultRequest'])) requests[k] = v;
    for (const [k, v] of sortedEntries(item['default'])) limits[k] = v;
  }
  return { requests, limits };
}

/** upstream's mergePodResourceRequirements: fills what containers left out (in place); returns the annotation. */
export function applyDefaults(pod: KubeObject, defaults: { requests: Obj; limits: Obj }): string | undefined {
  const spec = (pod['spec'] ?? {}) as Obj;
  const notes: string[] = [];
  const merge = (c: Obj, prefix: string) => {
    const res = (isObj(c['resources']) ? c['resources'] : (c['resources'] = {})) as Obj;
    const limits = (isObj(res['limits']) ? res['limits'] : {}) as Obj;
    const requests = (isObj(res['requests']) ? res['requests'] : {}) as Obj;
    const setLimits = Object.keys(defaults.limits).filter((k) => limits[k] === undefined).sort();
    const setRequests = Object.keys(defaults.requests).filter((k) => requests[k] === undefined).sort();
    for (const k of setLimits) limits[k] = defaults.limits[k];
    for (const k of setRequests) requests[k] = defaults.requests[k];
    if (setLimits.length || Object.keys(limits).length) res['limits'] = limits;
    if (setRequests.length || Object.keys(requests).length) res['requests'] = requests;
    if (setRequests.length) notes.push(`${setRequests.join(', ')} request for ${prefix} ${String(c['name'] ?? '')}`);
    if (setLimits.length) notes.push(`${setLimits.join(', ')} limit for ${prefix} ${String(c['name'] ?? '')}`);
  };
  for (const c of objs(spec['containers'])) merge(c, 'container');
  for (const c of objs(spec['initContainers'])) merge(c, 'init container');
  if (!notes.length) return undefined;
  const value = `LimitRanger plugin set: ${notes.join('; ')}`;
  pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata?.annotations, [LIMIT_RANGER_ANNOTATION]: value } };
  return value;
}

const q = (l: ResourceList, k: string): ExactQuantity | undefined => l.get(k);

function minConstraint(type: string, name: string, enforced: ExactQuantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = q(requests, name);
  const lim = q(limits, name);
  const e = printQuantity(enforced);
  if (!req) return `minimum ${name} usage per ${type} is ${e}.  No request is specified`;
  if (compareQuantities(req, enforced) < 0) return `minimum ${name} usage per ${type} is ${e}, but request is ${printQuantity(req)}`;
  if (lim && compareQuantities(lim, enforced) < 0) return `minimum ${name} usage per ${type} is ${e}, but limit is ${printQuantity(lim)}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: ExactQuantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = q(requests, name);
  const lim = q(limits, name);
  const e = printQuantity(enforced);
  if (!lim) return `maximum ${name} usage per ${type} is ${e}.  No limit is specified`;
  if (compareQuantities(lim, enforced) > 0) return `maximum ${name} usage per ${type} is ${e}, but limit is ${printQuantity(lim)}`;
  if (req && compareQuantities(req, enforced) > 0) return `maximum ${name} usage per ${type} is ${e}, but request is ${printQuantity(req)}`;
  return undefined;
}

/** A quantity as a float (ratios only: upstream compares them as floats too). */
const toNumber = (x: ExactQuantity): number => Number(x.digits) * 10 ** x.exp10;

function ratioConstraint(type: string, name: string, enforced: ExactQuantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = q(requests, name);
  const lim = q(limits, name);
  const e = printQuantity(enforced);
  if (!req || req.digits === 0n) return `${name} max limit to request ratio per ${type} is ${e}, but no request is specified or request is 0`;
  if (!lim || lim.digits === 0n) return `${name} max limit to request ratio per ${type} is ${e}, but no limit is specified or limit is 0`;
  const ratio = toNumber(lim) / toNumber(req);
  if (ratio > toNumber(enforced) + 1e-12) return `${name} max limit to request ratio per ${type} is ${e}, but provided ratio is ${ratio.toFixed(6)}`;
  return undefined;
}

function checkItem(item: Obj, type: string, requests: ResourceList, limits: ResourceList, errs: string[]): void {
  for (const [k, v] of parseResourceList(item['min'])) { const e = minConstraint(type, k, v, requests, limits); if (e) errs.push(e); }
  for (const [k, v] of parseResourceList(item['max'])) { const e = maxConstraint(type, k, v, requests, limits); if (e) errs.push(e); }
  for (const [k, v] of parseResourceList(item['maxLimitRequestRatio'])) { const e = ratioConstraint(type, k, v, requests, limits); if (e) errs.push(e); }
}

/** upstream's PodValidateLimitFunc: every Container item against each container, every Pod item against the pod. */
export function validatePodLimits(lr: KubeObject, pod: KubeObject): string[] {
  const spec = (pod['spec'] ?? {}) as Obj;
  const errs: string[] = [];
  const res = (c: Obj, f: 'requests' | 'limits') => parseResourceList(isObj(c['resources']) ? c['resources'][f] : undefined);
  for (const item of itemsOf(lr)) {
    if (item['type'] === 'Container') {
      for (const c of [...objs(spec['containers']), ...objs(spec['initContainers'])]) checkItem(item, 'Container', res(c, 'requests'), res(c, 'limits'), errs);
    } else if (item['type'] === 'Pod') {
      checkItem(item, 'Pod', podAggregate(spec, 'requests', false), podAggregate(spec, 'limits', false), errs);
    }
  }
  return errs;
}

/** upstream's PersistentVolumeClaimValidateLimitFunc: min and max against the claim's requests. */
export function validateClaimLimits(lr: KubeObject, claim: KubeObject): string[] {
  const spec = (claim['spec'] ?? {}) as Obj;
  const requests = parseResourceList(isObj(spec['resources']) ? spec['resources']['requests'] : undefined);
  const errs: string[] = [];
  for (const item of itemsOf(lr)) {
    if (item['type'] !== 'PersistentVolumeClaim') continue;
    for (const [k, v] of parseResourceList(item['min'])) { const e = minConstraint('PersistentVolumeClaim', k, v, requests, new Map()); if (e) errs.push(e); }
    for (const [k, v] of parseResourceList(item['max'])) {
      const req = requests.get(k);
      if (!req) errs.push(`maximum ${k} usage per PersistentVolumeClaim is ${printQuantity(v)}.  No request is specified`);
      else if (compareQuantities(req, v) > 0) errs.push(`maximum ${k} usage per PersistentVolumeClaim is ${printQuantity(v)}, but request is ${printQuantity(req)}`);
    }
  }
  return errs;
}

export interface LimitRangeSource {
  limitRanges(namespace: string): Promise<KubeObject[]>;
}

const isPodCreate = (a: AdmissionTarget) => a.operation === 'CREATE' && a.resource.group === '' && a.resource.plural === 'pods';
const isClaimWrite = (a: AdmissionTarget) => (a.operation === 'CREATE' || a.operation === 'UPDATE') && a.resource.group === '' && a.resource.plural === 'persistentvolumeclaims';

export class LimitRanger implements Admission {
  constructor(private readonly source: LimitRangeSource) {}

  /** Mutates pod creates; validates pod creates and PersistentVolumeClaim writes (main resources). */
  handles(phase: 'admit' | 'validate', t: AdmissionTarget): boolean {
    if (t.subresource !== '') return false;
    return phase === 'admit' ? isPodCreate(t) : isPodCreate(t) || isClaimWrite(t);
  }

  async admit(a: AdmissionAttributes): Promise<KubeObject | null> {
    if (!a.object || a.subresource !== '' || !a.namespace || !isPodCreate(a)) return a.object;
    for (const lr of await this.source.limitRanges(a.namespace)) applyDefaults(a.object, containerDefaults(lr));
    return a.object;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!a.object || a.subresource !== '' || !a.namespace) return;
    const pod = isPodCreate(a);
    if (!pod && !isClaimWrite(a)) return;
    const errs: string[] = [];
    for (const lr of await this.source.limitRanges(a.namespace)) {
      errs.push(...(pod ? validatePodLimits(lr, a.object) : validateClaimLimits(lr, a.object)));
    }
    if (errs.length) throw forbidden({ group: '', resource: a.resource.plural }, a.name, aggregateErrors(errs));
  }
}

/** The LimitRanges from the engine's watch cache (upstream's plugin reads its informer). */
export function engineLimitRangeSource(engine: CachingEngine): LimitRangeSource {
  const cached = cachedObjects(engine, '', 'v1', 'limitranges');
  return { limitRanges: (ns) => cached.list(ns) };
}
