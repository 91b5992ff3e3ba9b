/**
 * PodSpec defaulting and validation, shared by Pods and every pod template (Deployments, Jobs, …), following
 * upstream's SetDefaults_PodSpec/SetDefaults_Container and ValidatePodSpec for the fields users touch.
 */
import type { FieldError } from '../../resource.js';
import { duplicate, invalid, notSupported, required, forbidden } from '../../validation/errors.js';
import { isDNS1123Label, isDNS1123Subdomain, inclusiveRangeError } from '../../validation/names.js';
import { validateLabels, isQualifiedName, isValidLabelValue } from '../../validation/labels.js';
import { isValidPortName, validatePortNumber, validateProtocol, validatePortNumOrName } from '../../validation/ports.js';
import { validateResourceRequirements } from '../../validation/quantities.js';
import { validateNonnegative } from '../../validation/numbers.js';
import { ensure, isRecord, records, rec, setDefault, str, type Json } from './json.js';
import { defaultVolumeFiles, validateVolumeFiles } from './volume-files.js';
import { validateEnv, validateEnvFrom } from './env.js';

// ---------------------------------------------------------------- defaulting

/** Upstream's pull-policy rule: `:latest` or no tag (and no digest) pulls Always, anything else IfNotPresent. */
export function defaultPullPolicy(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon >= 0 ? lastSegment.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(p: unknown): void {
  if (!isRecord(p)) return;
  setDefault(p, 'timeoutSeconds', 1);
  setDefault(p, 'periodSeconds', 10);
  setDefault(p, 'successThreshold', 1);
  setDefault(p, 'failureThreshold', 3);
  const http = rec(p.httpGet);
  if (http) {
    setDefault(http, 'path', '/');
    setDefault(http, 'scheme', 'HTTP');
  }
}

function defaultContainer(c: Json): void {
  // Upstream defaults even an empty image (it cannot parse a tag, so IfNotPresent); validation reports the image.
  setDefault(c, 'imagePullPolicy', typeof c.image === 'string' && c.image !== '' ? defaultPullPolicy(c.image) : 'IfNotPresent');
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  // A non-pointer struct upstream, so it always serialises (`resources: {}`).
  if (!isRecord(c.resources)) c.resources = {};
  for (const port of records(c.ports)) setDefault(port, 'protocol', 'TCP');
  for (const env of records(c.env)) {
    const fieldRef = rec(rec(env.valueFrom)?.fieldRef);
    if (fieldRef) setDefault(fieldRef, 'apiVersion', 'v1');
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

function defaultVolume(v: Json): void {
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) v.emptyDir = {};
  for (const k of ['configMap', 'secret', 'projected', 'downwardAPI']) {
    const src = rec(v[k]);
    if (src) setDefault(src, 'defaultMode', 420);
  }
  const hostPath = rec(v.hostPath);
  if (hostPath && hostPath.type === undefined) hostPath.type = '';
  defaultVolumeFiles(v);
}

function defaultHostNetworkPorts(containers: Json[]): void {
  for (const c of containers) {
    for (const p of records(c.ports)) if (!p.hostPort) p.hostPort = p.containerPort;
  }
}

/**
 * The deprecated spec.serviceAccount, as upstream's v1 PodSpec conversion keeps it: on input it names the account
 * only when serviceAccountName is empty (serviceAccountName wins when both are given); on output it always repeats
 * serviceAccountName (absent when that is empty). Called on every pod spec written (pods and templates); whatever
 * sets serviceAccountName after defaulting sets the alias too (the ServiceAccount admission plugin does).
 */
export function mirrorServiceAccount(spec: Json): void {
  const name = spec.serviceAccountName;
  if ((name === undefined || name === null || name === '') && typeof spec.serviceAccount === 'string' && spec.serviceAccount !== '') {
    spec.serviceAccountName = spec.serviceAccount;
  }
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '') spec.serviceAccount = spec.serviceAccountName;
  else delete spec.serviceAccount;
}

/**
 * Gives `spec` the alias `like` has, for immutability checks: the alias is derived from serviceAccountName (which
 * they still compare), and objects stored before it was mirrored lack it, so an update must not trip on it.
 */
export function aliasAs(spec: Json, like: Json): void {
  if (like.serviceAccount === undefined) delete spec.serviceAccount;
  else spec.serviceAccount = like.serviceAccount;
}

/** SetDefaults_PodSpec plus per-container and per-volume defaults; for pods and templates alike. */
export function defaultPodSpec(spec: Json): void {
  mirrorServiceAccount(spec);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  if (!isRecord(spec.securityContext)) spec.securityContext = {};
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  const containers = [...records(spec.initContainers), ...records(spec.containers)];
  containers.forEach(defaultContainer);
  records(spec.volumes).forEach(defaultVolume);
  if (spec.hostNetwork === true) defaultHostNetworkPorts(containers);
}

/** Pod-only defaults on top of the spec's: requests from limits, enableServiceLinks. */
export function defaultPodOnly(spec: Json): void {
  for (const c of [...records(spec.initContainers), ...records(spec.containers)]) {
    const res = ensure(c, 'resources');
    const limits = rec(res.limits);
    if (!limits || Object.keys(limits).length === 0) continue;
    const requests = ensure(res, 'requests');
    for (const [k, v] of Object.entries(limits)) if (requests[k] === undefined) requests[k] = v;
  }
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
}

/** The template of a workload: its pod spec gets pod-spec defaults. */
export function defaultPodTemplate(template: unknown): void {
  if (!isRecord(template)) return;
  defaultPodSpec(ensure(template, 'spec'));
}

// ---------------------------------------------------------------- validation

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const MAX_INT32 = 2147483647;

function dnsLabel(value: unknown, field: string): FieldError[] {
  if (typeof value !== 'string' || value === '') return [required(field, '')];
  return isDNS1123Label(value).map((m) => invalid(field, value, m));
}

function validateEnumRequired(value: unknown, field: string, allowed: string[]): FieldError[] {
  if (value === undefined || value === '') return [required(field, '')];
  return allowed.includes(value as string) ? [] : [notSupported(field, value, allowed)];
}

function validateContainerPorts(ports: unknown, field: string): FieldError[] {
  if (ports === undefined || ports === null) return [];
  if (!Array.isArray(ports)) return [invalid(field, ports, 'must be a list')];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((p: unknown, i) => {
    const path = `${field}[${i}]`;
    if (!isRecord(p)) { errs.push(invalid(path, p, 'must be an object')); return; }
    if (typeof p.name === 'string' && p.name !== '') {
      for (const m of isValidPortName(p.name)) errs.push(invalid(`${path}.name`, p.name, m));
      if (names.has(p.name)) errs.push(duplicate(`${path}.name`, p.name));
      names.add(p.name);
    }
    if (p.containerPort === undefined || p.containerPort === 0) errs.push(required(`${path}.containerPort`, ''));
    else errs.push(...validatePortNumber(p.containerPort, `${path}.containerPort`));
    if (p.hostPort !== undefined && p.hostPort !== 0) errs.push(...validatePortNumber(p.hostPort, `${path}.hostPort`));
    errs.push(...validateProtocol(p.protocol, `${path}.protocol`));
  });
  return errs;
}

function validateProbe(p: unknown, field: string): FieldError[] {
  if (!isRecord(p)) return [];
  const errs: FieldError[] = [];
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...validateNonnegative(p[k], `${field}.${k}`));
  }
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((k) => p[k] !== undefined);
  if (handlers.length === 0) errs.push(required(field, 'must specify a handler type'));
  else if (handlers.length > 1) errs.push(forbidden(`${field}.${handlers[1]}`, 'may not specify more than 1 handler type'));
  const http = rec(p.httpGet);
  if (http) errs.push(...validatePortNumOrName(http.port, `${field}.httpGet.port`));
  const tcp = rec(p.tcpSocket);
  if (tcp) errs.push(...validatePortNumOrName(tcp.port, `${field}.tcpSocket.port`));
  return errs;
}

