/**
 * The PodSecurity admission plugin (upstream's staging/src/k8s.io/pod-security-admission): a namespace's labels
 * pod-security.kubernetes.io/{enforce,audit,warn}[-version] choose a level (privileged, baseline, restricted) and
 * a policy version per mode; absent labels mean privileged:latest.
 * - Pods (create, significant updates, ephemeralcontainers): enforce refuses with 403 "violates PodSecurity
 *   "<level:version>": …"; warn adds "would violate PodSecurity …" Warning headers (not when enforce refuses).
 * - Workload resources with pod templates: warn only, never enforce (their pods are enforced when created).
 * - Namespaces: invalid labels are refused (422); tightening enforce warns about existing pods that violate it.
 * - Audit annotations (pod-security.kubernetes.io/…, on the request's audit events): enforce-policy for every pod
 *   evaluated, audit-violations when the audit level fails (pods and workloads), error for unparsable labels.
 * - An AdmissionConfiguration's PodSecurityConfiguration (admission-config.ts) gives the policy of namespaces without
 *   labels and exempts users, namespaces and runtime classes (annotated pod-security.kubernetes.io/exempt).
 */
import type { FieldError, KubeObject } from '../resource.js';
import { forbidden, invalid } from '../status.js';
import { deepEqual } from '../validation/errors.js';
import {
  evaluatePod, forbiddenReasons, LATEST, levelVersionString, type CheckFailure, type LevelVersion,
} from './pod-security-checks.js';
import type { Admission, AdmissionAttributes, AdmissionTarget } from './types.js';
import type { PodSecurityConfig } from './admission-config.js';
import { cachedObjects, type CachingEngine } from '../watch/cached-objects.js';
import { aggregateErrors } from '../../aggregate-errors.js';

const LABEL_PREFIX = 'pod-security.kubernetes.io/';
const MODES = ['enforce', 'audit', 'warn'] as const;
type Mode = (typeof MODES)[number];

export type NamespacePolicy = Record<Mode, LevelVersion>;

const PRIVILEGED_LATEST: LevelVersion = { level: 'privileged', minor: LATEST };
const PRIVILEGED_POLICY: NamespacePolicy = { enforce: PRIVILEGED_LATEST, audit: PRIVILEGED_LATEST, warn: PRIVILEGED_LATEST };
const VERSION_RE = /^v1\.([0-9]|[1-9][0-9]*)$/;

/** upstream's PolicyToEvaluate: a policy always, plus the labels' errors (an invalid enforce level is restricted). */
export function policyFromLabels(labels: Record<string, string> | undefined, defaults: NamespacePolicy = PRIVILEGED_POLICY): { policy: NamespacePolicy; errors: FieldError[] } {
  const policy: NamespacePolicy = { enforce: { ...defaults.enforce }, audit: { ...defaults.audit }, warn: { ...defaults.warn } };
  const errors: FieldError[] = [];
  if (!labels) return { policy, errors };
  const bad = (label: string, value: string, message: string) =>
    errors.push({ type: 'FieldValueInvalid', field: `metadata.labels[${label}]`, message: `Invalid value: ${JSON.stringify(value)}: ${message}` });
  for (const mode of MODES) {
    const levelLabel = LABEL_PREFIX + mode;
    const level = labels[levelLabel];
    if (level !== undefined) {
      if (level === 'privileged' || level === 'baseline' || level === 'restricted') policy[mode].level = level;
      else {
        bad(levelLabel, level, 'must be one of privileged, baseline, restricted');
        // Fail closed for enforce, open for audit and warn.
        policy[mode].level = mode === 'enforce' ? 'restricted' : 'privileged';
      }
    }
    const versionLabel = `${levelLabel}-version`;
    const version = labels[versionLabel];
    if (version !== undefined) {
      const m = VERSION_RE.exec(version);
      if (version === 'latest') policy[mode].minor = LATEST;
      else if (m) policy[mode].minor = Number(m[1]);
      else bad(versionLabel, version, 'must be "latest" or "v1.x"');
    }
  }
  return { policy, errors };
}

