/**
 * The disruption controller (upstream's pkg/controller/disruption, descriptor `disruption`): keeps each
 * PodDisruptionBudget's status (expected, desired and current healthy pods, disruptions allowed, the evictions
 * not yet seen as deletions, observedGeneration, the DisruptionAllowed condition) so that pods/eviction can
 * honour it. Pod events wake the budgets that select the pod; a budget's sync reads listers only (the pods'
 * controllers' scale comes from the ReplicaSet, Deployment, StatefulSet and ReplicationController caches, any
 * other controller's from its scale subresource) and writes status only when it changed. When the count cannot be
 * worked out the budget fails safe: no disruptions allowed, condition reason SyncFailed.
 */
import type { SharedInformer } from '../../client/informer.js';
import { isConflict, isNotFound } from '../../client/rest.js';
import {
  Deployments, PodDisruptionBudgets, Pods, ReplicaSets, ReplicationControllers, StatefulSets,
} from '../../client/resources.js';
import { splitKey, type KubeObject, type OwnerReference } from '../../client/types.js';
import type { ControllerContext } from './context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from './controller.js';
import {
  countHealthyPods, disruptedPodMap, expectedPodCount, needsScale, nextStatus, setPDBCondition, type PDBStatus, type PodDisruptionBudget,
} from './disruption-decide.js';
import { scaleTargetResource } from './hpa/controller.js';
import { controllerOf, type Pod } from './shared/pod-util.js';
import { compileSelector, selectorMatches, selectorString, type LabelSelectorSpec } from './shared/selector.js';
import { rfc3339 } from '../../client/time.js';

const COMPONENT = 'controllermanager';

interface Scalable extends KubeObject {
  spec?: { replicas?: number };
}