function validateContainers(list: unknown, field: string, volumes: Set<string>, seen: Set<string>,
  init: boolean): FieldError[] {
  if (list === undefined || list === null) return init ? [] : [required(field, '')];
  if (!Array.isArray(list)) return [invalid(field, list, 'must be a list')];
  if (!init && list.length === 0) return [required(field, '')];
  const errs: FieldError[] = [];
  list.forEach((c: unknown, i) => {
    const path = `${field}[${i}]`;
    if (!isRecord(c)) { errs.push(invalid(path, c, 'must be an object')); return; }
    const nameErrs = dnsLabel(c.name, `${path}.name`);
    errs.push(...nameErrs);
    if (nameErrs.length === 0) {
      if (seen.has(c.name as string)) errs.push(duplicate(`${path}.name`, c.name));
      seen.add(c.name as string);
    }
    if (typeof c.image !== 'string' || c.image === '') errs.push(required(`${path}.image`, ''));
    else if (c.image !== c.image.trim()) errs.push(invalid(`${path}.image`, c.image, 'must not have leading or trailing whitespace'));
    errs.push(...validateEnumRequired(c.imagePullPolicy, `${path}.imagePullPolicy`, PULL_POLICIES));
    errs.push(...validateEnumRequired(c.terminationMessagePolicy, `${path}.terminationMessagePolicy`, TERMINATION_MESSAGE_POLICIES));
    errs.push(...validateContainerPorts(c.ports, `${path}.ports`));
    errs.push(...validateEnv(c.env, `${path}.env`));
    errs.push(...validateEnvFrom(c.envFrom, `${path}.envFrom`));
    errs.push(...validateResourceRequirements(c.resources, `${path}.resources`));
    if (init) {
      if (c.restartPolicy !== undefined && c.restartPolicy !== 'Always') {
        errs.push(notSupported(`${path}.restartPolicy`, c.restartPolicy, ['Always']));
      }
    } else if (c.restartPolicy !== undefined) {
      errs.push(forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
    }
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      errs.push(...validateProbe(c[probe], `${path}.${probe}`));
    }
    // A loop, not a closure per container: every container mounts the ServiceAccount token with admission on.
    const mounts = records(c.volumeMounts);
    for (let j = 0; j < mounts.length; j++) {
      const m = mounts[j]!;
      if (typeof m.name !== 'string' || m.name === '') errs.push(required(`${path}.volumeMounts[${j}].name`, ''));
      else if (!volumes.has(m.name)) {
        errs.push({ type: 'FieldValueNotFound', field: `${path}.volumeMounts[${j}].name`, message: `Not found: ${JSON.stringify(m.name)}` });
      }
      if (typeof m.mountPath !== 'string' || m.mountPath === '') errs.push(required(`${path}.volumeMounts[${j}].mountPath`, ''));
    }
  });
  return errs;
}

