/** apps/v1 workloads (Deployment, ReplicaSet, StatefulSet, DaemonSet): apps/v1 defaults and validation. */
import type { FieldError, KubeObject, Strategy } from '../../resource.js';
import { deepEqual, forbidden, immutable, invalid, notSupported, required } from '../../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../validation/meta.js';
import { nameIsDNSSubdomain } from '../../validation/names.js';
import { selectorIsEmpty, selectorMatches, validateLabelSelector, type LabelSelector } from '../../validation/selectors.js';
import { intOrPercentValue, validateIntOrPercent, validateNonnegative } from '../../validation/numbers.js';
import { defaultPodTemplate, validatePodTemplate, type PodSpecRules } from './podspec.js';
import { ensure, rec, setDefault, type Json } from './json.js';

/**
 * Checks shared by every controller that owns pods through a selector and a template: the selector is required,
 * non-empty and must select the template's own labels.
 */
export function validateSelectorAndTemplate(spec: Json, path: string, kindWord: string,
  rules: PodSpecRules): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec.selector;
  let selectorValid = false;
  if (sel === undefined || sel === null) errs.push(required(`${path}.selector`, ''));
  else {
    const selErrs = validateLabelSelector(sel, `${path}.selector`);
    errs.push(...selErrs);
    selectorValid = selErrs.length === 0;
    if (selectorValid && selectorIsEmpty(sel as LabelSelector)) {
      errs.push(invalid(`${path}.selector`, sel, `empty selector is invalid for ${kindWord}`));
    }
  }
  errs.push(...validatePodTemplate(spec.template, `${path}.template`, rules));
  const template = rec(spec.template);
  const labels = rec(rec(template?.metadata)?.labels) as Record<string, string> | undefined;
  if (selectorValid && !selectorIsEmpty(sel as LabelSelector) && template && !selectorMatches(sel as LabelSelector, labels)) {
    errs.push(invalid(`${path}.template.metadata.labels`, labels ?? {}, '`selector` does not match template `labels`'));
  }
  return errs;
}

const ALWAYS = ['Always'];
const meta = (obj: KubeObject) => validateObjectMeta(obj, { namespaced: true, name: nameIsDNSSubdomain });

function validateReplicasAndHistory(spec: Json): FieldError[] {
  return [
    ...validateNonnegative(spec.replicas, 'spec.replicas'),
    ...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'),
    ...validateNonnegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'),
  ];
}

function selectorImmutable(obj: KubeObject, old: KubeObject): FieldError[] {
  return immutable('spec.selector', rec(obj.spec)?.selector, rec(old.spec)?.selector);
}

// ---------------------------------------------------------------- Deployment

