/**
 * The real parts of a runc node, wired for the pod driver: the image store (<dataDir>/images, the one `skiff
 * image load` fills), RuncRuntime, the bridge pod network, volumes/ (prepareVolumes, resolveEnv,
 * containerMounts, cleanupVolumes), the OCI spec generator, and the probe helper in the node's namespace.
 *
 * On disk, under the agent's data dir:
 *   images/                   the node image store (shared by every node of the data dir)
 *   kubelet/<node>/runtime/   runc's root and the supervisors' files
 *   kubelet/<node>/network/   IP leases
 *   kubelet/<node>/pods/<uid> bundles, volumes, etc files, state.json
 *   kubelet/<node>/logs/      <ns>_<pod>_<uid>/<container>/<n>.log
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Container } from 'kubernetes-types/core/v1.js';
import { isNotFound, type RestClient } from '../../../../client/index.js';
import { ConfigMaps, Secrets } from '../../../../client/resources.js';
import type { KubeObject } from '../../../../client/types.js';
import { ImageStore } from '../../images/store.js';
import type { ImageService } from '../../images/types.js';
import { BridgePodNetwork } from '../../network/bridge-network.js';
import { resourceAmount } from '../../pod/quantity.js';
import type { NodeContext } from '../../types.js';
import { cleanupVolumes, containerMounts, prepareVolumes, resolveEnv, type ObjectSource } from '../../volumes/index.js';
import { VolumeError } from '../../volumes/types.js';
import { claimPathResolver, type ClaimSource } from '../../volumes/claim-path.js';
import { apiClaimSource } from './claim-source.js';
import { TokenManager } from '../../volumes/token-manager.js';
import { runcSpecBuilder } from './spec-builder.js';
import type { ContainerSpecInput, PodNamespaces, PodVolumes, RuncDeps } from './pod-worker-deps.js';
import { NftHostPorts } from './host-ports.js';
import { HelperNetChecker } from './probe-net.js';
import { RuncRuntime } from './runc.js';
import { sharedLauncher } from './launcher.js';


export interface RealNodeOptions {
  /** The agent's data dir (see above). */
  dataDir: string;
  /** Start of runc ids, cgroup paths and network namespace names (default `skiff-`; tests `skiff-t-…`). */
  prefix?: string;
  /** The API (Secrets and ConfigMaps for env, volumes and pull secrets). */
  client: RestClient;
  /** Services for the service-link variables (all namespaces); undefined: none. */
  services?: () => readonly KubeObject[] | undefined;
  /** kube-dns Service IPs (--cluster-dns) and the cluster domain; empty: pods get the node's resolv.conf. */
  clusterDNS?: string[];
  clusterDomain?: string;
  /** Another image service (tests); default the store in <dataDir>/images. */
  images?: ImageService;
  /** The node's IP for hostNetwork pods (default the node's InternalIP). */
  nodeIP?: string;
  /** A namespace the user made for the node (`--netns NAME`) instead of <prefix>node-<name>. */
  nodeNetns?: string;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/** Secrets and ConfigMaps read straight from the API (404 → undefined). */
