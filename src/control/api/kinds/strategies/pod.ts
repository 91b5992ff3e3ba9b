/** Pods: defaults, validation and upstream's "only images, deadlines and tolerations may change" rule. */
import type { FieldError, KubeObject, Strategy } from '../../resource.js';
import { deepEqual, forbidden, invalid, required } from '../../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../validation/meta.js';
import { nameIsDNSSubdomain } from '../../validation/names.js';
import { parseQuantity } from '../../validation/quantities.js';
import { aliasAs, defaultPodOnly, defaultPodSpec, validatePodSpec } from './podspec.js';
import { ensure, records, rec, type Json } from './json.js';

/** Upstream's QoS class: Guaranteed, Burstable or BestEffort from the containers' requests and limits. */
export function podQOSClass(spec: Json): string {
  const containers = [...records(spec.initContainers), ...records(spec.containers)];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const res = rec(c.resources) ?? {};
    const req = rec(res.requests) ?? {};
    const lim = rec(res.limits) ?? {};
    const named = (m: Json) => Object.entries(m).filter(([k, v]) => (k === 'cpu' || k === 'memory') && (parseQuantity(v) ?? 0) !== 0);
    if (named(req).length || named(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = parseQuantity(lim[r]);
      const q = req[r] === undefined ? l : parseQuantity(req[r]);
      if (l === null || l === 0 || q !== l) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultPod(obj: KubeObject): void {
  const spec = ensure(obj, 'spec');
  defaultPodSpec(spec);
  defaultPodOnly(spec);
  // Upstream's create strategy starts every pod Pending with its QoS class; kept here so it is pure data work.
  const status = ensure(obj, 'status');
  if (!status.phase) status.phase = 'Pending';
  if (!status.qosClass) status.qosClass = podQOSClass(spec);
}

const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';
/** --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds. */
export const DEFAULT_TOLERATION_SECONDS = 300;

/**
 * The DefaultTolerationSeconds admission plugin: a pod that does not tolerate the not-ready and unreachable
 * NoExecute taints gets a 300 s toleration of each, so the node lifecycle controller evicts it 5 minutes after
 * its node is lost. A toleration with an empty key or empty effect counts, as upstream's check has it.
 */
export function addDefaultTolerations(spec: Json): void {
  const tolerations = records(spec.tolerations);
  const tolerates = (key: string) =>
    tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  const add: Json[] = [];
  for (const key of [NOT_READY, UNREACHABLE]) {
    if (!tolerates(key)) add.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
  if (add.length) spec.tolerations = [...tolerations, ...add];
}

function validatePod(obj: KubeObject): FieldError[] {
  return [...validatePodMeta(obj), ...validatePodSpec(obj.spec, 'spec')];
}

const validatePodMeta = (obj: KubeObject): FieldError[] => validateObjectMeta(obj, { namespaced: true, name: nameIsDNSSubdomain });

/**
 * A status write (the kubelet's, once or more a pod) keeps the stored spec object itself: its metadata is
 * validated, not the whole spec again.
 */
function validatePodStatus(obj: KubeObject, old: KubeObject): FieldError[] {
  return obj.spec === old.spec ? validatePodMeta(obj) : validatePod(obj);
}

const UPDATABLE = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** The top-level spec fields that differ, as a short stand-in for upstream's object diff. */
function specDiff(a: Json, b: Json): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => !deepEqual(a[k], b[k])).map((k) => `  spec.${k}: changed`).join('\n');
}

function validatePodUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  // A status write keeps the stored spec object itself (the engine copies it over): nothing in it changed, and it
  // was validated when stored (upstream's status strategy does not look at the spec either).
  if (obj.spec === old.spec) return validateObjectMetaUpdate(obj, old);
  const errs = [...validateObjectMetaUpdate(obj, old), ...validatePodSpec(obj.spec, 'spec')];
  const next = rec(obj.spec);
  const prev = rec(old.spec);
  if (!next || !prev) return errs;

  for (const kind of ['containers', 'initContainers'] as const) {
    records(next[kind]).forEach((c, i) => {
      if (typeof c.image !== 'string' || c.image === '') {
        if (!errs.some((e) => e.field === `spec.${kind}[${i}].image`)) errs.push(required(`spec.${kind}[${i}].image`, ''));
      }
    });
  }
  const ads = next.activeDeadlineSeconds;
  const oldAds = prev.activeDeadlineSeconds;
  if (typeof oldAds === 'number') {
    if (ads === undefined || ads === null) {
      errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
    } else if (typeof ads === 'number' && ads > oldAds) {
      errs.push(invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
    }
  }
  const oldTolerations = records(prev.tolerations);
  const newTolerations = records(next.tolerations);
  oldTolerations.forEach((t) => {
    if (!newTolerations.some((n) => deepEqual(n, t))) {
      errs.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
    }
  });

  // Put the old values back into everything that may change; anything else left different is forbidden.
  const munged: Json = structuredClone(next);
  for (const kind of ['containers', 'initContainers'] as const) {
    const oldList = records(prev[kind]);
    records(munged[kind]).forEach((c, i) => {
      if (i < oldList.length) c.image = oldList[i]!.image;
    });
  }
  munged.activeDeadlineSeconds = prev.activeDeadlineSeconds;
  munged.tolerations = prev.tolerations;
  aliasAs(munged, prev);
  const oldGrace = prev.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  if (!deepEqual(munged, prev)) {
    errs.push(forbidden('spec', `pod updates may not change fields other than ${UPDATABLE.join(',')}\n${specDiff(prev, munged)}`));
  }
  return errs;
}

export const podStrategy: Strategy = {
  default: defaultPod,
  admit: (obj) => addDefaultTolerations(ensure(obj, 'spec')),
  validate: validatePod,
  validateStatus: validatePodStatus,
  validateUpdate: validatePodUpdate,
  hasStatus: true,
};