const VOLUME_SOURCES = ['hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret',
  'nfs', 'iscsi', 'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker',
  'downwardAPI', 'fc', 'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk',
  'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image'];

const VOLUME_SOURCE_ORDER = new Map(VOLUME_SOURCES.map((k, i) => [k, i]));

/**
 * The volume types a volume sets, in VOLUME_SOURCES order (the order of the "more than 1" errors). Found from the
 * volume's own keys (a name and, nearly always, one type) instead of looking each of the 30 types up in it: every
 * pod of a cluster with ServiceAccount admission has its token volume checked here on create.
 */
function volumeSources(v: Record<string, unknown>): string[] {
  const found: string[] = [];
  for (const k of Object.keys(v)) if (VOLUME_SOURCE_ORDER.has(k) && v[k] !== undefined && v[k] !== null) found.push(k);
  if (found.length > 1) found.sort((a, b) => VOLUME_SOURCE_ORDER.get(a)! - VOLUME_SOURCE_ORDER.get(b)!);
  return found;
}

/**
 * A plain loop, no closure or spread per volume: with ServiceAccount admission every pod create has its token
 * volume checked here.
 */
function validateVolumes(list: unknown, field: string, names: Set<string>): FieldError[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return [invalid(field, list, 'must be a list')];
  const errs: FieldError[] = [];
  for (let i = 0; i < list.length; i++) {
    const v: unknown = list[i];
    const path = `${field}[${i}]`;
    if (!isRecord(v)) { errs.push(invalid(path, v, 'must be an object')); continue; }
    const nameErrs = dnsLabel(v.name, `${path}.name`);
    if (nameErrs.length === 0) {
      if (names.has(v.name as string)) errs.push(duplicate(`${path}.name`, v.name));
      names.add(v.name as string);
    } else for (const e of nameErrs) errs.push(e);
    const sources = volumeSources(v);
    if (sources.length === 0) errs.push(required(path, 'must specify a volume type'));
    for (let j = 1; j < sources.length; j++) errs.push(forbidden(`${path}.${sources[j]}`, 'may not specify more than 1 volume type'));
    validateVolumeFiles(v, path, errs);
    const pvc = rec(v.persistentVolumeClaim);
    if (pvc && (typeof pvc.claimName !== 'string' || pvc.claimName === '')) {
      errs.push(required(`${path}.persistentVolumeClaim.claimName`, ''));
    }
    const hostPath = rec(v.hostPath);
    if (hostPath && (typeof hostPath.path !== 'string' || hostPath.path === '')) errs.push(required(`${path}.hostPath.path`, ''));
  }
  return errs;
}

