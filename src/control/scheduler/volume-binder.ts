/**
 * VolumeBinding's I/O shell (upstream's volumeBinder with its PV/PVC assume caches): listers over the scheduler's
 * PVC, PV and StorageClass informers; per cycle the PreFilter and the per-node check (volume-binding.ts);
 * Reserve records what the chosen node needs (a volume pre-bound to each claim that has one there, selected-node
 * on each claim to provision) as *assumed* objects the next cycles already see; PreBind writes them and waits,
 * up to the bind timeout, until the PV controller (and the provisioner) bound every claim; Unreserve forgets
 * the assumed objects of a failed attempt.
 *
 * An assumed object stands in for the informer's copy until the informer brings a newer resourceVersion, so a
 * volume given to one pod is not offered to the next before the watch shows the write.
 */
import type { KubeObject } from '../api/resource.js';
import { realClock, sleep, type Clock } from '../../client/clock.js';
import type { SharedInformer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { PersistentVolumeClaims, PersistentVolumes } from '../../client/resources.js';
import { volumeClass } from '../controllers/persistentvolume/types.js';
import {
  checkBindings, claimWithSelectedNode, findPodVolumes, hostnameCandidates, nodeIndependentResult, preFilterVolumes, VOLUME_REASON, volumePreBoundTo,
  type NodeLike, type NodeVolumeResult, type NodeVolumeResults, type PersistentVolume, type PersistentVolumeClaim, type PodVolumeClaims,
  type PodVolumePlan, type StorageClass, type VolumeListers, type VolumePreFilter,
} from './volume-binding.js';

/** Upstream's VolumeBindingArgs.bindTimeoutSeconds default. */
export const DEFAULT_BIND_TIMEOUT_MS = 600_000;
/** How often PreBind re-checks when no informer event woke it (upstream polls every second). */
const POLL_MS = 1_000;
const BY_CLASS = 'storageClassName';

/** The writes PreBind makes. */
export interface VolumeApi {
  updateVolume(pv: PersistentVolume): Promise<PersistentVolume>;
  updateClaim(claim: PersistentVolumeClaim): Promise<PersistentVolumeClaim>;
}

export class RestVolumeApi implements VolumeApi {
  constructor(private readonly client: RestClient) {}
  updateVolume(pv: PersistentVolume): Promise<PersistentVolume> {
    return this.client.update<PersistentVolume>(PersistentVolumes, pv);
  }
  updateClaim(claim: PersistentVolumeClaim): Promise<PersistentVolumeClaim> {
    return this.client.update<PersistentVolumeClaim>(PersistentVolumeClaims, claim);
  }
}

/** What Reserve decided for one pod on one node; PreBind carries it out. */
export interface VolumeReservation {
  node: string;
  /** Volumes to pre-bind, and the claim each is for (same index). */
  volumes: PersistentVolume[];
  bindings: PersistentVolumeClaim[];
  /** Claims to annotate with selected-node. */
  claims: PersistentVolumeClaim[];
}

export interface VolumeBinderOptions {
  claims: SharedInformer<PersistentVolumeClaim>;
  volumes: SharedInformer<PersistentVolume>;
  classes: SharedInformer<StorageClass>;
  /** The scheduler's nodes (name and labels). */
  nodes: {
    get(name: string): NodeLike | undefined;
    list(): Iterable<NodeLike>;
    /** Nodes by their kubernetes.io/hostname label, and how many nodes there are (optional: a full pass otherwise). */
    withHostname?(hostname: string): Iterable<NodeLike>;
    count?(): number;
  };
  api: VolumeApi;
  clock?: Clock;
  /** How long PreBind waits for the PV controller; default 600 s as upstream. */
  bindTimeoutMs?: number;
  pollMs?: number;
}

const rv = (o: KubeObject | undefined): number => Number(o?.metadata?.resourceVersion ?? 0) || 0;
const claimKey = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** The node as VolumeBinding reads it. */
export const nodeLike = (n: KubeObject): NodeLike => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} });

