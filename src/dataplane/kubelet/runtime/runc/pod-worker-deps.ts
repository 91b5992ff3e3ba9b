/**
 * What a runc pod worker drives: the four real parts behind their seams (images, OCI runtime, pod network,
 * volumes/env) plus the spec generator and the probe checker. The driver's factory wires the real ones; unit
 * tests pass fakes.
 */
import type { Clock } from '../../../../client/clock.js';
import type { KubeObject } from '../../../../client/types.js';
import { credentialsFor, type DockerConfig } from '../../images/auth.js';
import type { ImageService, RegistryCredential, StoredImage } from '../../images/types.js';
import type { PodNetwork } from '../../network/types.js';
import type { DriverEvent, Pod } from '../../types.js';
import type { ObjectSource, OciMount, PreparedVolume } from '../../volumes/types.js';
import type { HostPorts } from './host-ports.js';
import type { NetChecker } from './probe-net.js';
import type { ContainerRuntime, OciSpec } from './types.js';

/** A container of the pod spec as JSON (v1.Container). */
export type ContainerJSON = Record<string, unknown> & { name: string };

/** What one container instance gets besides its image: its variables and its mounts. */
export interface ContainerConfig {
  /** The container's own variables (env, envFrom, valueFrom, service links) as KEY=VALUE, in the kubelet's order. */
  env: string[];
  /** Volume mounts, /etc/hosts, /etc/hostname, /etc/resolv.conf and the termination-message file, in order. */
  mounts: OciMount[];
  /** Host path of the termination-message file among the mounts (read after the container exits). */
  terminationLogPath?: string;
  hostname: string;
}

/** Where a container's env and mounts come from (implemented over src/dataplane/kubelet/volumes/). */
export interface PodVolumes {
  /** Prepares the pod's volumes on disk (idempotent); throws VolumeError with reason FailedMount. */
  prepare(pod: Pod, podDir: string): Promise<Map<string, PreparedVolume>>;
  /** Env and mounts for one container instance; throws VolumeError (CreateContainerConfigError). */
  containerConfig(
    pod: Pod,
    container: ContainerJSON,
    prepared: Map<string, PreparedVolume>,
    ctx: { podDir: string; podIP?: string; hostIP: string; nodeName: string; instanceId: string; image: StoredImage },
  ): Promise<ContainerConfig>;
  /** Removes what prepare and containerConfig made under podDir; idempotent. */
  cleanup(podDir: string): Promise<void>;
}

/** What the OCI spec generator needs for one container. */
export interface ContainerSpecInput {
  pod: Pod;
  container: ContainerJSON;
  image: StoredImage;
  /** Absolute path of the container's root filesystem. */
  rootfs: string;
  /** The pod's network namespace (for a hostNetwork pod, the node's). */
  netnsPath?: string;
  env: string[];
  /** Every mount besides the rootfs (volumes, etc files, the termination-message file). */
  mounts: OciMount[];
  hostname: string;
  /** The termination-message file (already among the mounts). */
  terminationMessageHostPath?: string;
  /** Namespaces and /dev/shm shared by the pod's containers (none: each container has its own). */
  shared?: SharedNamespaces;
  /** The runtime id (e.g. for the cgroup path). */
  containerId: string;
  podDir: string;
}

export type SpecBuilder = (input: ContainerSpecInput) => OciSpec;

/** What a pod's containers share besides the network (containerd's pause container gives these). */
export interface SharedNamespaces {
  ipcNamespacePath?: string;
  utsNamespacePath?: string;
  /** The pod's /dev/shm (a tmpfs). */
  shmPath?: string;
}

/** Makes a pod's shared namespaces under its pod dir (idempotent); they go when the pod dir is unmounted and removed. */
export interface PodNamespaces {
  setUp(podDir: string, pod: Pod): Promise<SharedNamespaces>;
}

export interface RuncDeps {
  runtime: ContainerRuntime;
  images: ImageService;
  network: PodNetwork;
  volumes: PodVolumes;
  buildSpec: SpecBuilder;
  /** httpGet/tcpSocket checks from the node's network (probes and hooks). */
  checker: NetChecker;
  /** The pod's shared IPC/UTS namespaces and /dev/shm; without it each container has its own. */
  namespaces?: PodNamespaces;
  /** Reads pull secrets (imagePullSecrets); without it pulls go anonymous. */
  objects?: ObjectSource;
  /** hostPort mappings in the node's namespace; without it hostPorts are not mapped. */
  hostPorts?: HostPorts;
}

export interface WorkerEnv {
  deps: RuncDeps;
  clock: Clock;
  /** Per-node data dir: pods/<uid>/ (bundles, state), logs/. */
  dataDir: string;
  /** Every runtime id starts with it (`skiff-` by default; tests use `skiff-t-…`). */
  idPrefix: string;
  nodeName: string;
  hostIP: string;
  /** How often a running container is checked for an exit (ms) when the runtime has no wait(). */
  pollMs: number;
  /** How often a running pod's configMap/secret/projected/downwardAPI volumes are written again (ms); default 60 s. */
  volumeRefreshMs?: number;
  /** Delay before a failed sandbox/volume/config step is tried again (ms). */
  retryMs: number;
  /** A process is alive (fast path before asking the runtime). */
  pidAlive: (pid: number) => boolean;
  log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /** Records a kubelet Event about a pod (the agent's hook; absent: none). */
  event?: (uid: string, ev: DriverEvent) => void;
}

/**
 * The docker configs of a pod's imagePullSecrets (`.dockerconfigjson`, or the legacy `.dockercfg`), matched per
 * registry host and repository as the kubelet's keyring does (auth.ts credentialsFor: `https://index.docker.io/v1/`
 * stands for docker.io, a longer key wins). A secret that is missing or unreadable is skipped, as the kubelet does.
 */
export async function pullCredentials(pod: Pod, objects: ObjectSource | undefined): Promise<(registryHost: string, repository: string) => RegistryCredential[]> {
  const refs = (pod.spec as { imagePullSecrets?: unknown } | undefined)?.imagePullSecrets;
  const configs: DockerConfig[] = [];
  if (objects && Array.isArray(refs)) {
    const ns = pod.metadata?.namespace ?? 'default';
    for (const r of refs) {
      const name = (r as { name?: unknown })?.name;
      if (typeof name !== 'string' || !name) continue;
      let secret: KubeObject | undefined;
      try {
        secret = await objects.secret(ns, name);
      } catch {
        secret = undefined;
      }
      const data = (secret as { data?: Record<string, string> } | undefined)?.data ?? {};
      const raw = data['.dockerconfigjson'] ?? data['.dockercfg'];
      if (typeof raw !== 'string') continue;
      try {
        const parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as unknown;
        if (parsed && typeof parsed === 'object') configs.push(parsed as DockerConfig);
      } catch {
        continue;
      }
    }
  }
  return (host, repository) => (configs.length ? credentialsFor(configs, host, repository) : []);
}