export function validateTolerations(list: unknown, field: string): FieldError[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return [invalid(field, list, 'must be a list')];
  const errs: FieldError[] = [];
  list.forEach((t: unknown, i) => {
    const path = `${field}[${i}]`;
    if (!isRecord(t)) { errs.push(invalid(path, t, 'must be an object')); return; }
    const key = str(t.key);
    if (key !== '') for (const m of isQualifiedName(key)) errs.push(invalid(`${path}.key`, key, m));
    if (key === '' && t.operator !== 'Exists') {
      errs.push(invalid(`${path}.operator`, t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(invalid(`${path}.effect`, t.effect ?? '', 'effect must be \'NoExecute\' when `tolerationSeconds` is set'));
    }
    if (t.operator === 'Exists') {
      if (t.value !== undefined && t.value !== '') errs.push(invalid(`${path}.operator`, t, 'value must be empty when `operator` is \'Exists\''));
    } else if (t.operator !== undefined && t.operator !== '' && t.operator !== 'Equal') {
      errs.push(notSupported(`${path}.operator`, t.operator, TOLERATION_OPERATORS));
    } else if (typeof t.value === 'string' && t.value !== '') {
      for (const m of isValidLabelValue(t.value)) errs.push(invalid(`${path}.value`, t.value, m));
    }
    if (t.effect !== undefined && t.effect !== '' && !TAINT_EFFECTS.includes(t.effect as string)) {
      errs.push(notSupported(`${path}.effect`, t.effect, TAINT_EFFECTS));
    }
  });
  return errs;
}

export interface PodSpecRules {
  /** Restart policies this owner accepts (Deployments: Always; Jobs: OnFailure, Never). */
  restartPolicies?: string[];
  /** Controllers whose pods run forever (ReplicaSet, StatefulSet, DaemonSet) reject activeDeadlineSeconds. */
  noActiveDeadlineFor?: string;
}

export function validatePodSpec(spec: unknown, field: string, rules: PodSpecRules = {}): FieldError[] {
  if (!isRecord(spec)) return [required(field, '')];
  const errs: FieldError[] = [];
  const volumes = new Set<string>();
  errs.push(...validateVolumes(spec.volumes, `${field}.volumes`, volumes));
  const containerNames = new Set<string>();
  errs.push(...validateContainers(spec.initContainers, `${field}.initContainers`, volumes, containerNames, true));
  errs.push(...validateContainers(spec.containers, `${field}.containers`, volumes, containerNames, false));
  const restart = rules.restartPolicies;
  if (restart && spec.restartPolicy !== undefined && !restart.includes(spec.restartPolicy as string)) {
    errs.push(notSupported(`${field}.restartPolicy`, spec.restartPolicy, restart));
  } else {
    errs.push(...validateEnumRequired(spec.restartPolicy, `${field}.restartPolicy`, RESTART_POLICIES));
  }
  errs.push(...validateEnumRequired(spec.dnsPolicy, `${field}.dnsPolicy`, DNS_POLICIES));
  errs.push(...validateLabels(spec.nodeSelector, `${field}.nodeSelector`));
  for (const k of ['serviceAccountName', 'nodeName'] as const) {
    const v = spec[k];
    if (typeof v === 'string' && v !== '') for (const m of isDNS1123Subdomain(v)) errs.push(invalid(`${field}.${k}`, v, m));
  }
  for (const k of ['hostname', 'subdomain'] as const) {
    const v = spec[k];
    if (typeof v === 'string' && v !== '') for (const m of isDNS1123Label(v)) errs.push(invalid(`${field}.${k}`, v, m));
  }
  errs.push(...validateNonnegative(spec.terminationGracePeriodSeconds, `${field}.terminationGracePeriodSeconds`));
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (rules.noActiveDeadlineFor) {
      errs.push(invalid(`${field}.activeDeadlineSeconds`, ads, `activeDeadlineSeconds in ${rules.noActiveDeadlineFor} is not Supported`));
    }
    else if (typeof ads !== 'number' || !Number.isInteger(ads) || ads < 1 || ads > MAX_INT32) {
      errs.push(invalid(`${field}.activeDeadlineSeconds`, ads, inclusiveRangeError(1, MAX_INT32)));
    }
  }
  errs.push(...validateTolerations(spec.tolerations, `${field}.tolerations`));
  return errs;
}

/** A workload's pod template: labels, then the spec with the owner's rules. */
export function validatePodTemplate(template: unknown, field: string, rules: PodSpecRules = {}): FieldError[] {
  if (!isRecord(template)) return [required(field, '')];
  const meta = rec(template.metadata) ?? {};
  return [
    ...validateLabels(meta.labels, `${field}.metadata.labels`),
    ...validatePodSpec(template.spec, `${field}.spec`, rules),
  ];
}
