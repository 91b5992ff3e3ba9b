/**
 * pvc-protection and pv-protection (upstream's pkg/controller/volume/pvcprotection and pvprotection): a claim
 * carries the kubernetes.io/pvc-protection finalizer, so deleting it while a scheduled pod still uses it only
 * marks it; the finalizer goes once no such pod is left, and the claim with it. A volume carries
 * kubernetes.io/pv-protection, removed once it is no longer Bound. Here the controllers add the finalizers
 * (upstream's StorageObjectInUseProtection admission plugin also adds them on create).
 */
import type { SharedInformer } from '../../../client/informer.js';
import { isNotFound } from '../../../client/rest.js';
import { PersistentVolumeClaims, PersistentVolumes, Pods, type ResourceRef } from '../../../client/resources.js';
import { splitKey, type KubeObject } from '../../../client/types.js';
import type { ControllerContext } from '../context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import type { Pod } from '../shared/pod-util.js';
import { podClaimKeys, POD_CLAIMS_INDEX } from './controller.js';
import { claimKey, type PersistentVolume, type PersistentVolumeClaim } from './types.js';

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

export type FinalizerAction = 'add' | 'remove' | 'none';

/** podUsesPVC: only a scheduled pod counts (the kubelet refuses to start one whose claim is being deleted). */
export function podUsesClaim(pod: Pod, claim: PersistentVolumeClaim): boolean {
  if (!pod.spec?.nodeName) return false;
  return podClaimKeys(pod).includes(claimKey(claim));
}

/** The pvc-protection decision for one claim, given the pods in its namespace that name it. */
export function claimProtection(claim: PersistentVolumeClaim, pods: readonly Pod[]): FinalizerAction {
  const has = claim.metadata?.finalizers?.includes(PVC_PROTECTION_FINALIZER) ?? false;
  if (!claim.metadata?.deletionTimestamp) return has ? 'none' : 'add';
  if (!has) return 'none';
  return pods.some((p) => podUsesClaim(p, claim)) ? 'none' : 'remove';
}

/** The pv-protection decision: a Bound volume keeps its finalizer. */
export function volumeProtection(pv: PersistentVolume): FinalizerAction {
  const has = pv.metadata?.finalizers?.includes(PV_PROTECTION_FINALIZER) ?? false;
  if (!pv.metadata?.deletionTimestamp) return has ? 'none' : 'add';
  if (!has) return 'none';
  return pv.status?.phase === 'Bound' ? 'none' : 'remove';
}

/** Adds or removes `finalizer` with a merge patch guarded by resourceVersion (a conflict is retried by the queue with fresh state). */
async function patchFinalizer(ctx: ControllerContext, ref: ResourceRef, obj: KubeObject, finalizer: string, action: FinalizerAction): Promise<void> {
  if (action === 'none') return;
  const cur = obj.metadata?.finalizers ?? [];
  const next = action === 'add' ? [...cur, finalizer] : cur.filter((f) => f !== finalizer);
  try {
    await ctx.client.patch(ref, obj.metadata?.namespace, obj.metadata?.name ?? '',
      { metadata: { finalizers: next.length ? next : null, resourceVersion: obj.metadata?.resourceVersion } }, 'merge');
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
}

export class PVCProtectionController implements Controller {
  readonly name = 'pvc-protection';
  private readonly claims: SharedInformer<PersistentVolumeClaim>;
  private readonly pods: SharedInformer<Pod>;
  private readonly queue;

  constructor(private readonly ctx: ControllerContext) {
    this.claims = ctx.informers.forResource<PersistentVolumeClaim>(PersistentVolumeClaims);
    this.pods = ctx.informers.forResource<Pod>(Pods);
    this.pods.indexer.ensureIndexer(POD_CLAIMS_INDEX, podClaimKeys);
    this.queue = ctx.queue('pvcprotection');
    this.claims.addEventHandler({ onAdd: (c) => this.queue.add(claimKey(c)), onUpdate: (_o, c) => this.queue.add(claimKey(c)) });
    // A pod that goes (or stops running on a node) may be what a terminating claim waits for.
    const onPod = (p: Pod): void => {
      for (const k of podClaimKeys(p)) this.queue.add(k);
    };
    this.pods.addEventHandler({ onAdd: onPod, onUpdate: (old, p) => { onPod(old); onPod(p); }, onDelete: onPod });
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.ctx, this.name, this.queue, [this.claims, this.pods] as unknown as SharedInformer[], (k) => this.sync(k), signal);
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const claim = this.claims.lister.get(namespace, name);
    if (!claim) return;
    let action = claimProtection(claim, this.pods.indexer.byIndex(POD_CLAIMS_INDEX, key));
    if (action === 'remove') {
      // The cache may not show a pod created a moment ago: ask the API before letting the claim go (as upstream).
      const live = await this.ctx.client.list<Pod>(Pods, { namespace });
      action = claimProtection(claim, live.items);
    }
    await patchFinalizer(this.ctx, PersistentVolumeClaims, claim, PVC_PROTECTION_FINALIZER, action);
  }
}

export class PVProtectionController implements Controller {
  readonly name = 'pv-protection';
  private readonly volumes: SharedInformer<PersistentVolume>;
  private readonly queue;

  constructor(private readonly ctx: ControllerContext) {
    this.volumes = ctx.informers.forResource<PersistentVolume>(PersistentVolumes);
    this.queue = ctx.queue('pvprotection');
    const on = (pv: PersistentVolume): void => this.queue.add(pv.metadata?.name ?? '');
    this.volumes.addEventHandler({ onAdd: on, onUpdate: (_o, pv) => on(pv) });
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.ctx, this.name, this.queue, [this.volumes] as unknown as SharedInformer[], (k) => this.sync(k), signal);
  }

  async sync(name: string): Promise<void> {
    const pv = this.volumes.lister.get(undefined, name);
    if (!pv) return;
    await patchFinalizer(this.ctx, PersistentVolumes, pv, PV_PROTECTION_FINALIZER, volumeProtection(pv));
  }
}

export const pvcProtectionController: ControllerDescriptor = { name: 'pvc-protection', enabledByDefault: true, create: (ctx) => new PVCProtectionController(ctx) };
export const pvProtectionController: ControllerDescriptor = { name: 'pv-protection', enabledByDefault: true, create: (ctx) => new PVProtectionController(ctx) };
