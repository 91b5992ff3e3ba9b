/**
 * Upstream's deployment/util, as pure functions over plain objects: annotation names, condition reasons,
 * fenceposts (maxSurge/maxUnavailable), replica-set ordering, revisions, the new/old replica-set split and the
 * per-replica-set arithmetic every strategy shares.
 */
import { canonicalJson, semanticForm } from './hash.js';
import type { Deployment, DeploymentCondition, DeploymentStatus, IntOrString, PodTemplateSpec, ReplicaSet } from './types.js';

export const DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
const DEPRECATED_ROLLBACK_TO = 'deprecated.deployment.rollback.to';

/** sync.go's maxRevHistoryLengthInChars: revision-history stops growing past this. */
export const MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000;
export const MAX_INT32 = 2 ** 31 - 1;

// Condition types and reasons (deployment/util).
export const DeploymentProgressing = 'Progressing';
export const DeploymentAvailable = 'Available';
export const DeploymentReplicaFailure = 'ReplicaFailure';
export const ReplicaSetUpdatedReason = 'ReplicaSetUpdated';
export const FailedRSCreateReason = 'ReplicaSetCreateError';
export const NewReplicaSetReason = 'NewReplicaSetCreated';
export const FoundNewRSReason = 'FoundNewReplicaSet';
export const NewRSAvailableReason = 'NewReplicaSetAvailable';
export const TimedOutReason = 'ProgressDeadlineExceeded';
export const PausedDeployReason = 'DeploymentPaused';
export const ResumedDeployReason = 'DeploymentResumed';
export const MinimumReplicasAvailable = 'MinimumReplicasAvailable';
export const MinimumReplicasUnavailable = 'MinimumReplicasUnavailable';

/** Annotations a Deployment never copies to its ReplicaSets (and a rollback never copies back). */
const ANNOTATIONS_TO_SKIP = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  DEPRECATED_ROLLBACK_TO,
]);

export const replicasOf = (o: { spec?: { replicas?: number } } | undefined | null): number => o?.spec?.replicas ?? 0;
export const desiredReplicas = (d: Deployment): number => d.spec.replicas ?? 1;

// ---------------------------------------------------------------- fenceposts

/**
 * intstr.GetScaledValueFromIntOrPercent: an int as is, "N%" of `total` rounded up or down. Errors name the
 * field, as validation would have.
 */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(-?\d+)%$/.exec(v);
  if (!m) throw new Error(`${field}: invalid value for IntOrString: invalid type: string is not a percentage (${JSON.stringify(v)})`);
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

export const isRollingUpdate = (d: Deployment): boolean => (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/** ResolveFenceposts: surge rounds up, unavailable rounds down; both 0 → unavailable 1 (surge may be blocked by quota). */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? '25%', desired, true, 'spec.strategy.rollingUpdate.maxSurge');
  let unavailable = scaledValue(maxUnavailable ?? '25%', desired, false, 'spec.strategy.rollingUpdate.maxUnavailable');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, desiredReplicas(d)).surge;
}

/** Never more than the desired replicas. */
export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || desiredReplicas(d) === 0) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, desiredReplicas(d));
  return Math.min(unavailable, desiredReplicas(d));
}

// ---------------------------------------------------------------- counts

export const sumReplicas = (rss: readonly (ReplicaSet | null | undefined)[]): number => rss.reduce((n, rs) => n + (rs ? replicasOf(rs) : 0), 0);
export const sumActualReplicas = (rss: readonly (ReplicaSet | null | undefined)[]): number => rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
export const sumReadyReplicas = (rss: readonly (ReplicaSet | null | undefined)[]): number => rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
export const sumAvailableReplicas = (rss: readonly (ReplicaSet | null | undefined)[]): number => rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);

/** controller.FilterActiveReplicaSets: those asked to run at least one pod. */
export const filterActive = (rss: readonly (ReplicaSet | null | undefined)[]): ReplicaSet[] => rss.filter((rs): rs is ReplicaSet => !!rs && replicasOf(rs) > 0);

// ---------------------------------------------------------------- orderings

