/**
 * persistentvolume-binder (upstream's PersistentVolumeController, binding only): a new volume becomes
 * Available; a Pending claim is bound to the volume binder.ts picks (the volume's claimRef first, then the
 * claim's volumeName, then both statuses Bound, as upstream orders the writes); a volume whose claim is gone is
 * Released (Retain, Recycle) or deleted (Delete); a claim whose volume is gone is Lost. Claims of a
 * WaitForFirstConsumer class wait for the scheduler's selected-node annotation. No provisioning: a claim with no
 * matching volume stays Pending.
 */
import type { SharedInformer } from '../../../client/informer.js';
import { rfc3339 } from '../../../client/events.js';
import { isNotFound } from '../../../client/rest.js';
import { PersistentVolumeClaims, PersistentVolumes, StorageClasses } from '../../../client/resources.js';
import type { KubeObject } from '../../../client/types.js';
import type { ControllerContext } from '../context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import { BIND_COMPLETED, BOUND_BY_CONTROLLER, claimRefFor, findMatchingVolume, volumeAction, waitsForConsumer } from './binder.js';

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const volumeKey = (name: string) => `volume/${name}`;
const claimKey = (ns: string, name: string) => `claim/${ns}/${name}`;

export class PersistentVolumeBinder implements Controller {
  readonly name = 'persistentvolume-binder';
  private readonly volumes: SharedInformer;
  private readonly claims: SharedInformer;
  private readonly classes: SharedInformer;
  private readonly queue;