export class VolumeBinder {
  private readonly assumedVolumes = new Map<string, PersistentVolume>();
  private readonly assumedClaims = new Map<string, PersistentVolumeClaim>();
  private readonly clock: Clock;
  private readonly bindTimeoutMs: number;
  private readonly pollMs: number;
  private wakers: (() => void)[] = [];
  /** The informers' own copies (what PreBind checks, as upstream's GetAPIPV/GetAPIPVC). */
  readonly informed: VolumeListers;
  /** The informers' copies with this scheduler's assumed writes in front (what the filter reads). */
  readonly assumed: VolumeListers;

  constructor(private readonly o: VolumeBinderOptions) {
    this.clock = o.clock ?? realClock;
    this.bindTimeoutMs = o.bindTimeoutMs ?? DEFAULT_BIND_TIMEOUT_MS;
    this.pollMs = o.pollMs ?? POLL_MS;
    o.volumes.indexer.ensureIndexer(BY_CLASS, (pv) => [volumeClass(pv)]);
    this.informed = {
      claim: (ns, name) => o.claims.lister.get(ns, name),
      volume: (name) => o.volumes.lister.get(undefined, name),
      volumesOfClass: (cls) => o.volumes.indexer.byIndex(BY_CLASS, cls),
      storageClass: (name) => o.classes.lister.get(undefined, name),
    };
    this.assumed = {
      claim: (ns, name) => this.latest(this.assumedClaims, `${ns}/${name}`, o.claims.lister.get(ns, name)),
      volume: (name) => this.latest(this.assumedVolumes, name, o.volumes.lister.get(undefined, name)),
      volumesOfClass: (cls) => {
        const list = o.volumes.indexer.byIndex(BY_CLASS, cls);
        if (this.assumedVolumes.size === 0) return list;
        return list.map((pv) => this.latest(this.assumedVolumes, pv.metadata?.name ?? '', pv)!);
      },
      storageClass: (name) => o.classes.lister.get(undefined, name),
    };
    const wake = { onAdd: () => this.wake(), onUpdate: () => this.wake(), onDelete: () => this.wake() };
    o.claims.addEventHandler(wake);
    o.volumes.addEventHandler(wake);
  }

  /** The assumed copy unless the informer's is newer (then the assumed one is dropped). */
  private latest<T extends KubeObject>(assumed: Map<string, T>, key: string, informed: T | undefined): T | undefined {
    const a = assumed.get(key);
    if (!a) return informed;
    if (informed && rv(informed) > rv(a)) {
      assumed.delete(key);
      return informed;
    }
    return informed ? a : undefined;
  }

  preFilter(pod: KubeObject): VolumePreFilter {
    return preFilterVolumes(pod, this.assumed);
  }

  /** Filter over every node the scheduler knows, by name (one shared result when no node can differ). */
  filterNodes(claims: PodVolumeClaims): NodeVolumeResults {
    const same = nodeIndependentResult(claims, this.assumed);
    if (same) return { get: () => same, values: () => [same] };
    const hosts = this.o.nodes.withHostname && this.o.nodes.count ? hostnameCandidates(claims, this.assumed) : undefined;
    if (hosts) return this.candidateResults(claims, hosts);
    const out = new Map<string, NodeVolumeResult>();
    for (const n of this.o.nodes.list()) out.set(n.name, findPodVolumes(claims, n, this.assumed));
    return out;
  }

  /**
   * Results when bound volumes pin the pod to a few hostnames: those nodes are checked now, every other node
   * fails (a volume node affinity conflict at least) and is checked only if asked (the failure message).
   */
  private candidateResults(claims: PodVolumeClaims, hosts: Set<string>): NodeVolumeResults {
    const checked = new Map<string, NodeVolumeResult>();
    for (const h of hosts) for (const n of this.o.nodes.withHostname!(h)) checked.set(n.name, findPodVolumes(claims, n, this.assumed));
    const others = this.o.nodes.count!() - checked.size;
    const get = (name: string): NodeVolumeResult | undefined => {
      let r = checked.get(name);
      if (r) return r;
      const n = this.o.nodes.get(name);
      if (!n) return undefined;
      r = findPodVolumes(claims, n, this.assumed);
      checked.set(name, r);
      return r;
    };
    const conflict: NodeVolumeResult = { ok: false, reasons: [VOLUME_REASON.nodeConflict] };
    return { get, values: () => (others > 0 ? [...checked.values(), conflict] : [...checked.values()]) };
  }

