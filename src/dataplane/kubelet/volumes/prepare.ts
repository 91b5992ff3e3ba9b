/**
 * Setting a pod's volumes up on disk (the kubelet volume manager's MountVolume.SetUp for the in-tree plugins)
 * and tearing them down. Each volume fails on its own (an event per volume, reason FailedMount, upstream's
 * `MountVolume.SetUp failed for volume "x" : …`); calling again is cheap and brings API-data volumes up to date
 * (the atomic writer rewrites only what changed), which is how configMap/secret updates reach running pods.
 */
import { promises as fs } from 'node:fs';
import type { ConfigMap, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../../client/types.js';
import { quantityScaled } from '../pod/quantity.js';
import { AtomicWriter, type Payload } from './atomic-writer.js';
import { checkHostPathType } from './hostpath.js';
import { containersDir, etcHostsPath, hostnamePath, resolvConfPath, volumeDir, volumesDir, type PluginKind } from './layout.js';
import { SystemMounter, type Mounter } from './mounter.js';
import { setVolumeOwnership } from './ownership.js';
import {
  DEFAULT_MODE, aggregateMessage, configMapPayload, downwardAPIPayload, projectedPayload, secretPayload, type TokenProvider,
} from './payload.js';
import { VolumeError, type ObjectSource, type PreparedVolume } from './types.js';

export interface PrepareOptions {
  /** Node allocatable (quantity strings): memory-backed volumes' default size and downward API resource values. */
  allocatable: Record<string, string>;
  /** Mount operations; default: mount(8)/umount(8). */
  mounter?: Mounter;
  /** Bound service account tokens for projected serviceAccountToken sources; without it those sources are left out. */
  token?: TokenProvider;
  /** A PersistentVolumeClaim's host directory (a local-path PV), or undefined when the claim is not bound here yet. */
  claimPath?: (namespace: string, claimName: string) => Promise<{ path: string; readOnly?: boolean } | undefined>;
  /** Clock for the atomic writer's timestamped directory names. */
  now?: () => Date;
}

/** One failed volume, as the FailedMount event reports it. */
export interface VolumeFailure {
  volume: string;
  message: string;
}

/** prepareVolumes' error: reason FailedMount; `failures` has one entry (and message) per volume that failed. */
export class PrepareVolumesError extends VolumeError {
  constructor(
    readonly failures: VolumeFailure[],
    readonly prepared: Map<string, PreparedVolume>,
  ) {
    super('FailedMount', failures.map((f) => f.message).join('; '));
    this.name = 'PrepareVolumesError';
  }
}

/** `MountVolume.SetUp failed for volume "x" : <cause>`, the kubelet's FailedMount event text. */
export function setUpFailedMessage(volume: string, cause: string): string {
  return `MountVolume.SetUp failed for volume "${volume}" : ${cause}`;
}

function memoryLimit(c: { resources?: { limits?: Record<string, string> } }): number | undefined {
  const q = c.resources?.limits?.memory;
  if (q === undefined) return undefined;
  return quantityScaled(q, 0) ?? undefined;
}

/**
 * cm.ResourceConfigForPod's memory limit: only when every container declares one; regular containers and
 * sidecars add up, a plain init container runs alone (with the sidecars started before it); plus overhead.
 */
export function podMemoryLimit(pod: Pod): number | undefined {
  const spec = pod.spec;
  if (!spec) return undefined;
  let sidecars = 0;
  let initMax = 0;
  for (const c of spec.initContainers ?? []) {
    const l = memoryLimit(c);
    if (l === undefined) return undefined;
    if (c.restartPolicy === 'Always') sidecars += l;
    else initMax = Math.max(initMax, sidecars + l);
  }
  let sum = sidecars;
  for (const c of spec.containers ?? []) {
    const l = memoryLimit(c);
    if (l === undefined) return undefined;
    sum += l;
  }
  const overhead = spec.overhead?.memory !== undefined ? quantityScaled(spec.overhead.memory, 0) ?? 0 : 0;
  return Math.max(sum, initMax) + overhead;
}

/**
 * calculateEmptyDirMemorySize: node allocatable memory, lowered to the pod's memory limit and then to the
 * volume's sizeLimit when each is positive and smaller. 0 = unknown (the kernel's default tmpfs size).
 */
export function emptyDirMemorySize(pod: Pod, allocatable: Record<string, string>, sizeLimit?: string): number {
  let size = quantityScaled(allocatable.memory ?? '0', 0) ?? 0;
  const podLimit = podMemoryLimit(pod);
  if (podLimit !== undefined && podLimit > 0 && (size === 0 || podLimit <= size)) size = podLimit;
  const vol = sizeLimit !== undefined ? quantityScaled(sizeLimit, 0) ?? 0 : 0;
  if (vol > 0 && (size === 0 || vol <= size)) size = vol;
  return size;
}

/** A directory for a volume, world-writable as emptyDir's setupDir makes it (0777 whatever the umask). */
async function setupDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const st = await fs.stat(dir);
  if ((st.mode & 0o777) !== 0o777) await fs.chmod(dir, 0o777);
}