const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class DisruptionController implements Controller {
  readonly name = 'disruption';
  private readonly queue;
  private readonly pdbs: SharedInformer<PodDisruptionBudget>;
  private readonly pods: SharedInformer<Pod>;
  private readonly replicaSets: SharedInformer<Scalable>;
  private readonly deployments: SharedInformer<Scalable>;
  private readonly statefulSets: SharedInformer<Scalable>;
  private readonly rcs: SharedInformer<Scalable>;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = ctx.queue('disruption');
    this.pdbs = ctx.informers.forResource<PodDisruptionBudget>(PodDisruptionBudgets);
    this.pods = ctx.informers.forResource<Pod>(Pods);
    this.replicaSets = ctx.informers.forResource<Scalable>(ReplicaSets);
    this.deployments = ctx.informers.forResource<Scalable>(Deployments);
    this.statefulSets = ctx.informers.forResource<Scalable>(StatefulSets);
    this.rcs = ctx.informers.forResource<Scalable>(ReplicationControllers);
    this.pdbs.addEventHandler({
      onAdd: (p) => this.queue.add(keyOf(p)),
      onUpdate: (_o, p) => this.queue.add(keyOf(p)),
      onDelete: (p) => this.queue.add(keyOf(p)),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.enqueueBudgetsOf(p),
      onUpdate: (old, cur) => {
        if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
        this.enqueueBudgetsOf(cur);
        // Informer caches share one frozen labels object among pods with equal labels: the same object is equal.
        const labelsChanged = old.metadata?.labels !== cur.metadata?.labels && JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {});
        if (labelsChanged) this.enqueueBudgetsOf(old);
      },
      onDelete: (p) => this.enqueueBudgetsOf(p),
    });
  }

  run(signal: AbortSignal): Promise<void> {
    const informers = [this.pdbs, this.pods, this.replicaSets, this.deployments, this.statefulSets, this.rcs] as SharedInformer[];
    return runWorkers(this.ctx, this.name, this.queue, informers, (k) => this.sync(k), signal);
  }

  /** Budgets in the pod's namespace whose selector picks it. */
  private enqueueBudgetsOf(pod: Pod): void {
    for (const pdb of this.pdbs.lister.list(pod.metadata?.namespace ?? '')) {
      if (selectorMatches(compileSelector(pdb.spec?.selector as LabelSelectorSpec | undefined), pod.metadata?.labels)) this.queue.add(keyOf(pdb));
    }
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pdb = this.pdbs.lister.get(namespace, name);
    if (!pdb) return;
    try {
      await this.trySync(key, pdb);
    } catch (err) {
      if (isConflict(err)) throw err;
      await this.failSafe(pdb, err);
    }
  }

  private async trySync(key: string, pdb: PodDisruptionBudget): Promise<void> {
    const ns = pdb.metadata?.namespace ?? '';
    const selector = compileSelector(pdb.spec?.selector as LabelSelectorSpec | undefined);
    const pods = this.pods.lister.list(ns).filter((p) => selectorMatches(selector, p.metadata?.labels));
    if (pods.length === 0) this.ctx.event(COMPONENT, pdb, 'Normal', 'NoPods', 'No matching pods found');

    let expectedScale = 0;
    if (needsScale(pdb)) {
      const { scale, unmanaged } = await this.expectedScale(pods, ns).catch((err: unknown) => {
        this.ctx.event(COMPONENT, pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${message(err)}`);
        throw err;
      });
      expectedScale = scale;
      if (unmanaged.length) {
        this.ctx.event(COMPONENT, pdb, 'Warning', 'UnmanagedPods',
          `Pods selected by this PodDisruptionBudget (selector: ${selector.nothing ? '' : selectorString(selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`);
      }
    }
    let counts: ReturnType<typeof expectedPodCount>;
    try {
      counts = expectedPodCount(pdb, pods.length, expectedScale);
    } catch (err) {
      this.ctx.event(COMPONENT, pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${message(err)}`);
      throw err;
    }
    const now = this.ctx.clock.now();
    const { disrupted, recheckAtMs, notDeleted } = disruptedPodMap(pods, pdb, now);
    for (const pod of notDeleted) {
      this.ctx.event(COMPONENT, pod, 'Warning', 'NotDeleted', `Pod was expected by PDB ${ns}/${pdb.metadata?.name ?? ''} to be deleted but it wasn't`);
    }
    const healthy = countHealthyPods(pods, disrupted, now);
    const status = nextStatus(pdb, healthy, counts.desiredHealthy, counts.expectedCount, disrupted, rfc3339(now));
    if (status) await this.writeStatus(pdb, status);
    if (recheckAtMs !== undefined) this.queue.addAfter(key, Math.max(1, recheckAtMs - now));
  }

  /**
   * getExpectedScale: the summed spec.replicas of the selected pods' controllers (a Deployment-owned ReplicaSet
   * counts as its Deployment), and the pods without a controller.
   */
  private async expectedScale(pods: Pod[], ns: string): Promise<{ scale: number; unmanaged: string[] }> {
    const byController = new Map<string, number>();
    const seenRefs = new Set<string>();
    const unmanaged: string[] = [];
    for (const pod of pods) {
      const ref = controllerOf(pod);
      if (!ref) {
        unmanaged.push(pod.metadata?.name ?? '');
        continue;
      }
      if (seenRefs.has(ref.uid)) continue;
      seenRefs.add(ref.uid);
      const found = await this.controllerScale(ref, ns);
      if (!found) throw new Error(`found no controllers for pod "${pod.metadata?.name ?? ''}"`);
      byController.set(found.uid, found.replicas);
    }
    let scale = 0;
    for (const n of byController.values()) scale += n;
    return { scale, unmanaged };
  }

  /** The finders of upstream's controller: the owner (or its Deployment) and its replica count. */
  private async controllerScale(ref: OwnerReference, ns: string): Promise<{ uid: string; replicas: number } | undefined> {
    const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
    const fromLister = (inf: SharedInformer<Scalable>, name: string, uid: string): Scalable | undefined => {
      const o = inf.lister.get(ns, name);
      return o && o.metadata?.uid === uid ? o : undefined;
    };
    const replicasOf = (o: Scalable): { uid: string; replicas: number } => ({ uid: o.metadata?.uid ?? '', replicas: o.spec?.replicas ?? 1 });
    if (group === 'apps' && ref.kind === 'ReplicaSet') {
      const rs = fromLister(this.replicaSets, ref.name, ref.uid);
      if (!rs) return undefined;
      const owner = controllerOf(rs);
      if (owner?.kind === 'Deployment') {
        const d = fromLister(this.deployments, owner.name, owner.uid);
        if (d) return replicasOf(d);
      }
      return replicasOf(rs);
    }
    if (group === 'apps' && ref.kind === 'StatefulSet') {
      const s = fromLister(this.statefulSets, ref.name, ref.uid);
      return s && replicasOf(s);
    }
    if (group === '' && ref.kind === 'ReplicationController') {
      const rc = fromLister(this.rcs, ref.name, ref.uid);
      return rc && replicasOf(rc);
    }
    // Any other controller that serves the scale subresource (upstream's getScaleController).
    try {
      const scale = await this.ctx.client.get<Scalable>(scaleTargetResource(ref), ref.name, ns, 'scale');
      if (scale.metadata?.uid && scale.metadata.uid !== ref.uid) return undefined;
      return { uid: ref.uid, replicas: scale.spec?.replicas ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async writeStatus(pdb: PodDisruptionBudget, status: PDBStatus): Promise<void> {
    try {
      await this.ctx.client.update<PodDisruptionBudget>(PodDisruptionBudgets, { ...pdb, status }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** failSafe: no disruptions while the budget's figures are unknown. */
  private async failSafe(pdb: PodDisruptionBudget, err: unknown): Promise<void> {
    const status: PDBStatus = {
      ...(pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 }),
      disruptionsAllowed: 0,
    };
    status.conditions = setPDBCondition(pdb.status?.conditions, {
      type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: message(err), observedGeneration: pdb.status?.observedGeneration ?? 0,
    }, rfc3339(this.ctx.clock.now()));
    await this.writeStatus(pdb, status);
  }
}

export const disruptionController: ControllerDescriptor = {
  name: 'disruption',
  enabledByDefault: true,
  create: (ctx) => new DisruptionController(ctx),
};