const created = (rs: ReplicaSet): number => Date.parse(rs.metadata.creationTimestamp ?? '') || 0;

/** controller.ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export function byCreationTimestamp(a: ReplicaSet, b: ReplicaSet): number {
  const d = created(a) - created(b);
  if (d !== 0) return d;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;
}

/** ReplicaSetsBySizeNewer: largest first; among equals, newest first (scale-up leftovers go to the newest). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  if (replicasOf(a) === replicasOf(b)) return -byCreationTimestamp(a, b);
  return replicasOf(b) - replicasOf(a);
}

/** ReplicaSetsBySizeOlder: largest first; among equals, oldest first. */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  if (replicasOf(a) === replicasOf(b)) return byCreationTimestamp(a, b);
  return replicasOf(b) - replicasOf(a);
}

/** ReplicaSetsByRevision: lowest revision first, then oldest. */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const ra = revisionOf(a) ?? 0n;
  const rb = revisionOf(b) ?? 0n;
  return ra === rb ? byCreationTimestamp(a, b) : ra < rb ? -1 : 1;
}

// ---------------------------------------------------------------- revisions and annotations

/**
 * The revision annotation as an int64 (a bigint: revisions past 2^53, as users may set on an adopted replica
 * set, must not round); 0 when absent, undefined when unparsable.
 */
export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } }): bigint | undefined {
  const v = obj.metadata?.annotations?.[REVISION_ANNOTATION];
  if (v === undefined) return 0n;
  return /^-?\d+$/.test(v) ? BigInt(v) : undefined;
}

/** MaxRevision over replica sets, skipping unparsable ones. */
export const maxRevision = (rss: readonly ReplicaSet[]): bigint =>
  rss.reduce((m, rs) => {
    const r = revisionOf(rs) ?? 0n;
    return r > m ? r : m;
  }, 0n);

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}
export const desiredReplicasAnnotation = (rs: ReplicaSet): number | undefined => intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
export const maxReplicasAnnotation = (rs: ReplicaSet): number | undefined => intAnnotation(rs, MAX_REPLICAS_ANNOTATION);

