/** batch/v1 Job and CronJob: defaults, the generated Job selector, and validation. */
import type { FieldError, KubeObject, Strategy } from '../../resource.js';
import { deepEqual, immutable, invalid, notSupported, required } from '../../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../validation/meta.js';
import { nameIsDNSSubdomain } from '../../validation/names.js';
import { validateNonnegative, validatePositive } from '../../validation/numbers.js';
import { selectorIsEmpty, selectorMatches, validateLabelSelector, type LabelSelector } from '../../validation/selectors.js';
import { cronScheduleError } from '../../validation/cron.js';
import { validateLabels } from '../../validation/labels.js';
import { aliasAs, defaultPodTemplate, validatePodTemplate } from './podspec.js';
import { ensure, rec, setDefault, str, type Json } from './json.js';

const JOB_RESTART = ['OnFailure', 'Never'];
const CRONJOB_NAME_MAX = 52;

function defaultJobSpec(spec: Json): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  if (spec.suspend === undefined) spec.suspend = false;
  setDefault(spec, 'podReplacementPolicy', spec.podFailurePolicy !== undefined ? 'Failed' : 'TerminatingOrFailed');
  defaultPodTemplate(spec.template);
}

/**
 * Upstream generates a Job's selector from its uid unless `manualSelector` is set; that needs the uid, so it
 * happens here only once the server has assigned one.
 */
function generateJobSelector(obj: KubeObject, spec: Json): void {
  const uid = obj.metadata?.uid;
  const name = obj.metadata?.name;
  if (spec.manualSelector === true || !uid || !name) return;
  const template = ensure(spec, 'template');
  const labels = ensure(ensure(template, 'metadata'), 'labels');
  labels['batch.kubernetes.io/controller-uid'] = uid;
  labels['batch.kubernetes.io/job-name'] = name;
  labels['controller-uid'] = uid;
  labels['job-name'] = name;
  if (spec.selector === undefined) spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
}

function defaultJob(obj: KubeObject): void {
  const spec = ensure(obj, 'spec');
  defaultJobSpec(spec);
  generateJobSelector(obj, spec);
  // Upstream copies the template's labels to a Job that has none of its own.
  const templateLabels = rec(rec(rec(spec.template)?.metadata)?.labels);
  const meta = obj.metadata ?? (obj.metadata = {});
  if (templateLabels && Object.keys(meta.labels ?? {}).length === 0) meta.labels = { ...(templateLabels as Record<string, string>) };
}

function validateJobSpec(spec: unknown, path: string): FieldError[] {
  const s = rec(spec);
  if (!s) return [required(path, '')];
  const errs = [
    ...validateNonnegative(s.parallelism, `${path}.parallelism`),
    ...validateNonnegative(s.completions, `${path}.completions`),
    ...validatePositive(s.activeDeadlineSeconds, `${path}.activeDeadlineSeconds`),
    ...validateNonnegative(s.backoffLimit, `${path}.backoffLimit`),
    ...validateNonnegative(s.ttlSecondsAfterFinished, `${path}.ttlSecondsAfterFinished`),
  ];
  const mode = s.completionMode;
  if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') {
    errs.push(notSupported(`${path}.completionMode`, mode, ['NonIndexed', 'Indexed']));
  }
  if (mode === 'Indexed' && (s.completions === undefined || s.completions === null)) {
    errs.push(required(`${path}.completions`, 'when completion mode is Indexed'));
  }
  let selectorValid = false;
  if (s.selector === undefined || s.selector === null) {
    if (s.manualSelector === true) errs.push(required(`${path}.selector`, ''));
  } else {
    const selErrs = validateLabelSelector(s.selector, `${path}.selector`);
    errs.push(...selErrs);
    selectorValid = selErrs.length === 0;
  }
  errs.push(...validatePodTemplate(s.template, `${path}.template`, { restartPolicies: JOB_RESTART }));
  const sel = rec(s.selector) as LabelSelector | undefined;
  const labels = rec(rec(rec(s.template)?.metadata)?.labels) as Record<string, string> | undefined;
  if (selectorValid && sel && !selectorIsEmpty(sel) && !selectorMatches(sel, labels)) {
    errs.push(invalid(`${path}.template.metadata.labels`, labels ?? {}, '`selector` does not match template `labels`'));
  }
  return errs;
}