/** What the plugin reads: a namespace (its labels), and the pods in one (for tightened-namespace warnings). */
export interface PodSecuritySource {
  namespace(name: string): Promise<KubeObject | undefined>;
  pods(namespace: string): Promise<KubeObject[]>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where a workload kind keeps its pod template, by `group/plural`. */
const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  '/podtemplates': ['template'],
  '/replicationcontrollers': ['spec', 'template'],
  'apps/replicasets': ['spec', 'template'],
  'apps/deployments': ['spec', 'template'],
  'apps/statefulsets': ['spec', 'template'],
  'apps/daemonsets': ['spec', 'template'],
  'batch/jobs': ['spec', 'template'],
  'batch/cronjobs': ['spec', 'jobTemplate', 'spec', 'template'],
};

export function podTemplateOf(group: string, plural: string, o: KubeObject | null): Obj | undefined {
  const path = TEMPLATE_PATHS[`${group}/${plural}`];
  if (!path || !o) return undefined;
  let cur: unknown = o;
  for (const k of path) cur = isObj(cur) ? cur[k] : undefined;
  return isObj(cur) ? cur : undefined;
}

const SECURITY_ANNOTATION_PREFIXES = ['seccomp.security.alpha.kubernetes.io/', 'container.seccomp.security.alpha.kubernetes.io/', 'container.apparmor.security.beta.kubernetes.io/'];

/**
 * Upstream's isSignificantPodUpdate: a pod's spec is almost immutable, so an update matters only when what the
 * checks read could have changed (containers, the security annotations).
 */
export function isSignificantPodUpdate(pod: KubeObject, old: KubeObject): boolean {
  const spec = (pod['spec'] ?? {}) as Obj;
  const oldSpec = (old['spec'] ?? {}) as Obj;
  const sec = (o: KubeObject) => Object.entries(o.metadata?.annotations ?? {}).filter(([k]) => SECURITY_ANNOTATION_PREFIXES.some((p) => k.startsWith(p)));
  if (!deepEqual(sec(pod), sec(old))) return true;
  // Image changes are the common update and cannot change the outcome; anything else in the spec may.
  const withoutImages = (s: Obj) => ({
    ...s,
    containers: ((s['containers'] ?? []) as Obj[]).map((c) => ({ ...c, image: undefined })),
    initContainers: ((s['initContainers'] ?? []) as Obj[]).map((c) => ({ ...c, image: undefined })),
    activeDeadlineSeconds: undefined,
    tolerations: undefined,
  });
  return !deepEqual(withoutImages(spec), withoutImages(oldSpec));
}

/** Upstream's per-pod warning lines after "existing pods in namespace … violate …", grouping identical reasons. */
export function existingPodWarnings(namespace: string, enforce: LevelVersion, pods: readonly KubeObject[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const p of pods) {
    const failures = evaluatePod(enforce, p.metadata, p['spec']);
    if (!failures.length) continue;
    const reason = forbiddenReasons(failures);
    const names = byReason.get(reason) ?? [];
    names.push(p.metadata?.name ?? '');
    byReason.set(reason, names);
  }
  if (!byReason.size) return [];
  const out = [`existing pods in namespace ${JSON.stringify(namespace)} violate the new PodSecurity enforce level ${JSON.stringify(levelVersionString(enforce))}`];
  for (const [reason, names] of byReason) {
    const others = names.length - 1;
    out.push(others === 0 ? `${names[0]}: ${reason}` : `${names[0]} (and ${others} other ${others === 1 ? 'pod' : 'pods'}): ${reason}`);
  }
  return out;
}

/** upstream's namespaceMaxPodsToCheck: a relabelled namespace's pods are checked up to this many. */
const MAX_PODS_TO_CHECK = 3000;

const wouldViolate = (lv: LevelVersion, failures: CheckFailure[]): string =>
  `would violate PodSecurity ${JSON.stringify(levelVersionString(lv))}: ${forbiddenReasons(failures)}`;

/** An audit annotation under upstream's prefix (pod-security.kubernetes.io/<key>). */
const annotate = (a: AdmissionAttributes, key: string, value: string): void => a.audit?.(LABEL_PREFIX + key, value);

