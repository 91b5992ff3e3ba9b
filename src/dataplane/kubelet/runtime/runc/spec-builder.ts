/**
 * The glue between the pod worker's spec request and buildOciSpec: the pod's cgroup (the kubelet's cgroupfs
 * layout, `<parent>/[burstable|besteffort/]pod<uid>/<container id>`), its hostname, the rootfs' passwd and
 * group files, and the host facts (capabilities, devices, swap accounting) read once per node.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Container } from 'kubernetes-types/core/v1.js';
import type { ImageConfig } from '../../images/types.js';
import { podQOSClass } from '../../pod/qos.js';
import type { Pod } from '../../types.js';
import { podHostnameAndDomain } from '../../volumes/etc-files.js';
import type { OciMount } from '../../volumes/types.js';
import { currentCapabilities, hostDevices, swapAccounting, unifiedOnly } from './host.js';
import { buildOciSpec, OciSpecError, type OciDevice } from './oci-spec.js';
import type { OciSpec } from './types.js';

/** What the pod worker passes per container (structurally its ContainerSpecInput). */
export interface DriverSpecInput {
  pod: Pod;
  container: Record<string, unknown> & { name: string };
  image: { config: ImageConfig };
  /** Absolute path of the container's root filesystem. */
  rootfs: string;
  /** The pod's network namespace; undefined: the node's (hostNetwork). */
  netnsPath?: string;
  /** KEY=VALUE, in the kubelet's order. */
  env: string[];
  /** Volume mounts and the kubelet's files (/etc/hosts, hostname, resolv.conf, termination log) from volumes/. */
  mounts: OciMount[];
  terminationMessageHostPath?: string;
  /** The pod's hostname as volumes/ computed it; setHostnameAsFQDN still makes it the FQDN. */
  hostname?: string;
  /** The runtime id, the cgroup's leaf. */
  containerId: string;
  /** The pod's shared IPC/UTS namespaces and /dev/shm (none: the container's own). */
  shared?: { ipcNamespacePath?: string; utsNamespacePath?: string; shmPath?: string };
}

export interface SpecBuilderOptions {
  /** Relative cgroup parent for this node's pods (e.g. `skiff-<node>`); it nests under the agent's own cgroup. */
  cgroupParent: string;
  /** Node memory capacity (bytes) for Burstable containers' oom_score_adj. */
  nodeMemoryCapacityBytes?: number;
  clusterDomain?: string;
  /** Host facts; read from this machine when omitted. */
  hostCapabilities?: string[];
  hostDevices?: () => OciDevice[];
  swapAccounting?: boolean;
  cgroupNamespace?: boolean;
}

/** The kubelet's pod cgroup under the node parent (cgroupfs driver naming). */
export function podCgroup(parent: string, pod: Pod): string {
  const qos = podQOSClass(pod);
  const level = qos === 'Guaranteed' ? '' : qos === 'Burstable' ? 'burstable/' : 'besteffort/';
  return `${parent}/${level}pod${pod.metadata?.uid ?? 'unknown'}`;
}

/** A regular file of the rootfs (never through a symlink, which could point at the host's), or undefined. */
function rootfsFile(rootfs: string, rel: string): string | undefined {
  const path = join(rootfs, rel);
  try {
    const dir = lstatSync(join(rootfs, 'etc'));
    const st = lstatSync(path);
    if (!dir.isDirectory() || !st.isFile() || st.size > 4 << 20) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The UTS hostname: pod hostname, or its FQDN with setHostnameAsFQDN (at most 64 characters, as the kubelet checks). */
export function utsHostname(pod: Pod, clusterDomain = 'cluster.local'): string {
  let names: { hostname: string; domain: string };
  try {
    names = podHostnameAndDomain(pod, clusterDomain);
  } catch (err) {
    throw new OciSpecError('CreateContainerConfigError', (err as Error).message);
  }
  const spec = pod.spec as { setHostnameAsFQDN?: boolean } | undefined;
  if (spec?.setHostnameAsFQDN !== true || names.domain === '') return names.hostname;
  const fqdn = `${names.hostname}.${names.domain}`;
  if (fqdn.length > 64) {
    throw new OciSpecError(
      'CreateContainerConfigError',
      `failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (64 characters is the max, ${fqdn.length} characters requested)`,
    );
  }
  return fqdn;
}

function wantsFQDN(pod: Pod): boolean {
  return (pod.spec as { setHostnameAsFQDN?: boolean } | undefined)?.setHostnameAsFQDN === true;
}

export function runcSpecBuilder(opts: SpecBuilderOptions): (input: DriverSpecInput) => OciSpec {
  const caps = opts.hostCapabilities ?? currentCapabilities();
  const swap = opts.swapAccounting ?? swapAccounting();
  const cgroupns = opts.cgroupNamespace ?? unifiedOnly();
  let devices: OciDevice[] | undefined;
  const listDevices = opts.hostDevices ?? hostDevices;
  return (input) => {
    const container = input.container as unknown as Container;
    const privileged = container.securityContext?.privileged === true;
    if (privileged && devices === undefined) devices = listDevices();
    return buildOciSpec({
      pod: input.pod,
      container,
      image: input.image.config,
      env: input.env.map((kv) => {
        const eq = kv.indexOf('=');
        return eq < 0 ? { name: kv, value: '' } : { name: kv.slice(0, eq), value: kv.slice(eq + 1) };
      }),
      mounts: input.mounts,
      rootfsPath: input.rootfs,
      netnsPath: input.netnsPath,
      hostname: wantsFQDN(input.pod) || input.hostname === undefined ? utsHostname(input.pod, opts.clusterDomain) : input.hostname,
      cgroupsPath: `${podCgroup(opts.cgroupParent, input.pod)}/${input.containerId}`,
      terminationMessageHostPath: input.terminationMessageHostPath,
      passwd: rootfsFile(input.rootfs, 'etc/passwd'),
      group: rootfsFile(input.rootfs, 'etc/group'),
      nodeMemoryCapacityBytes: opts.nodeMemoryCapacityBytes,
      swapAccounting: swap,
      cgroupNamespace: cgroupns,
      hostCapabilities: caps,
      hostDevices: privileged ? devices : undefined,
      ...(input.shared ?? {}),
    });
  };
}
