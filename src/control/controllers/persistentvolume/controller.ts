/**
 * persistentvolume-binder (upstream's PersistentVolumeController, pv_controller_base.go): a claims queue and a
 * volumes queue, one worker each (a sync is not reentrant: two at once could give one volume to two claims).
 * Informer events only enqueue keys; the syncs read the listers and carry out binder.ts's decisions, writing
 * the volume before the claim as upstream orders them. A write's result is remembered and preferred over an
 * older cached copy, so the sync that an informer event of our own write triggers does not redo it.
 *
 * Provisioning is external, as upstream's is for every non-in-tree provisioner: the binder marks a claim for its
 * class's provisioner (volume.kubernetes.io/storage-provisioner) and the provisioner (local-path.ts here)
 * creates a volume pre-bound to the claim, which the next claim sync binds. A released Delete volume is left to
 * the provisioner that made it; any other Delete volume fails as upstream's does without a deleter plugin.
 */
import type { SharedInformer } from '../../../client/informer.js';
import { isNotFound } from '../../../client/rest.js';
import { PersistentVolumeClaims, PersistentVolumes, Pods, StorageClasses } from '../../../client/resources.js';
import { splitKey, type KubeObject } from '../../../client/types.js';
import type { ControllerContext } from '../context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import type { Pod } from '../shared/pod-util.js';
import {
  claimBoundTo, claimForProvisioner, claimStatus, claimWithSelectedNode, decideClaim, decideVolume, volumeBoundTo, volumePhase,
  volumeUnbound, type BinderEvent,
} from './binder.js';
import { claimKey, claimRefKey, PV_CONTROLLER_COMPONENT, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from './types.js';

/** Pod index: the `namespace/claim` keys of the claims a pod's volumes name (generic ephemeral ones `<pod>-<volume>`). */
export const POD_CLAIMS_INDEX = 'pvc';
export function podClaimKeys(pod: Pod): string[] {
  const ns = pod.metadata?.namespace ?? '';
  const vols = (pod.spec as { volumes?: { name: string; persistentVolumeClaim?: { claimName?: string }; ephemeral?: unknown }[] } | undefined)?.volumes ?? [];
  return vols.flatMap((v) => {
    if (v.persistentVolumeClaim?.claimName) return [`${ns}/${v.persistentVolumeClaim.claimName}`];
    if (v.ephemeral) return [`${ns}/${pod.metadata?.name ?? ''}-${v.name}`];
    return [];
  });
}

const rv = (o: KubeObject | undefined): number => Number(o?.metadata?.resourceVersion ?? 0) || 0;
/** The newer of the cached and the written copy (same uid only: a re-created object starts over). */
function newer<T extends KubeObject>(cached: T | undefined, written: T | undefined): T | undefined {
  if (!cached || !written || written.metadata?.uid !== cached.metadata?.uid) return cached;
  return rv(written) > rv(cached) ? written : cached;
}

export class PersistentVolumeBinder implements Controller {
  readonly name = 'persistentvolume-binder';
  private readonly volumes: SharedInformer<PersistentVolume>;
  private readonly claims: SharedInformer<PersistentVolumeClaim>;
  private readonly classes: SharedInformer<StorageClass>;
  private readonly pods: SharedInformer<Pod>;
  private readonly claimQueue;
  private readonly volumeQueue;
  /** What this controller wrote last, by key: newer than the cache until the informer catches up. */
  private readonly writtenVolumes = new Map<string, PersistentVolume>();
  private readonly writtenClaims = new Map<string, PersistentVolumeClaim>();

  constructor(private readonly ctx: ControllerContext) {
    this.volumes = ctx.informers.forResource<PersistentVolume>(PersistentVolumes);
    this.claims = ctx.informers.forResource<PersistentVolumeClaim>(PersistentVolumeClaims);
    this.classes = ctx.informers.forResource<StorageClass>(StorageClasses);
    this.pods = ctx.informers.forResource<Pod>(Pods);
    this.pods.indexer.ensureIndexer(POD_CLAIMS_INDEX, podClaimKeys);
    this.claimQueue = ctx.queue('claims');
    this.volumeQueue = ctx.queue('volumes');

    const onVolume = (pv: PersistentVolume): void => {
      this.volumeQueue.add(pv.metadata?.name ?? '');
      const ref = pv.spec?.claimRef;
      if (ref?.name) this.claimQueue.add(claimRefKey(ref));
    };
    this.volumes.addEventHandler({
      onAdd: (pv) => {
        onVolume(pv);
        // A new volume may be what a Pending claim waits for.
        if (!pv.spec?.claimRef) this.enqueueUnboundClaims();
      },
      onUpdate: (old, pv) => {
        onVolume(pv);
        if (old.status?.phase !== pv.status?.phase && pv.status?.phase === 'Available') this.enqueueUnboundClaims();
      },
      onDelete: (pv) => {
        this.writtenVolumes.delete(pv.metadata?.name ?? '');
        onVolume(pv);
      },
    });
    this.claims.addEventHandler({
      onAdd: (c) => this.claimQueue.add(claimKey(c)),
      onUpdate: (_o, c) => this.claimQueue.add(claimKey(c)),
      onDelete: (c) => {
        this.writtenClaims.delete(claimKey(c));
        // The volume it was bound to is released.
        if (c.spec?.volumeName) this.volumeQueue.add(c.spec.volumeName);
        for (const pv of this.volumes.lister.list()) {
          const ref = pv.spec?.claimRef;
          if (ref && ref.name === c.metadata?.name && ref.namespace === c.metadata?.namespace) this.volumeQueue.add(pv.metadata?.name ?? '');
        }
      },
    });
    this.classes.addEventHandler({ onAdd: () => this.enqueueUnboundClaims(), onUpdate: () => this.enqueueUnboundClaims() });
    // A consumer created or scheduled moves a WaitForFirstConsumer claim on.
    const onPod = (p: Pod, old?: Pod): void => {
      if (old && old.spec?.nodeName === p.spec?.nodeName) return;
      for (const k of podClaimKeys(p)) this.claimQueue.add(k);
    };
    this.pods.addEventHandler({ onAdd: (p) => onPod(p), onUpdate: (old, p) => onPod(p, old) });
  }

  private enqueueUnboundClaims(): void {
    for (const c of this.claims.lister.list()) if (!c.spec?.volumeName) this.claimQueue.add(claimKey(c));
  }

  async run(signal: AbortSignal): Promise<void> {
    const informers = [this.volumes, this.claims, this.classes, this.pods] as unknown as SharedInformer[];
    await Promise.all([
      runWorkers(this.ctx, `${this.name} claims`, this.claimQueue, informers, (k) => this.syncClaimKey(k), signal, 1),
      runWorkers(this.ctx, `${this.name} volumes`, this.volumeQueue, informers, (k) => this.syncVolumeKey(k), signal, 1),
    ]);
  }

  private volume(name: string): PersistentVolume | undefined {
    return newer(this.volumes.lister.get(undefined, name), this.writtenVolumes.get(name));
  }

  private claim(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return newer(this.claims.lister.get(namespace, name), this.writtenClaims.get(`${namespace}/${name}`));
  }

  private event(obj: KubeObject, ev: BinderEvent): void {
    this.ctx.event(PV_CONTROLLER_COMPONENT, obj, ev.type, ev.reason, ev.message);
  }

  // ---------------------------------------------------------------------------------------- claims

  async syncClaimKey(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const claim = this.claim(namespace, name);
    if (!claim) return;
    const volumes = this.volumes.lister.list().map((v) => this.volume(v.metadata?.name ?? '') ?? v);
    const decision = decideClaim(claim, {
      volume: (n) => this.volume(n),
      volumes,
      storageClass: (n) => this.classes.lister.get(undefined, n),
      podsUsing: (c) => this.pods.indexer.byIndex(POD_CLAIMS_INDEX, claimKey(c)),
      storageClasses: this.classes.lister.list(),
    });
    switch (decision.kind) {
      case 'bind':
        await this.bind(decision.volume, claim);
        return;
      case 'status': {
        const next = claimStatus(claim, decision.phase);
        if (next) await this.writeClaimStatus(next);
        if (decision.event && (!decision.eventOnlyOnChange || next)) this.event(claim, decision.event);
        return;
      }
      case 'provision': {
        const marked = claimForProvisioner(claim, decision.provisioner);
        const cur = marked ? await this.writeClaim(marked) : claim;
        this.event(cur, decision.event);
        const next = claimStatus(cur, 'Pending');
        if (next) await this.writeClaimStatus(next);
        return;
      }
      case 'assignClass': {
        // The update's event syncs the claim again, now with its class.
        await this.writeClaim({ ...claim, spec: { ...(claim.spec ?? {}), storageClassName: decision.className } });
        return;
      }
      case 'selectNode': {
        const next = claimWithSelectedNode(claim, decision.node);
        if (next) await this.writeClaim(next);
        return;
      }
      case 'error':
        throw new Error(decision.message);
    }
  }

  /** bind(): the volume's claimRef, its phase, the claim's volumeName and annotations, its status, in that order. */
  private async bind(volume: PersistentVolume, claim: PersistentVolumeClaim): Promise<void> {
    let v = volume;
    const ref = volumeBoundTo(v, claim);
    if (ref) v = await this.writeVolume(ref);
    const phase = volumePhase(v, 'Bound', '', new Date(this.ctx.clock.now()));
    if (phase) v = await this.writeVolumeStatus(phase);
    let c = claim;
    const bound = claimBoundTo(c, v);
    if (bound) c = await this.writeClaim(bound);
    const status = claimStatus(c, 'Bound', v);
    if (status) await this.writeClaimStatus(status);
  }

  // ---------------------------------------------------------------------------------------- volumes

  async syncVolumeKey(name: string): Promise<void> {
    let volume = this.volume(name);
    if (!volume) return;
    const ref = volume.spec?.claimRef;
    let claim = ref?.name ? this.claim(ref.namespace ?? '', ref.name) : undefined;
    let decision = decideVolume(volume, claim);
    if (decision.kind === 'release' && volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed' && ref?.name) {
      // The cache may not have the claim yet (a volume provisioned for a claim created a moment ago): ask the API.
      try {
        claim = await this.ctx.client.get<PersistentVolumeClaim>(PersistentVolumeClaims, ref.name, ref.namespace);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        claim = undefined;
      }
      decision = decideVolume(volume, claim);
    }
    const now = new Date(this.ctx.clock.now());
    switch (decision.kind) {
      case 'none':
        return;
      case 'phase': {
        const next = volumePhase(volume, decision.phase, '', now);
        if (next) await this.writeVolumeStatus(next);
        return;
      }
      case 'syncClaim':
        this.claimQueue.add(decision.key);
        return;
      case 'unbind': {
        volume = await this.writeVolume(volumeUnbound(volume));
        const next = volumePhase(volume, 'Available', '', now);
        if (next) await this.writeVolumeStatus(next);
        return;
      }
      case 'release': {
        if (volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed') {
          volume = await this.writeVolumeStatus(volumePhase(volume, 'Released', '', now)!);
        }
        const r = decision.reclaim;
        if (r.kind === 'fail') {
          const next = volumePhase(volume, 'Failed', r.event.message, now);
          if (next) {
            await this.writeVolumeStatus(next);
            this.event(volume, r.event);
          }
        }
        // retain: the volume stays Released; external: its provisioner deletes it.
        return;
      }
    }
  }

  // ---------------------------------------------------------------------------------------- writes

  private async writeVolume(v: PersistentVolume): Promise<PersistentVolume> {
    const out = await this.ctx.client.update<PersistentVolume>(PersistentVolumes, v);
    this.writtenVolumes.set(out.metadata?.name ?? '', out);
    return out;
  }

  private async writeVolumeStatus(v: PersistentVolume): Promise<PersistentVolume> {
    const out = await this.ctx.client.update<PersistentVolume>(PersistentVolumes, v, { subresource: 'status' });
    this.writtenVolumes.set(out.metadata?.name ?? '', out);
    return out;
  }

  private async writeClaim(c: PersistentVolumeClaim): Promise<PersistentVolumeClaim> {
    const out = await this.ctx.client.update<PersistentVolumeClaim>(PersistentVolumeClaims, c);
    this.writtenClaims.set(claimKey(out), out);
    return out;
  }

  private async writeClaimStatus(c: PersistentVolumeClaim): Promise<PersistentVolumeClaim> {
    const out = await this.ctx.client.update<PersistentVolumeClaim>(PersistentVolumeClaims, c, { subresource: 'status' });
    this.writtenClaims.set(claimKey(out), out);
    return out;
  }
}

export const persistentVolumeBinderController: ControllerDescriptor = {
  name: 'persistentvolume-binder',
  enabledByDefault: true,
  create: (ctx) => new PersistentVolumeBinder(ctx),
};