/** Unparsable labels, as upstream's "error" annotation words them (its errors aggregated as Go prints a list). */
function annotateErrors(a: AdmissionAttributes, errors: readonly FieldError[]): void {
  if (!errors.length) return;
  const texts = errors.map((e) => `${e.field}: ${e.message}`);
  annotate(a, 'error', `Failed to parse policy: ${aggregateErrors(texts)}`);
}

const isPods = (a: AdmissionTarget) => a.resource.group === '' && a.resource.plural === 'pods';
const isNamespaces = (a: AdmissionTarget) => a.resource.group === '' && a.resource.plural === 'namespaces' && a.subresource === '';
const sameLevelVersion = (a: LevelVersion, b: LevelVersion) => a.level === b.level && a.minor === b.minor;

export class PodSecurityAdmission implements Admission {
  private readonly defaults: NamespacePolicy;
  private readonly exempt: { usernames: ReadonlySet<string>; namespaces: ReadonlySet<string>; runtimeClasses: ReadonlySet<string> };

  constructor(private readonly source: PodSecuritySource, config?: PodSecurityConfig) {
    this.defaults = config?.defaults ?? PRIVILEGED_POLICY;
    this.exempt = {
      usernames: new Set(config?.exemptions.usernames), namespaces: new Set(config?.exemptions.namespaces), runtimeClasses: new Set(config?.exemptions.runtimeClasses),
    };
  }

  async admit(a: AdmissionAttributes): Promise<KubeObject | null> {
    return a.object;
  }

  /** Validates creates and updates of namespaces, pods (and their ephemeral containers) and pod-template kinds. */
  handles(phase: 'admit' | 'validate', t: AdmissionTarget): boolean {
    if (phase !== 'validate' || (t.operation !== 'CREATE' && t.operation !== 'UPDATE')) return false;
    if (isNamespaces(t)) return true;
    if (isPods(t)) return t.subresource === '' || t.subresource === 'ephemeralcontainers';
    return t.subresource === '' && TEMPLATE_PATHS[`${t.resource.group}/${t.resource.plural}`] !== undefined;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    if (isNamespaces(a)) return this.validateNamespace(a);
    if (!a.namespace || !a.object) return;
    if (isPods(a)) {
      if (a.subresource !== '' && a.subresource !== 'ephemeralcontainers') return;
      if (this.exempted(a)) return;
      if (a.operation === 'UPDATE' && a.subresource === '' && a.oldObject && !isSignificantPodUpdate(a.object, a.oldObject)) return;
      const found = await this.policy(a.namespace);
      if (!found || this.runtimeClassExempt(a, a.object['spec'])) return;
      return this.validatePod(a, found, a.object.metadata, a.object['spec']);
    }
    if (a.subresource !== '') return;
    const template = podTemplateOf(a.resource.group, a.resource.plural, a.object);
    if (!template) return;
    if (this.exempted(a)) return;
    if (a.operation === 'UPDATE' && deepEqual(template, podTemplateOf(a.resource.group, a.resource.plural, a.oldObject))) return;
    const found = await this.policy(a.namespace);
    if (!found) return;
    const { policy } = found;
    if (found.errors.length === 0 && policy.warn.level === 'privileged' && policy.audit.level === 'privileged') return;
    const meta = template['metadata'];
    const spec = template['spec'];
    if (this.runtimeClassExempt(a, spec)) return;
    // Workloads are never refused (their pods are, when created): audit and warn only.
    annotateErrors(a, found.errors);
    const audit = evaluatePod(policy.audit, meta, spec);
    if (audit.length) annotate(a, 'audit-violations', wouldViolate(policy.audit, audit));
    const warn = sameLevelVersion(policy.warn, policy.audit) ? audit : evaluatePod(policy.warn, meta, spec);
    if (warn.length) a.warnings?.push(wouldViolate(policy.warn, warn));
  }

