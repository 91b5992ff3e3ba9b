/**
 * local-path-provisioner: k3s's default dynamic provisioner (rancher/local-path-provisioner, an external
 * provisioner upstream) as one controller. For a claim the binder marked for `skiff.dev/local-path` (or
 * `rancher.io/local-path`) it creates a hostPath PersistentVolume `pvc-<claim uid>` at <dir>/<volume name>,
 * pre-bound to the claim and pinned to the selected node; the binder then binds the two. The directory itself is
 * made by the node that mounts the volume (hostPath type DirectoryOrCreate). When such a volume is Released
 * with reclaim policy Delete, the provisioner removes its directory and then the volume.
 *
 * The directory is removed from this process's filesystem: right for `skiff server` and its local node, where
 * the controller manager and the node share a host. A node on another host keeps its copy of the data (rancher's
 * helper pod would remove it there); only <dir>/<volume name> is ever removed, never a hand-written path.
 */
import { rm } from 'node:fs/promises';
import type { SharedInformer } from '../../../client/informer.js';
import { isNotFound } from '../../../client/rest.js';
import { PersistentVolumeClaims, PersistentVolumes, StorageClasses } from '../../../client/resources.js';
import { splitKey, type KubeObject } from '../../../client/types.js';
import type { ControllerContext } from '../context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import { errorMessage } from '../shared/controller-ref.js';
import { isAlreadyExists } from '../shared/history.js';
import {
  decideProvision, DEFAULT_LOCAL_PATH_DIR, localPathOf, provisionedMessage, provisionFailedMessage, provisioningMessage, shouldDelete,
  volumeNameFor,
} from './local-path-volume.js';
import { ANN_DYNAMICALLY_PROVISIONED, claimClass, claimKey, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from './types.js';

export interface LocalPathOptions {
  /** Where volumes' directories are made; default ControllerOptions.localPathDir, else DEFAULT_LOCAL_PATH_DIR. */
  dir?: string;
  /** Removes a deleted volume's directory (tests pass a fake); default rm -rf. */
  removeDir?: (path: string) => Promise<void>;
}

export class LocalPathProvisioner implements Controller {
  readonly name = 'local-path-provisioner';
  private readonly claims: SharedInformer<PersistentVolumeClaim>;
  private readonly volumes: SharedInformer<PersistentVolume>;
  private readonly classes: SharedInformer<StorageClass>;
  private readonly claimQueue;
  private readonly volumeQueue;
  private readonly dir: string;
  private readonly removeDir: (path: string) => Promise<void>;

  constructor(private readonly ctx: ControllerContext, opts: LocalPathOptions = {}) {
    this.dir = opts.dir ?? ctx.options.localPathDir ?? DEFAULT_LOCAL_PATH_DIR;
    this.removeDir = opts.removeDir ?? ((p) => rm(p, { recursive: true, force: true }));
    this.claims = ctx.informers.forResource<PersistentVolumeClaim>(PersistentVolumeClaims);
    this.volumes = ctx.informers.forResource<PersistentVolume>(PersistentVolumes);
    this.classes = ctx.informers.forResource<StorageClass>(StorageClasses);
    this.claimQueue = ctx.queue('local-path-claims');
    this.volumeQueue = ctx.queue('local-path-volumes');
    this.claims.addEventHandler({ onAdd: (c) => this.claimQueue.add(claimKey(c)), onUpdate: (_o, c) => this.claimQueue.add(claimKey(c)) });
    const onVolume = (pv: PersistentVolume): void => this.volumeQueue.add(pv.metadata?.name ?? '');
    this.volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, pv) => onVolume(pv) });
  }

  async run(signal: AbortSignal): Promise<void> {
    const informers = [this.claims, this.volumes, this.classes] as unknown as SharedInformer[];
    await Promise.all([
      runWorkers(this.ctx, `${this.name} claims`, this.claimQueue, informers, (k) => this.syncClaim(k), signal),
      runWorkers(this.ctx, `${this.name} volumes`, this.volumeQueue, informers, (k) => this.syncVolume(k), signal),
    ]);
  }

  private event(component: string, obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.ctx.event(component, obj, type, reason, message);
  }

  async syncClaim(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const claim = this.claims.lister.get(namespace, name);
    if (!claim) return;
    const sc = this.classes.lister.get(undefined, claimClass(claim));
    const existing = this.volumes.lister.get(undefined, volumeNameFor(claim));
    const decision = decideProvision(claim, sc, existing, this.dir);
    if (decision.kind === 'skip') return;
    const component = sc?.provisioner ?? this.name;
    if (decision.kind === 'fail') {
      this.event(component, claim, 'Warning', 'ProvisioningFailed', provisionFailedMessage(claimClass(claim), decision.message));
      return;
    }
    this.event(component, claim, 'Normal', 'Provisioning', provisioningMessage(claim));
    try {
      await this.ctx.client.create(PersistentVolumes, decision.volume);
    } catch (err) {
      // Made by an earlier sync whose volume the cache has not shown yet.
      if (isAlreadyExists(err)) return;
      this.event(component, claim, 'Warning', 'ProvisioningFailed', provisionFailedMessage(claimClass(claim), errorMessage(err)));
      throw err;
    }
    this.event(component, claim, 'Normal', 'ProvisioningSucceeded', provisionedMessage(decision.volume));
  }

  async syncVolume(name: string): Promise<void> {
    const pv = this.volumes.lister.get(undefined, name);
    if (!pv || !shouldDelete(pv)) return;
    const path = localPathOf(pv, this.dir);
    const component = pv.metadata?.annotations?.[ANN_DYNAMICALLY_PROVISIONED] ?? this.name;
    if (path) {
      try {
        await this.removeDir(path);
      } catch (err) {
        this.event(component, pv, 'Warning', 'VolumeFailedDelete', `failed to delete volume ${name}: ${errorMessage(err)}`);
        throw err;
      }
    }
    try {
      await this.ctx.client.delete(PersistentVolumes, undefined, name, { preconditions: { uid: pv.metadata?.uid } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export const localPathProvisionerController: ControllerDescriptor = {
  name: 'local-path-provisioner',
  enabledByDefault: true,
  create: (ctx) => new LocalPathProvisioner(ctx),
};