export function apiObjectSource(client: RestClient): ObjectSource {
  const get = async (ref: typeof Secrets, ns: string, name: string): Promise<KubeObject | undefined> => {
    try {
      return await client.get(ref, name, ns);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  return { secret: (ns, name) => get(Secrets, ns, name), configMap: (ns, name) => get(ConfigMaps, ns, name) };
}

export function nodeDir(dataDir: string, nodeName: string): string {
  return join(dataDir, 'kubelet', nodeName);
}

async function mountPoints(): Promise<Set<string>> {
  try {
    return new Set((await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? ''));
  } catch {
    return new Set();
  }
}

/**
 * A pod's shared IPC and UTS namespaces as files under <podDir>/sandbox (persistent namespaces, `unshare
 * --ipc=FILE --uts=FILE`, no process needed) and its /dev/shm as a 64 MiB tmpfs, as containerd sizes it: what
 * the pause container holds elsewhere. They outlive an agent restart and go when the pod dir is unmounted.
 */
export const podNamespaces: PodNamespaces = {
  async setUp(podDir) {
    const dir = join(podDir, 'sandbox');
    const ipc = join(dir, 'ipc');
    const uts = join(dir, 'uts');
    const shm = join(dir, 'shm');
    await mkdir(shm, { recursive: true });
    const mounted = await mountPoints();
    const mountShm = ['mount', '-t', 'tmpfs', '-o', 'nosuid,nodev,noexec,mode=1777,size=65536k', 'shm', shm];
    let argv: string[] | undefined = mounted.has(shm) ? undefined : mountShm;
    if (!mounted.has(ipc) || !mounted.has(uts)) {
      await writeFile(ipc, '', { flag: 'a' });
      await writeFile(uts, '', { flag: 'a' });
      // One launch: unshare binds the new namespaces, then execs the tmpfs mount (in the agent's mount namespace;
      // a tmpfs belongs to no IPC namespace) or `true`.
      argv = ['unshare', `--ipc=${ipc}`, `--uts=${uts}`, ...(argv ?? ['true'])];
    }
    if (argv) {
      const r = await sharedLauncher().run(argv);
      if (r.code !== 0) throw new Error(`${argv[0]} for ${podDir}: ${r.stderr.trim() || `exit ${r.code}`}`);
    }
    return { ipcNamespacePath: ipc, utsNamespacePath: uts, shmPath: shm };
  },
};

/** kubelet's words when its Service informer has not listed yet: containers wait (CreateContainerConfigError). */
export const SERVICES_NOT_SYNCED = 'services have not yet been read at least once, cannot construct envvars';

/** volumes/ wired for the pod worker: prepare, env + mounts per container instance, clean-up. */
export function runcPodVolumes(
  objects: ObjectSource, ctx: NodeContext, o: Pick<RealNodeOptions, 'services' | 'clusterDNS' | 'clusterDomain'>, claims?: ClaimSource, tokens?: TokenManager,
): PodVolumes {
  // PVC volumes: the claim's bound volume (a local-path hostPath PV) on this node; without a source they fail to mount.
  const claimPath = claims ? claimPathResolver(claims, { name: ctx.nodeName }) : undefined;
  return {
    prepare: (pod, podDir) => prepareVolumes(pod, podDir, objects, { allocatable: ctx.allocatable, ...(claimPath ? { claimPath } : {}), ...(tokens ? { token: tokens.provider } : {}) }),
    async containerConfig(pod, container, prepared, c) {
      const podIPs = c.podIP ? [c.podIP] : [];
      let services: readonly KubeObject[] | undefined;
      if (o.services) {
        // Service links (and KUBERNETES_SERVICE_HOST/PORT, always) need the node's Service list, as the kubelet's.
        services = o.services();
        if (services === undefined) throw new VolumeError('CreateContainerConfigError', SERVICES_NOT_SYNCED);
      }
      // The container's own variables (makeEnvironmentVariables); the spec lays them over PATH, HOSTNAME and the
      // image's env exactly once (oci-spec.ts), so the image env is not merged here.
      const resolved = await resolveEnv(pod, container as unknown as Container, objects, [], {
        podIPs,
        hostIPs: [c.hostIP],
        allocatable: ctx.allocatable,
        ...(services ? { services } : {}),
      });
      const m = await containerMounts(pod, container as unknown as Container, prepared, {
        podDir: c.podDir,
        env: resolved.vars,
        podIPs,
        dns: { clusterDNS: o.clusterDNS ?? [], clusterDomain: o.clusterDomain ?? 'cluster.local', nodeIPs: [c.hostIP] },
        nodeHostname: c.nodeName,
        instanceId: c.instanceId,
      });
      return { env: [...resolved.vars].map(([k, v]) => `${k}=${v}`), mounts: m.mounts, terminationLogPath: m.terminationLogPath, hostname: m.hostname };
    },
    async cleanup(podDir) {
      await cleanupVolumes(podDir);
      // The pod dir is pods/<uid>: its cached tokens go with it (upstream's DeleteServiceAccountToken).
      tokens?.forgetPod(basename(podDir));
    },
  };
}

/** The runc driver's deps for one node (the `deps` option of runcPodDriverFactory). */
export function realRuncDeps(o: RealNodeOptions): (ctx: NodeContext) => RuncDeps {
  const prefix = o.prefix ?? 'skiff-';
  const images = o.images ?? new ImageStore({ root: join(o.dataDir, 'images') });
  return (ctx) => {
    const dir = nodeDir(o.dataDir, ctx.nodeName);
    const objects = apiObjectSource(o.client);
    const network = new BridgePodNetwork({ stateDir: join(dir, 'network'), prefix, nodeIP: o.nodeIP ?? ctx.hostIP, ...(o.nodeNetns ? { nodeNetns: o.nodeNetns } : {}) });
    const runtime = new RuncRuntime({ dataDir: join(dir, 'runtime') });
    const memory = resourceAmount('memory', ctx.allocatable.memory ?? '0');
    // Projected serviceAccountToken sources: bound tokens from TokenRequest, cached and refreshed (token-manager.ts).
    const tokens = new TokenManager((method, path, body) => o.client.request(method, path, body));
    const volumes = runcPodVolumes(objects, ctx, o, apiClaimSource(o.client), tokens);
    // The spec builder reads the capabilities this process holds (privileged grants those, never more: runc refuses
    // caps it cannot apply) and each rootfs' passwd/group without following symlinks out of the image.
    const build = runcSpecBuilder({
      cgroupParent: `${prefix}pods`,
      ...(memory > 0 ? { nodeMemoryCapacityBytes: memory } : {}),
      ...(o.clusterDomain ? { clusterDomain: o.clusterDomain } : {}),
    });
    const buildSpec = (i: ContainerSpecInput) => build(i);
    const checker = new HelperNetChecker(() => network.nodeNetnsPath());
    // hostPorts are DNATed in the node's namespace only (none on a node in the host's namespace).
    const hostPorts = new NftHostPorts({ netns: () => network.nodeNetnsName() ?? undefined, log: (level, msg, fields) => o.log?.(level, msg, fields) });
    return { runtime, images, network, volumes, buildSpec, checker, objects, namespaces: podNamespaces, hostPorts };
  };
}