/** Templates equal but for the derived serviceAccount alias (a Job stored before it was mirrored lacks it). */
function sameTemplate(next: unknown, prev: unknown): boolean {
  if (deepEqual(next, prev)) return true;
  const prevSpec = rec(rec(prev)?.spec);
  if (!rec(rec(next)?.spec) || !prevSpec) return false;
  const t = structuredClone(next) as Json;
  aliasAs(rec(t.spec)!, prevSpec);
  return deepEqual(t, prev);
}

function validateJobUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const next = rec(obj.spec) ?? {};
  const prev = rec(old.spec) ?? {};
  const errs = [...validateObjectMetaUpdate(obj, old), ...validateJobSpec(obj.spec, 'spec')];
  errs.push(...immutable('spec.selector', next.selector, prev.selector));
  errs.push(...immutable('spec.completionMode', next.completionMode, prev.completionMode));
  // Upstream allows scheduling directives to change only while suspended; Skiff keeps the template fixed.
  if (!sameTemplate(next.template, prev.template)) errs.push(invalid('spec.template', next.template, 'field is immutable'));
  if (next.completions !== prev.completions && !(next.completionMode === 'Indexed' && next.completions === next.parallelism)) {
    errs.push(invalid('spec.completions', next.completions ?? null, 'field is immutable'));
  }
  return errs;
}

export const jobStrategy: Strategy = {
  default: defaultJob,
  validate: (obj) => [
    ...validateObjectMeta(obj, { namespaced: true, name: nameIsDNSSubdomain }),
    ...validateJobSpec(obj.spec, 'spec'),
  ],
  validateUpdate: validateJobUpdate,
  hasStatus: true,
  hasGeneration: true,
};

// ---------------------------------------------------------------- CronJob

function defaultCronJob(obj: KubeObject): void {
  const spec = ensure(obj, 'spec');
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  if (spec.suspend === undefined) spec.suspend = false;
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  const jobSpec = rec(rec(spec.jobTemplate)?.spec);
  if (jobSpec) defaultPodTemplate(jobSpec.template);
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function validateCronJobSpec(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec);
  if (!spec) return [required('spec', '')];
  const errs: FieldError[] = [];
  const schedule = str(spec.schedule);
  if (schedule === '') errs.push(required('spec.schedule', ''));
  else if (/(^|\s)(CRON_)?TZ=/.test(schedule)) {
    errs.push(invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  } else {
    const err = cronScheduleError(schedule);
    if (err) errs.push(invalid('spec.schedule', schedule, err));
  }
  if (typeof spec.timeZone === 'string' && !validTimeZone(spec.timeZone)) {
    errs.push(invalid('spec.timeZone', spec.timeZone, `unknown time zone ${spec.timeZone}`));
  }
  const cp = spec.concurrencyPolicy;
  if (cp === undefined || cp === '') errs.push(required('spec.concurrencyPolicy', ''));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp as string)) {
    errs.push(notSupported('spec.concurrencyPolicy', cp, ['Allow', 'Forbid', 'Replace']));
  }
  errs.push(...validateNonnegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  errs.push(...validateNonnegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...validateNonnegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  const jt = rec(spec.jobTemplate);
  if (!jt) errs.push(required('spec.jobTemplate', ''));
  else {
    errs.push(...validateJobSpec(jt.spec, 'spec.jobTemplate.spec'));
    errs.push(...validateLabelsOf(jt, 'spec.jobTemplate.metadata.labels'));
  }
  return errs;
}

const validateLabelsOf = (o: Json, path: string) => validateLabels(rec(o.metadata)?.labels, path);

function validateCronJobName(obj: KubeObject): FieldError[] {
  const name = obj.metadata?.name;
  // Job names get an 11-character suffix and must still fit a label value.
  return typeof name === 'string' && name.length > CRONJOB_NAME_MAX
    ? [invalid('metadata.name', name, `must be no more than ${CRONJOB_NAME_MAX} characters`)] : [];
}

export const cronJobStrategy: Strategy = {
  default: defaultCronJob,
  validate: (obj) => [
    ...validateObjectMeta(obj, { namespaced: true, name: nameIsDNSSubdomain }),
    ...validateCronJobName(obj),
    ...validateCronJobSpec(obj),
  ],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateCronJobSpec(obj)],
  hasStatus: true,
  hasGeneration: true,
};
