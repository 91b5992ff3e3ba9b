/**
 * ephemeral-volume (upstream's pkg/controller/volume/ephemeral): a pod's generic ephemeral volume
 * (`volumes[].ephemeral.volumeClaimTemplate`) gets a PersistentVolumeClaim `<pod>-<volume>` whose controller is
 * the pod, so the claim (and with the local-path class, its volume) lives exactly as long as the pod. A claim of
 * that name the pod does not own is never adopted: the pod cannot start on it, as upstream.
 */
import type { SharedInformer } from '../../../client/informer.js';
import { PersistentVolumeClaims, Pods } from '../../../client/resources.js';
import { splitKey } from '../../../client/types.js';
import type { ControllerContext } from '../context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import { isAlreadyExists } from '../shared/history.js';
import { newControllerRef, type Pod } from '../shared/pod-util.js';
import type { PersistentVolumeClaim } from './types.js';

interface EphemeralVolume {
  name: string;
  ephemeral?: { volumeClaimTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: PersistentVolumeClaim['spec'] } };
}

const volumesOf = (pod: Pod): EphemeralVolume[] => ((pod.spec as { volumes?: EphemeralVolume[] } | undefined)?.volumes ?? []).filter((v) => v.ephemeral);

/** ephemeral.VolumeClaimName. */
export const ephemeralClaimName = (pod: Pod, volume: { name: string }): string => `${pod.metadata?.name ?? ''}-${volume.name}`;

/** VerifyPVCOwner: undefined when the pod is the claim's controller, else upstream's error text. */
export function verifyClaimOwner(claim: PersistentVolumeClaim, pod: Pod): string | undefined {
  const ctrl = claim.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (ctrl?.uid === pod.metadata?.uid) return undefined;
  return `PVC ${claim.metadata?.namespace ?? ''}/${claim.metadata?.name ?? ''} was not created for pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''} (pod is not owner)`;
}

/** The claims a pod's ephemeral volumes need, owned by the pod (none for a pod being deleted). */
export function ephemeralClaims(pod: Pod): PersistentVolumeClaim[] {
  if (pod.metadata?.deletionTimestamp) return [];
  return volumesOf(pod).map((v) => {
    const t = v.ephemeral!.volumeClaimTemplate ?? {};
    const metadata: NonNullable<PersistentVolumeClaim['metadata']> = {
      name: ephemeralClaimName(pod, v), namespace: pod.metadata?.namespace,
      ownerReferences: [newControllerRef(pod, { apiVersion: 'v1', kind: 'Pod' })],
    };
    if (t.metadata?.labels) metadata.labels = { ...t.metadata.labels };
    if (t.metadata?.annotations) metadata.annotations = { ...t.metadata.annotations };
    return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata, spec: structuredClone(t.spec ?? {}) };
  });
}

export class EphemeralVolumeController implements Controller {
  readonly name = 'ephemeral-volume';
  private readonly pods: SharedInformer<Pod>;
  private readonly claims: SharedInformer<PersistentVolumeClaim>;
  private readonly queue;

  constructor(private readonly ctx: ControllerContext) {
    this.pods = ctx.informers.forResource<Pod>(Pods);
    this.claims = ctx.informers.forResource<PersistentVolumeClaim>(PersistentVolumeClaims);
    this.queue = ctx.queue('ephemeral_volume');
    const onPod = (p: Pod): void => {
      if (volumesOf(p).length) this.queue.add(`${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`);
    };
    this.pods.addEventHandler({ onAdd: onPod, onUpdate: (_o, p) => onPod(p) });
    // A claim deleted under a live pod is made again (upstream's onPVCDelete requeues its pod).
    this.claims.addEventHandler({
      onDelete: (c) => {
        const ref = c.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === 'Pod');
        if (ref) this.queue.add(`${c.metadata?.namespace ?? ''}/${ref.name}`);
      },
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return runWorkers(this.ctx, this.name, this.queue, [this.pods, this.claims] as unknown as SharedInformer[], (k) => this.sync(k), signal);
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.pods.lister.get(namespace, name);
    if (!pod) return;
    for (const claim of ephemeralClaims(pod)) {
      const existing = this.claims.lister.get(namespace, claim.metadata!.name!);
      if (existing) {
        const why = verifyClaimOwner(existing, pod);
        if (why) throw new Error(why);
        continue;
      }
      try {
        await this.ctx.client.create(PersistentVolumeClaims, claim, { namespace });
      } catch (err) {
        if (!isAlreadyExists(err)) throw new Error(`create PVC ${claim.metadata!.name}: ${(err as Error).message}`);
      }
    }
  }
}

export const ephemeralVolumeController: ControllerDescriptor = { name: 'ephemeral-volume', enabledByDefault: true, create: (ctx) => new EphemeralVolumeController(ctx) };