/** SetReplicasAnnotations on `annotations` (mutated); true when something changed. */
export function setReplicasAnnotations(annotations: Record<string, string>, desired: number, max: number): boolean {
  let changed = false;
  if (annotations[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    annotations[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (annotations[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    annotations[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

/** The replica annotations a scale writes, for this deployment now. */
export const replicasAnnotationsFor = (d: Deployment): { desired: number; max: number } => ({ desired: desiredReplicas(d), max: desiredReplicas(d) + maxSurge(d) });

/**
 * SetNewReplicaSetAnnotations: copy the deployment's annotations (all but the skipped ones), raise the revision
 * to `newRevision` if lower (a reused replica set keeps its old numbers in revision-history, bounded to
 * `historyLimitChars`), and give a replica set about to be created its replica annotations. Mutates `rs`'s
 * annotations; true when something changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number | bigint, exists: boolean, historyLimitChars = MAX_REV_HISTORY_LENGTH_IN_CHARS): boolean {
  const ann = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (ANNOTATIONS_TO_SKIP.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  const oldRevision = ann[REVISION_ANNOTATION];
  const hadRevision = oldRevision !== undefined;
  let oldRevisionInt = 0n;
  if (hadRevision && oldRevision !== '') {
    if (!/^-?\d+$/.test(oldRevision)) return false; // upstream gives up on an unparsable revision
    oldRevisionInt = BigInt(oldRevision);
  }
  if (oldRevisionInt < BigInt(newRevision)) {
    ann[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (hadRevision) {
      const history = ann[REVISION_HISTORY_ANNOTATION] ?? '';
      const old = history === '' ? [] : history.split(',');
      if (old.length === 0) {
        ann[REVISION_HISTORY_ANNOTATION] = oldRevision;
      } else {
        // Drop the oldest entries until the new one fits.
        let total = history.length + oldRevision.length + 1;
        let start = 0;
        while (total > historyLimitChars && start < old.length) total -= old[start++]!.length + 1;
        if (total <= historyLimitChars) ann[REVISION_HISTORY_ANNOTATION] = [...old.slice(start), oldRevision].join(',');
      }
    }
  }
  if (!exists) {
    const { desired, max } = replicasAnnotationsFor(d);
    if (setReplicasAnnotations(ann, desired, max)) changed = true;
  }
  return changed;
}

// ---------------------------------------------------------------- templates and the new/old split

/** A template's identity ignoring pod-template-hash; empty and missing maps/lists count as equal (Semantic.DeepEqual). */
export function templateKey(t: PodTemplateSpec | undefined): string {
  const labels = { ...(t?.metadata?.labels ?? {}) };
  delete labels[DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY];
  return canonicalJson(semanticForm({ ...t, metadata: { ...t?.metadata, labels } }) ?? {});
}

export const equalIgnoreHash = (a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean => templateKey(a) === templateKey(b);

/** FindNewReplicaSet: the oldest replica set whose template is the deployment's (a hash collision may leave two). */
export function findNewReplicaSet(d: Deployment, rss: readonly ReplicaSet[]): ReplicaSet | undefined {
  const key = templateKey(d.spec.template);
  return [...rss].sort(byCreationTimestamp).find((rs) => templateKey(rs.spec.template) === key);
}

/** FindOldReplicaSets: every other replica set (all), and those of them still asked to run pods. */
export function findOldReplicaSets(d: Deployment, rss: readonly ReplicaSet[]): { old: ReplicaSet[]; allOld: ReplicaSet[] } {
  const newRS = findNewReplicaSet(d, rss);
  const allOld = rss.filter((rs) => rs !== newRS);
  return { old: allOld.filter((rs) => replicasOf(rs) !== 0), allOld };
}

// ---------------------------------------------------------------- sizes

/** NewRSNewReplicas: what the new replica set may grow to now. */
export function newRSNewReplicas(d: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) {
    if (d.spec.strategy?.type === 'Recreate') return desiredReplicas(d);
    throw new Error(`deployment type ${d.spec.strategy?.type} isn't supported`);
  }
  const surge = scaledValue(d.spec.strategy?.rollingUpdate?.maxSurge ?? '25%', desiredReplicas(d), true, 'spec.strategy.rollingUpdate.maxSurge');
  const current = sumReplicas(allRSs);
  const maxTotal = desiredReplicas(d) + surge;
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, desiredReplicas(d) - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** IsSaturated: the new replica set holds, and was told it holds, every desired replica. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  return desired !== undefined && replicasOf(rs) === desiredReplicas(d) && desired === desiredReplicas(d);
}

/** FindActiveOrLatest: the only active replica set, the newest if none is active, undefined if several are. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const sortedOld = [...oldRSs].sort(byCreationTimestamp).reverse();
  const active = filterActive([...sortedOld, newRS]);
  if (active.length === 0) return newRS ?? sortedOld[0];
  if (active.length === 1) return active[0];
  return undefined;
}

// ---------------------------------------------------------------- conditions

export const hasProgressDeadline = (d: Deployment): boolean => d.spec.progressDeadlineSeconds !== undefined && d.spec.progressDeadlineSeconds !== MAX_INT32;
export const hasRevisionHistoryLimit = (d: Deployment): boolean => d.spec.revisionHistoryLimit !== undefined && d.spec.revisionHistoryLimit !== MAX_INT32;

export function newCondition(type: string, status: DeploymentCondition['status'], reason: string, message: string, now: string): DeploymentCondition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

export const getCondition = (status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined => status?.conditions?.find((c) => c.type === type);

/** SetDeploymentCondition: same status and reason → no change; same status → keeps lastTransitionTime. */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const cur = getCondition(status, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  const c = cur && cur.status === cond.status ? { ...cond, lastTransitionTime: cur.lastTransitionTime } : cond;
  status.conditions = [...(status.conditions ?? []).filter((x) => x.type !== cond.type), c];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  const rest = (status.conditions ?? []).filter((c) => c.type !== type);
  if (rest.length) status.conditions = rest;
  else delete status.conditions;
}