  /**
   * Reserve (AssumePodVolumes): the writes `plan` needs on `node`, recorded as assumed; undefined when every
   * claim is bound already.
   */
  reserve(node: string, plan: PodVolumePlan): VolumeReservation | undefined {
    if (plan.staticBindings.length === 0 && plan.provisions.length === 0) return undefined;
    const r: VolumeReservation = { node, volumes: [], bindings: [], claims: [] };
    for (const { claim, volume } of plan.staticBindings) {
      const pv = volumePreBoundTo(volume, claim) ?? volume;
      this.assumedVolumes.set(pv.metadata?.name ?? '', pv);
      r.volumes.push(pv);
      r.bindings.push(claim);
    }
    for (const c of plan.provisions) {
      const claim = claimWithSelectedNode(c, node);
      this.assumedClaims.set(claimKey(claim), claim);
      r.claims.push(claim);
    }
    return r;
  }

  /** Unreserve (RevertAssumedPodVolumes). */
  unreserve(r: VolumeReservation): void {
    for (const pv of r.volumes) {
      const name = pv.metadata?.name ?? '';
      if (this.assumedVolumes.get(name) === pv) this.assumedVolumes.delete(name);
    }
    for (const c of r.claims) if (this.assumedClaims.get(claimKey(c)) === c) this.assumedClaims.delete(claimKey(c));
  }

  /**
   * PreBind (BindPodVolumes): writes the reserved objects, then waits until checkBindings says done. Throws with
   * upstream's text ("binding volumes: …") when a write fails, the binding is undone, the timeout passes, or
   * `signal` aborts (its reason, an Error, says why: the pod was deleted, the scheduler stops).
   */
  async preBind(r: VolumeReservation, signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < r.volumes.length; i++) {
      const pv = r.volumes[i]!;
      const written = await this.o.api.updateVolume(pv);
      r.volumes[i] = written;
      if (this.assumedVolumes.get(pv.metadata?.name ?? '') === pv) this.assumedVolumes.set(pv.metadata?.name ?? '', written);
    }
    for (let i = 0; i < r.claims.length; i++) {
      const c = r.claims[i]!;
      const written = await this.o.api.updateClaim(c);
      r.claims[i] = written;
      if (this.assumedClaims.get(claimKey(c)) === c) this.assumedClaims.set(claimKey(c), written);
    }
    const deadline = this.clock.now() + this.bindTimeoutMs;
    for (;;) {
      const node = this.o.nodes.get(r.node);
      if (!node) throw new Error(`binding volumes: failed to get node "${r.node}": node "${r.node}" not found`);
      const check = checkBindings(r, node, this.informed);
      if (check.kind === 'done') return;
      if (check.kind === 'failed') throw new Error(`binding volumes: ${check.message}`);
      if (signal?.aborted) throw new Error(`binding volumes: ${signal.reason instanceof Error ? signal.reason.message : 'aborted'}`);
      const left = deadline - this.clock.now();
      if (left <= 0) throw new Error('binding volumes: timed out waiting for the condition');
      await this.nextChange(Math.min(this.pollMs, left), signal);
    }
  }

  /** Resolves on the next PV/PVC informer event, or after `ms`. */
  private nextChange(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        resolve();
      };
      this.wakers.push(finish);
      void sleep(this.clock, ms, signal).then(finish);
    });
  }

  private wake(): void {
    const w = this.wakers;
    if (w.length === 0) return;
    this.wakers = [];
    for (const f of w) f();
  }
}
