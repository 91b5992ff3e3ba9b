/**
 * events.k8s.io/v1 ⇄ core/v1 Event. Upstream stores both as one object (the same etcd keys, /registry/events)
 * and converts through its internal type (pkg/apis/events/v1/conversion.go); the fields map one to one:
 * note ⇄ message, regarding ⇄ involvedObject, reportingController ⇄ reportingComponent,
 * deprecatedSource/FirstTimestamp/LastTimestamp/Count ⇄ source/firstTimestamp/lastTimestamp/count; related,
 * reportingInstance, eventTime, series, action, reason and type keep their names.
 *
 * `checkEventsV1` is upstream's ValidateEventCreate/Update for requests in events.k8s.io/v1 (the strict rules of
 * the new API); core/v1 requests keep the legacy rules of the core strategy.
 */
import type { FieldError, KubeObject } from '../resource.js';
import { invalid, required } from '../validation/errors.js';
import { isQualifiedName } from '../validation/labels.js';
import { rec, str } from './strategies/json.js';

type Obj = Record<string, unknown>;

/** [events.k8s.io/v1 name, core/v1 name] for every field that is renamed. */
const RENAMED: ReadonlyArray<readonly [string, string]> = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];
const SAME = ['related', 'reportingInstance', 'eventTime', 'series', 'action', 'reason', 'type'];

function copy(from: Obj, pairs: ReadonlyArray<readonly [string, string]>): Obj {
  const out: Obj = {};
  for (const [src, dst] of pairs) if (from[src] !== undefined) out[dst] = structuredClone(from[src]);
  return out;
}

/** events.k8s.io/v1's field selector labels and their core/v1 names (upstream's AddFieldLabelConversionsForEvent). */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  'regarding.kind': 'involvedObject.kind',
  'regarding.namespace': 'involvedObject.namespace',
  'regarding.name': 'involvedObject.name',
  'regarding.uid': 'involvedObject.uid',
  'regarding.apiVersion': 'involvedObject.apiVersion',
  'regarding.resourceVersion': 'involvedObject.resourceVersion',
  'regarding.fieldPath': 'involvedObject.fieldPath',
  reportingController: 'reportingComponent',
  reason: 'reason',
  type: 'type',
};
export const EVENTS_V1_FIELD_LABELS = Object.keys(FIELD_LABELS);
export const eventsV1FieldLabel = (label: string): string => FIELD_LABELS[label] ?? label;

const meta = (obj: KubeObject): Obj => structuredClone((obj.metadata ?? {}) as Obj);

export function eventV1ToCore(obj: KubeObject): KubeObject {
  const pairs = [...RENAMED, ...SAME.map((k) => [k, k] as const)];
  return { apiVersion: 'v1', kind: 'Event', metadata: meta(obj), ...copy(obj as Obj, pairs) } as KubeObject;
}

export function eventCoreToV1(obj: KubeObject): KubeObject {
  const pairs = [...RENAMED.map(([a, b]) => [b, a] as const), ...SAME.map((k) => [k, k] as const)];
  const out = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: meta(obj), ...copy(obj as Obj, pairs) } as KubeObject;
  // eventTime is a required field of the v1 type: a legacy event without one shows it as null, as upstream does.
  if (out.eventTime === undefined) out.eventTime = null;
  return out;
}

const LIMIT = 128;
const NOTE_LIMIT = 1024;
const isZeroTime = (v: unknown): boolean => v === undefined || v === null || v === '';

/** upstream's legacyValidateEvent in events.k8s.io/v1's words (field names of the internal type, as upstream). */
function legacyRules(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const ns = obj.metadata?.namespace ?? '';
  const regardingNs = str(rec(obj.regarding)?.namespace);
  if (isZeroTime(obj.eventTime)) {
    if (regardingNs === '' ? ns !== '' && ns !== 'default' : ns !== regardingNs) {
      errs.push(invalid('involvedObject.namespace', regardingNs, 'does not match event.namespace'));
    }
    return errs;
  }
  if (regardingNs === '' && ns !== 'default' && ns !== 'kube-system') {
    errs.push(invalid('involvedObject.namespace', regardingNs, 'does not match event.namespace'));
  }
  const controller = str(obj.reportingController);
  if (controller === '') errs.push(required('reportingController', ''));
  for (const m of isQualifiedName(controller)) errs.push(invalid('reportingController', controller, m));
  const instance = str(obj.reportingInstance);
  if (instance === '') errs.push(required('reportingInstance', ''));
  if (instance.length > LIMIT) errs.push(invalid('reportingInstance', '', `can have at most ${LIMIT} characters`));
  const action = str(obj.action);
  if (action === '') errs.push(required('action', ''));
  if (action.length > LIMIT) errs.push(invalid('action', '', `can have at most ${LIMIT} characters`));
  const reason = str(obj.reason);
  if (reason === '') errs.push(required('reason', ''));
  if (reason.length > LIMIT) errs.push(invalid('reason', '', `can have at most ${LIMIT} characters`));
  if (str(obj.note).length > NOTE_LIMIT) errs.push(invalid('message', '', `can have at most ${NOTE_LIMIT} characters`));
  return errs;
}

/**
 * The strict rules only a create through events.k8s.io/v1 must pass. A create is told from an update by the
 * absent uid: an update or patch carries the stored object's, and upstream resets a create's uid anyway.
 */
function createRules(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const series = rec(obj.series);
  if (series) {
    if (typeof series.count !== 'number' || series.count < 2) errs.push(invalid('series.count', '', 'should be at least 2'));
    if (isZeroTime(series.lastObservedTime)) errs.push(required('series.lastObservedTime', ''));
  }
  if (isZeroTime(obj.eventTime)) errs.push(required('eventTime', ''));
  if (obj.type !== 'Normal' && obj.type !== 'Warning') errs.push(invalid('type', '', `has invalid value: ${str(obj.type)}`));
  if (!isZeroTime(obj.deprecatedFirstTimestamp)) errs.push(invalid('deprecatedFirstTimestamp', '', 'needs to be unset'));
  if (!isZeroTime(obj.deprecatedLastTimestamp)) errs.push(invalid('deprecatedLastTimestamp', '', 'needs to be unset'));
  if (typeof obj.deprecatedCount === 'number' && obj.deprecatedCount !== 0) errs.push(invalid('deprecatedCount', '', 'needs to be unset'));
  const source = rec(obj.deprecatedSource);
  if (source && (str(source.component) !== '' || str(source.host) !== '')) errs.push(invalid('deprecatedSource', '', 'needs to be unset'));
  return errs;
}

export function checkEventsV1(obj: KubeObject): FieldError[] {
  return obj.metadata?.uid ? legacyRules(obj) : [...legacyRules(obj), ...createRules(obj)];
}