  constructor(private readonly ctx: ControllerContext) {
    this.volumes = ctx.informers.forResource(PersistentVolumes);
    this.claims = ctx.informers.forResource(PersistentVolumeClaims);
    this.classes = ctx.informers.forResource(StorageClasses);
    this.queue = ctx.queue('persistentvolume-binder');
    const onVolume = (pv: KubeObject) => {
      this.queue.add(volumeKey(pv.metadata?.name ?? ''));
      // A volume appearing or freed may be what a Pending claim waits for.
      if (!rec(rec(pv['spec'])['claimRef'])['uid']) this.enqueuePendingClaims();
      const ref = rec(rec(pv['spec'])['claimRef']);
      if (ref['name']) this.queue.add(claimKey(String(ref['namespace'] ?? ''), String(ref['name'])));
    };
    this.volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, pv) => onVolume(pv), onDelete: onVolume });
    const onClaim = (pvc: KubeObject) => {
      this.queue.add(claimKey(pvc.metadata?.namespace ?? '', pvc.metadata?.name ?? ''));
      const volume = rec(pvc['spec'])['volumeName'];
      if (typeof volume === 'string' && volume) this.queue.add(volumeKey(volume));
    };
    this.claims.addEventHandler({
      onAdd: onClaim, onUpdate: (_o, pvc) => onClaim(pvc),
      // A deleted claim releases whatever volume names it.
      onDelete: (pvc) => {
        onClaim(pvc);
        for (const pv of this.volumes.lister.list()) {
          const ref = rec(rec(pv['spec'])['claimRef']);
          if (ref['name'] === pvc.metadata?.name && ref['namespace'] === pvc.metadata?.namespace) this.queue.add(volumeKey(pv.metadata?.name ?? ''));
        }
      },
    });
    this.classes.addEventHandler({ onAdd: () => this.enqueuePendingClaims(), onUpdate: () => this.enqueuePendingClaims() });
  }

  private enqueuePendingClaims(): void {
    for (const c of this.claims.lister.list()) {
      if (!rec(c['spec'])['volumeName']) this.queue.add(claimKey(c.metadata?.namespace ?? '', c.metadata?.name ?? ''));
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.ctx, this.name, this.queue, [this.volumes, this.claims, this.classes], (k) => this.sync(k), signal);
  }

  async sync(key: string): Promise<void> {
    const [kind, a, b] = key.split('/');
    if (kind === 'volume') await this.syncVolume(a!);
    else if (kind === 'claim') await this.syncClaim(a!, b!);
  }

  private async syncVolume(name: string): Promise<void> {
    const pv = this.volumes.lister.get(undefined, name);
    if (!pv || pv.metadata?.deletionTimestamp) return;
    const ref = rec(rec(pv['spec'])['claimRef']);
    const claim = ref['name'] ? this.claims.lister.get(String(ref['namespace'] ?? ''), String(ref['name'])) : undefined;
    const action = volumeAction(pv, claim);
    if ('delete' in action) {
      try {
        await this.ctx.client.delete(PersistentVolumes, undefined, name, { preconditions: { uid: pv.metadata?.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    await this.setVolumePhase(pv, action.phase);
  }

  private async setVolumePhase(pv: KubeObject, phase: string): Promise<void> {
    if (rec(pv['status'])['phase'] === phase) return;
    await this.ctx.client.patch(PersistentVolumes, undefined, pv.metadata!.name!,
      { status: { phase, lastPhaseTransitionTime: rfc3339(new Date(this.ctx.clock.now())) } }, 'merge', { subresource: 'status' });
  }

  private async syncClaim(ns: string, name: string): Promise<void> {
    const claim = this.claims.lister.get(ns, name);
    if (!claim || claim.metadata?.deletionTimestamp) return;
    const volumeName = rec(claim['spec'])['volumeName'];
    if (typeof volumeName === 'string' && volumeName) {
      const pv = this.volumes.lister.get(undefined, volumeName);
      if (!pv) {
        await this.setClaimStatus(claim, { phase: 'Lost' });
        return;
      }
      const ref = rec(rec(pv['spec'])['claimRef']);
      // Pre-bound by the user to a free volume: finish the binding from the volume's side.
      if (!ref['name']) await this.bindVolume(pv, claim);
      else if (ref['uid'] === claim.metadata?.uid) await this.markBound(pv, claim);
      return;
    }
    if (waitsForConsumer(claim, this.classes.lister.list())) return;
    const pv = findMatchingVolume(claim, this.volumes.lister.list());
    if (!pv) return;
    const bound = await this.bindVolume(pv, claim);
    const updated = await this.ctx.client.update<KubeObject>(PersistentVolumeClaims, {
      ...claim,
      metadata: { ...claim.metadata, annotations: { ...(claim.metadata?.annotations ?? {}), [BIND_COMPLETED]: 'yes', [BOUND_BY_CONTROLLER]: 'yes' } },
      spec: { ...rec(claim['spec']), volumeName: bound.metadata?.name },
    });
    await this.markBound(bound, updated);
  }

  /** Points the volume's claimRef at the claim (unless it already does) and returns the stored volume. */
  private async bindVolume(pv: KubeObject, claim: KubeObject): Promise<KubeObject> {
    const ref = rec(rec(pv['spec'])['claimRef']);
    if (ref['uid'] === claim.metadata?.uid) return pv;
    return this.ctx.client.update<KubeObject>(PersistentVolumes, {
      ...pv,
      metadata: { ...pv.metadata, annotations: { ...(pv.metadata?.annotations ?? {}), [BOUND_BY_CONTROLLER]: 'yes' } },
      spec: { ...rec(pv['spec']), claimRef: claimRefFor(claim) },
    });
  }

  /** Both sides say Bound: the volume's phase, the claim's phase with the volume's modes and capacity. */
  private async markBound(pv: KubeObject, claim: KubeObject): Promise<void> {
    await this.setVolumePhase(pv, 'Bound');
    const spec = rec(pv['spec']);
    await this.setClaimStatus(claim, { phase: 'Bound', accessModes: spec['accessModes'], capacity: spec['capacity'] });
  }

  private async setClaimStatus(claim: KubeObject, status: Obj): Promise<void> {
    const cur = rec(claim['status']);
    if (Object.entries(status).every(([k, v]) => JSON.stringify(cur[k]) === JSON.stringify(v))) return;
    await this.ctx.client.patch(PersistentVolumeClaims, claim.metadata?.namespace, claim.metadata!.name!, { status }, 'merge', { subresource: 'status' });
  }
}

export const persistentVolumeBinderController: ControllerDescriptor = {
  name: 'persistentvolume-binder',
  enabledByDefault: true,
  create: (ctx) => new PersistentVolumeBinder(ctx),
};