  /**
   * The namespace's policy and its labels' errors, or undefined when every mode is privileged and the labels
   * parse (the cheap path, as upstream's short-circuit).
   */
  private async policy(namespace: string): Promise<{ policy: NamespacePolicy; errors: FieldError[] } | undefined> {
    const ns = await this.source.namespace(namespace);
    const labels = ns?.metadata?.labels;
    const labelled = labels !== undefined && Object.keys(labels).some((k) => k.startsWith(LABEL_PREFIX));
    if (!labelled && this.defaults === PRIVILEGED_POLICY) return undefined;
    const found = policyFromLabels(labelled ? labels : undefined, this.defaults);
    if (found.errors.length === 0 && MODES.every((m) => found.policy[m].level === 'privileged')) return undefined;
    return found;
  }

  /** upstream's exempt namespaces and users (checked before anything is read): annotated, never evaluated. */
  private exempted(a: AdmissionAttributes): boolean {
    const why = a.namespace && this.exempt.namespaces.has(a.namespace) ? 'namespace' : a.user && this.exempt.usernames.has(a.user.name) ? 'user' : undefined;
    if (why) annotate(a, 'exempt', why);
    return why !== undefined;
  }

  private runtimeClassExempt(a: AdmissionAttributes, spec: unknown): boolean {
    const rc = isObj(spec) && typeof spec['runtimeClassName'] === 'string' ? spec['runtimeClassName'] : '';
    if (!rc || !this.exempt.runtimeClasses.has(rc)) return false;
    annotate(a, 'exempt', 'runtimeClass');
    return true;
  }

  private validatePod(a: AdmissionAttributes, { policy, errors }: { policy: NamespacePolicy; errors: FieldError[] }, meta: unknown, spec: unknown): void {
    annotateErrors(a, errors);
    annotate(a, 'enforce-policy', levelVersionString(policy.enforce));
    const enforce = evaluatePod(policy.enforce, meta, spec);
    const audit = sameLevelVersion(policy.audit, policy.enforce) ? enforce : evaluatePod(policy.audit, meta, spec);
    if (audit.length) annotate(a, 'audit-violations', wouldViolate(policy.audit, audit));
    if (enforce.length) {
      throw forbidden({ group: '', resource: 'pods' }, a.name,
        `violates PodSecurity ${JSON.stringify(levelVersionString(policy.enforce))}: ${forbiddenReasons(enforce)}`);
    }
    if (policy.warn.level === 'privileged') return;
    const warn = sameLevelVersion(policy.warn, policy.enforce) ? enforce : sameLevelVersion(policy.warn, policy.audit) ? audit : evaluatePod(policy.warn, meta, spec);
    if (warn.length) a.warnings?.push(wouldViolate(policy.warn, warn));
  }

  private async validateNamespace(a: AdmissionAttributes): Promise<void> {
    if (!a.object) return;
    const labels = a.object.metadata?.labels;
    const { policy, errors } = policyFromLabels(labels, this.defaults);
    if (errors.length) throw invalid('', 'Namespace', a.name, errors);
    if (a.operation !== 'UPDATE' || !a.oldObject || !a.warnings || this.exempt.namespaces.has(a.name)) return;
    const old = policyFromLabels(a.oldObject.metadata?.labels, this.defaults).policy;
    // A changed enforce policy (other than privileged) is checked against the pods already running, as upstream.
    if (policy.enforce.level === 'privileged' || sameLevelVersion(policy.enforce, old.enforce)) return;
    const pods = await this.source.pods(a.name);
    const checked = pods.length > MAX_PODS_TO_CHECK ? pods.slice(0, MAX_PODS_TO_CHECK) : pods;
    a.warnings?.push(...existingPodWarnings(a.name, policy.enforce, checked));
    if (checked.length < pods.length) {
      a.warnings?.push(`new PodSecurity enforce level only checked against the first ${checked.length} of ${pods.length} existing pods`);
    }
  }
}

/** Namespaces and pods from the engine's watch caches (what upstream's plugin reads from its informers). */
export function enginePodSecuritySource(engine: CachingEngine): PodSecuritySource {
  const namespaces = cachedObjects(engine, '', 'v1', 'namespaces');
  const pods = cachedObjects(engine, '', 'v1', 'pods');
  return { namespace: (name) => namespaces.get(undefined, name), pods: (ns) => pods.list(ns) };
}