function defaultDeployment(obj: KubeObject): void {
  const spec = ensure(obj, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = ensure(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensure(strategy, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', '25%');
    setDefault(ru, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(spec.template);
}

function validateDeploymentStrategy(strategy: unknown): FieldError[] {
  const s = rec(strategy);
  if (!s) return [];
  const errs: FieldError[] = [];
  const path = 'spec.strategy';
  if (s.type === undefined || s.type === '') errs.push(required(`${path}.type`, ''));
  else if (s.type === 'Recreate') {
    if (s.rollingUpdate !== undefined && s.rollingUpdate !== null) {
      errs.push(forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'"));
    }
  } else if (s.type === 'RollingUpdate') {
    const ru = rec(s.rollingUpdate);
    if (ru) {
      errs.push(...validateIntOrPercent(ru.maxUnavailable, `${path}.rollingUpdate.maxUnavailable`));
      errs.push(...validateIntOrPercent(ru.maxSurge, `${path}.rollingUpdate.maxSurge`));
      // The raw number or percentage, as upstream compares it (0 and "0%" are both zero).
      const raw = (v: unknown) => intOrPercentValue(v, 100, false);
      if (ru.maxUnavailable !== undefined && ru.maxSurge !== undefined && raw(ru.maxUnavailable) === 0 && raw(ru.maxSurge) === 0) {
        errs.push(invalid(`${path}.rollingUpdate.maxUnavailable`, ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
    }
  } else {
    errs.push(notSupported(`${path}.type`, s.type, ['Recreate', 'RollingUpdate']));
  }
  return errs;
}

function validateDeploymentSpec(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec);
  if (!spec) return [required('spec', '')];
  const errs = [
    ...validateReplicasAndHistory(spec),
    ...validateSelectorAndTemplate(spec, 'spec', 'deployment', { restartPolicies: ALWAYS, noActiveDeadlineFor: 'ReplicaSet' }),
    ...validateDeploymentStrategy(spec.strategy),
  ];
  const pds = spec.progressDeadlineSeconds;
  errs.push(...validateNonnegative(pds, 'spec.progressDeadlineSeconds'));
  if (typeof pds === 'number' && pds <= (typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0)) {
    errs.push(invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

export const deploymentStrategy: Strategy = {
  default: defaultDeployment,
  validate: (obj) => [...meta(obj), ...validateDeploymentSpec(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateDeploymentSpec(obj), ...selectorImmutable(obj, old)],
  hasStatus: true,
  hasGeneration: true,
};

// ---------------------------------------------------------------- ReplicaSet

function validateReplicaSetSpec(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec);
  if (!spec) return [required('spec', '')];
  return [
    ...validateReplicasAndHistory(spec),
    // Upstream reuses the Deployment wording for ReplicaSets.
    ...validateSelectorAndTemplate(spec, 'spec', 'deployment', { restartPolicies: ALWAYS, noActiveDeadlineFor: 'ReplicaSet' }),
  ];
}

export const replicaSetStrategy: Strategy = {
  default: (obj) => {
    const spec = ensure(obj, 'spec');
    setDefault(spec, 'replicas', 1);
    defaultPodTemplate(spec.template);
  },
  validate: (obj) => [...meta(obj), ...validateReplicaSetSpec(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateReplicaSetSpec(obj), ...selectorImmutable(obj, old)],
  hasStatus: true,
  hasGeneration: true,
};

// ---------------------------------------------------------------- StatefulSet

function defaultStatefulSet(obj: KubeObject): void {
  const spec = ensure(obj, 'spec');
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const us = ensure(spec, 'updateStrategy');
  setDefault(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') setDefault(ensure(us, 'rollingUpdate'), 'partition', 0);
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  const retention = ensure(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefault(retention, 'whenDeleted', 'Retain');
  setDefault(retention, 'whenScaled', 'Retain');
  defaultPodTemplate(spec.template);
}

function validateStatefulSetSpec(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec);
  if (!spec) return [required('spec', '')];
  const errs = [
    ...validateReplicasAndHistory(spec),
    ...validateSelectorAndTemplate(spec, 'spec', 'statefulset', { restartPolicies: ALWAYS, noActiveDeadlineFor: 'StatefulSet' }),
  ];
  const pmp = spec.podManagementPolicy;
  if (pmp === undefined || pmp === '') errs.push(required('spec.podManagementPolicy', ''));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(notSupported('spec.podManagementPolicy', pmp, ['OrderedReady', 'Parallel']));
  const us = rec(spec.updateStrategy);
  if (us) {
    if (us.type === 'OnDelete') {
      if (us.rollingUpdate !== undefined && us.rollingUpdate !== null) {
        errs.push(invalid('spec.updateStrategy.rollingUpdate', us.rollingUpdate, 'only allowed for updateStrategy \'RollingUpdate\''));
      }
    } else if (us.type === 'RollingUpdate') {
      errs.push(...validateNonnegative(rec(us.rollingUpdate)?.partition, 'spec.updateStrategy.rollingUpdate.partition'));
    } else if (us.type === undefined || us.type === '') {
      errs.push(required('spec.updateStrategy', ''));
    } else {
      errs.push(notSupported('spec.updateStrategy.type', us.type, ['OnDelete', 'RollingUpdate']));
    }
  }
  return errs;
}

const STATEFULSET_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

function validateStatefulSetUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = [...validateObjectMetaUpdate(obj, old), ...validateStatefulSetSpec(obj)];
  const next: Json = { ...(rec(obj.spec) ?? {}) };
  const prev: Json = { ...(rec(old.spec) ?? {}) };
  for (const k of STATEFULSET_MUTABLE) { delete next[k]; delete prev[k]; }
  if (!deepEqual(next, prev)) {
    errs.push(forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
  }
  return errs;
}

export const statefulSetStrategy: Strategy = {
  default: defaultStatefulSet,
  validate: (obj) => [...meta(obj), ...validateStatefulSetSpec(obj)],
  validateUpdate: validateStatefulSetUpdate,
  hasStatus: true,
  hasGeneration: true,
};

// ---------------------------------------------------------------- DaemonSet

function defaultDaemonSet(obj: KubeObject): void {
  const spec = ensure(obj, 'spec');
  const us = ensure(spec, 'updateStrategy');
  setDefault(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = ensure(us, 'rollingUpdate');
    setDefault(ru, 'maxUnavailable', 1);
    if (ru.maxSurge === undefined) ru.maxSurge = 0;
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template);
}

function validateDaemonSetSpec(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec);
  if (!spec) return [required('spec', '')];
  const errs = [
    ...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'),
    ...validateNonnegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'),
    ...validateSelectorAndTemplate(spec, 'spec', 'daemonset', { restartPolicies: ALWAYS, noActiveDeadlineFor: 'DaemonSet' }),
  ];
  const us = rec(spec.updateStrategy);
  if (us) {
    if (us.type === 'RollingUpdate') {
      const ru = rec(us.rollingUpdate);
      if (ru) {
        errs.push(...validateIntOrPercent(ru.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable'));
        errs.push(...validateIntOrPercent(ru.maxSurge, 'spec.updateStrategy.rollingUpdate.maxSurge'));
      }
    } else if (us.type !== 'OnDelete') {
      errs.push(notSupported('spec.updateStrategy.type', us.type ?? '', ['OnDelete', 'RollingUpdate']));
    }
  }
  return errs;
}

export const daemonSetStrategy: Strategy = {
  default: defaultDaemonSet,
  validate: (obj) => [...meta(obj), ...validateDaemonSetSpec(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateDaemonSetSpec(obj), ...selectorImmutable(obj, old)],
  hasStatus: true,
  hasGeneration: true,
};

// ---------------------------------------------------------------- ControllerRevision

function validateControllerRevision(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.data === undefined || obj.data === null) errs.push(required('data', 'data is mandatory'));
  errs.push(...validateNonnegative(obj.revision, 'revision'));
  return errs;
}

/** Immutable history snapshots (DaemonSet and StatefulSet revisions): data never changes, revision may. */
export const controllerRevisionStrategy: Strategy = {
  validate: (obj) => [...meta(obj), ...validateControllerRevision(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateControllerRevision(obj), ...immutable('data', obj.data, old.data)],
};
