/**
 * pods/eviction honouring PodDisruptionBudgets, as upstream's EvictionREST: a pod that is already terminal,
 * Pending or being deleted goes at once; otherwise the one budget selecting it (more than one is a 500) must
 * allow a disruption. Allowing one decrements status.disruptionsAllowed and records the pod under
 * status.disruptedPods in a compare-and-swap of the budget's status (so concurrent evictions cannot both spend
 * the last disruption), and only then is the pod deleted. Refusals are 429 TooManyRequests with a
 * DisruptionBudget cause, which `kubectl drain` retries.
 */
import { rfc3339 } from '../../../client/time.js';
import type { KubeObject, ResourceType } from '../resource.js';
import type { Registry } from '../registry.js';
import { fromLabelSelectorObject, matchesLabels } from '../selectors/label.js';
import { ApiError } from '../status.js';
import type { DeleteOptions, ObjectEngine, WriteOptions } from './objects.js';

const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";
/** Upstream's MaxDisruptedPodSize: evictions the controller has not confirmed yet, per budget. */
const MAX_DISRUPTED_PODS = 2000;

interface PDBStatus {
  observedGeneration?: number;
  disruptionsAllowed?: number;
  currentHealthy?: number;
  desiredHealthy?: number;
  expectedPods?: number;
  disruptedPods?: Record<string, string>;
  conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; observedGeneration?: number }[];
}

const podReady = (pod: KubeObject): boolean =>
  ((pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** canIgnorePDB: pods that are finished, not started, or already going never need a budget's leave. */
function canIgnoreBudget(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata?.deletionTimestamp;
}

/** The policy/v1 selector: nil selects nothing, {} selects every pod in the namespace. */
function selects(pdb: KubeObject, labels: Record<string, string> | undefined): boolean {
  const sel = (pdb.spec as { selector?: unknown } | undefined)?.selector;
  if (sel === undefined || sel === null || typeof sel !== 'object') return false;
  try {
    return matchesLabels(fromLabelSelectorObject(sel as Parameters<typeof fromLabelSelectorObject>[0]), labels);
  } catch {
    return false;
  }
}

const tooMany = (cause: string, retryAfterSeconds?: number): ApiError =>
  new ApiError(429, 'TooManyRequests', VIOLATION, {
    ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
    causes: [{ reason: 'DisruptionBudget', message: cause }],
  });

const forbidden = (name: string, why: string): ApiError =>
  new ApiError(403, 'Forbidden', `poddisruptionbudgets.policy "${name}" is forbidden: ${why}`, { name, group: 'policy', kind: 'poddisruptionbudgets' });

/** checkAndDecrement: spends one disruption of the budget, or says why it cannot. */
export function decrementBudget(pdb: KubeObject, podName: string, nowIso: string): KubeObject {
  const name = pdb.metadata?.name ?? '';
  const status: PDBStatus = { ...((pdb.status as PDBStatus | undefined) ?? {}) };
  if ((status.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) {
    throw tooMany(`The disruption budget ${name} is still being processed by the server.`, 10);
  }
  const allowed = status.disruptionsAllowed ?? 0;
  if (allowed < 0) throw forbidden(name, 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw forbidden(name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (allowed === 0) {
    throw tooMany(`The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`);
  }
  status.disruptionsAllowed = allowed - 1;
  if (status.disruptionsAllowed === 0) {
    // pdbhelper.UpdateDisruptionAllowedCondition: the last disruption is spent.
    const conditions = (status.conditions ?? []).map((c) => ({ ...c }));
    const next = { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: status.observedGeneration ?? 0 };
    const i = conditions.findIndex((c) => c.type === 'DisruptionAllowed');
    if (i < 0) conditions.push({ ...next, lastTransitionTime: nowIso });
    else conditions[i] = { ...next, lastTransitionTime: conditions[i]!.status === 'False' ? conditions[i]!.lastTransitionTime : nowIso };
    status.conditions = conditions;
  }
  status.disruptedPods = { ...(status.disruptedPods ?? {}), [podName]: nowIso };
  return { ...pdb, status };
}

export interface EvictionDeps {
  registry: Registry;
  engine: ObjectEngine;
  now: () => Date;
}

/** Checks the pod's budget (spending a disruption), then deletes the pod with the Eviction's DeleteOptions. */
export async function evictPod(d: EvictionDeps, pods: ResourceType, ns: string, name: string, dopts: DeleteOptions, w: WriteOptions): Promise<void> {
  const budgets = d.registry.lookup('policy', 'v1', 'poddisruptionbudgets');
  if (budgets) {
    const pod = await d.engine.get(pods, ns, name);
    if (!canIgnoreBudget(pod)) {
      const matching = (await d.engine.list(budgets, ns, {})).items.map((e) => e.object).filter((p) => selects(p, pod.metadata?.labels));
      if (matching.length > 1) {
        throw new ApiError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
      }
      const pdb = matching[0];
      if (pdb) {
        const policy = (pdb.spec as { unhealthyPodEvictionPolicy?: string } | undefined)?.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
        const st = (pdb.status as PDBStatus | undefined) ?? {};
        const ready = podReady(pod);
        // An unready pod does not count towards the budget: it may go when the policy says so, or the budget is met.
        const skip = !ready && (policy === 'AlwaysAllow' || ((st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0));
        if (!skip) {
          const nowIso = rfc3339(d.now());
          if (w.dryRun) decrementBudget(pdb, name, nowIso);
          else await d.engine.guaranteedUpdate(budgets, ns, pdb.metadata?.name ?? '', (cur) => decrementBudget(cur, name, nowIso), {}, 'status');
        }
      }
    }
  }
  await d.engine.delete(pods, ns, name, dopts, w);
}