async function ensureTmpfs(mounter: Mounter, dir: string, size: number): Promise<void> {
  await setupDir(dir);
  const mounts = await mounter.mountsUnder(dir);
  if (!mounts.includes(dir)) await mounter.mountTmpfs(dir, size);
}

function kindOf(v: Volume): PluginKind | 'hostPath' | 'persistentVolumeClaim' | 'ephemeral' | undefined {
  if (v.emptyDir) return 'emptyDir';
  if (v.configMap) return 'configMap';
  if (v.secret) return 'secret';
  if (v.downwardAPI) return 'downwardAPI';
  if (v.projected) return 'projected';
  if (v.hostPath) return 'hostPath';
  if (v.persistentVolumeClaim) return 'persistentVolumeClaim';
  if (v.ephemeral) return 'ephemeral';
  return undefined;
}

/** Set up every volume of the pod under podDir; returns them by name, or throws PrepareVolumesError. */
export async function prepareVolumes(
  podObj: KubeObject,
  podDir: string,
  source: ObjectSource,
  opts: PrepareOptions,
): Promise<Map<string, PreparedVolume>> {
  const pod = podObj as unknown as Pod;
  const ns = pod.metadata?.namespace ?? 'default';
  const mounter = opts.mounter ?? new SystemMounter();
  const prepared = new Map<string, PreparedVolume>();
  const failures: VolumeFailure[] = [];
  const getConfigMap = async (name: string) => (await source.configMap(ns, name)) as ConfigMap | undefined;
  const getSecret = async (name: string) => (await source.secret(ns, name)) as Secret | undefined;
  const writePayload = async (dir: string, payload: Payload) => new AtomicWriter(dir, opts.now).write(payload);
  // Secrets and projected volumes (tokens) never touch the disk: tmpfs, sized as a memory emptyDir without a limit.
  const memorySize = () => emptyDirMemorySize(pod, opts.allocatable);
  const sc = pod.spec?.securityContext;
  const fsGroup = sc?.fsGroup;

  for (const v of pod.spec?.volumes ?? []) {
    const kind = kindOf(v);
    try {
      switch (kind) {
        case 'emptyDir': {
          const dir = volumeDir(podDir, 'emptyDir', v.name);
          const medium = v.emptyDir!.medium ?? '';
          if (medium === 'Memory') await ensureTmpfs(mounter, dir, emptyDirMemorySize(pod, opts.allocatable, v.emptyDir!.sizeLimit));
          else if (medium === '') await setupDir(dir);
          else throw new Error(`unknown storage medium "${medium}"`);
          await setVolumeOwnership(dir, fsGroup, false, sc?.fsGroupChangePolicy);
          prepared.set(v.name, { name: v.name, hostPath: dir, readOnly: false });
          break;
        }
        case 'configMap': {
          const src = v.configMap!;
          const dir = volumeDir(podDir, 'configMap', v.name);
          const optional = src.optional === true;
          const name = src.name ?? '';
          let cm = await getConfigMap(name);
          if (!cm) {
            if (!optional) throw new Error(`configmap "${name}" not found`);
            cm = { metadata: { namespace: ns, name } };
          }
          const payload = configMapPayload(cm, src.items, src.defaultMode ?? DEFAULT_MODE, optional);
          await setupDir(dir);
          await writePayload(dir, payload);
          await setVolumeOwnership(dir, fsGroup, true);
          prepared.set(v.name, { name: v.name, hostPath: dir, readOnly: true });
          break;
        }
        case 'secret': {
          const src = v.secret!;
          const dir = volumeDir(podDir, 'secret', v.name);
          const optional = src.optional === true;
          const name = src.secretName ?? '';
          let s = await getSecret(name);
          if (!s) {
            if (!optional) throw new Error(`secret "${name}" not found`);
            s = { metadata: { namespace: ns, name } };
          }
          const payload = secretPayload(s, src.items, src.defaultMode ?? DEFAULT_MODE, optional);
          await ensureTmpfs(mounter, dir, memorySize());
          await writePayload(dir, payload);
          await setVolumeOwnership(dir, fsGroup, true);
          prepared.set(v.name, { name: v.name, hostPath: dir, readOnly: true });
          break;
        }
        case 'downwardAPI': {
          const src = v.downwardAPI!;
          const dir = volumeDir(podDir, 'downwardAPI', v.name);
          const r = downwardAPIPayload(src.items, pod, opts.allocatable, src.defaultMode ?? DEFAULT_MODE);
          if (r.errors.length) throw new Error(aggregateMessage(r.errors));
          await setupDir(dir);
          await writePayload(dir, r.payload);
          await setVolumeOwnership(dir, fsGroup, true);
          prepared.set(v.name, { name: v.name, hostPath: dir, readOnly: true });
          break;
        }
        case 'projected': {
          const dir = volumeDir(podDir, 'projected', v.name);
          const r = await projectedPayload(pod, v.projected!, {
            configMap: getConfigMap,
            secret: getSecret,
            allocatable: opts.allocatable,
            token: opts.token,
            fsOwned: sc?.fsGroup !== undefined || sc?.runAsUser !== undefined,
          });
          if (r.errors.length) throw new Error(aggregateMessage(r.errors));
          await ensureTmpfs(mounter, dir, memorySize());
          await writePayload(dir, r.payload);
          await setVolumeOwnership(dir, fsGroup, true);
          prepared.set(v.name, { name: v.name, hostPath: dir, readOnly: true });
          break;
        }
        case 'hostPath': {
          const p = v.hostPath!.path;
          await checkHostPathType(p, v.hostPath!.type);
          prepared.set(v.name, { name: v.name, hostPath: p, readOnly: false });
          break;
        }
        case 'persistentVolumeClaim': {
          const claim = v.persistentVolumeClaim!;
          const bound = opts.claimPath ? await opts.claimPath(ns, claim.claimName) : undefined;
          if (!bound) throw new Error(`persistentvolumeclaim "${claim.claimName}" is not bound to a volume on this node`);
          prepared.set(v.name, { name: v.name, hostPath: bound.path, readOnly: claim.readOnly === true || bound.readOnly === true });
          break;
        }
        case 'ephemeral': {
          // A generic ephemeral volume is the claim `<pod>-<volume>` the ephemeral-volume controller made.
          const claimName = `${pod.metadata?.name ?? ''}-${v.name}`;
          const bound = opts.claimPath ? await opts.claimPath(ns, claimName) : undefined;
          if (!bound) throw new Error(`persistentvolumeclaim "${claimName}" is not bound to a volume on this node`);
          prepared.set(v.name, { name: v.name, hostPath: bound.path, readOnly: bound.readOnly === true });
          break;
        }
        default:
          throw new Error('volume type is not supported by this node (emptyDir, configMap, secret, downwardAPI, projected, hostPath, persistentVolumeClaim, ephemeral are)');
      }
    } catch (err) {
      failures.push({ volume: v.name, message: setUpFailedMessage(v.name, err instanceof Error ? err.message : String(err)) });
    }
  }
  if (failures.length > 0) throw new PrepareVolumesError(failures, prepared);
  return prepared;
}

export interface CleanupOptions {
  mounter?: Mounter;
}

/**
 * Unmount and remove what prepareVolumes and containerMounts made under podDir (volumes/, etc-hosts,
 * resolv.conf, hostname, containers/); the pod directory itself is the driver's. Refuses to delete through a
 * mount it could not unmount. hostPath and PVC directories live elsewhere and are never touched.
 */
export async function cleanupVolumes(podDir: string, opts: CleanupOptions = {}): Promise<void> {
  const mounter = opts.mounter ?? new SystemMounter();
  const vdir = volumesDir(podDir);
  for (const mp of await mounter.mountsUnder(vdir)) await mounter.unmount(mp);
  const left = await mounter.mountsUnder(vdir);
  if (left.length > 0) throw new Error(`cannot remove ${vdir}: still mounted: ${left.join(', ')}`);
  await fs.rm(vdir, { recursive: true, force: true });
  for (const f of [etcHostsPath(podDir), resolvConfPath(podDir), hostnamePath(podDir)]) await fs.rm(f, { force: true });
  await fs.rm(containersDir(podDir), { recursive: true, force: true });
}
