/**
 * A container's mounts (kubelet makeMounts + kuberuntime's termination log + the runtime's sandbox files) as OCI
 * runtime-spec mounts: volumeMounts with subPath/subPathExpr, the managed /etc/hosts, /etc/resolv.conf,
 * /etc/hostname and the termination-message file. Errors are CreateContainerConfigError, as upstream's
 * GenerateRunContainerOptions failures are. mountPropagation is not honoured: every bind is rprivate (a
 * HostToContainer/Bidirectional mount needs a shared source mount this node does not set up).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../../client/types.js';
import {
  hostNetworkHostsFile, managedHostsFile, podDNSConfig, podHostnameAndDomain, resolvConfText, type NodeDNS,
} from './etc-files.js';
import { expandSubPathExpr } from './expansion.js';
import { containerDir, etcHostsPath, hostnamePath, resolvConfPath } from './layout.js';
import { VolumeError, type OciMount, type PreparedVolume } from './types.js';

export interface ContainerMountOptions {
  podDir: string;
  /** The container's resolved variables (ResolvedEnv.vars), for subPathExpr. */
  env: ReadonlyMap<string, string>;
  /** status.podIPs; the managed hosts file is mounted only once the pod has an IP (or uses the host network). */
  podIPs: string[];
  /** Cluster DNS and the node's resolv.conf; undefined = no /etc/resolv.conf mount. */
  dns?: Omit<NodeDNS, 'hostResolvConf'> & { hostResolvConf?: string };
  /** Hostname for a hostNetwork pod (the node's); others get spec.hostname or the pod name. */
  nodeHostname?: string;
  /** The node's own hosts file, for hostNetwork pods (default /etc/hosts). */
  nodeHostsPath?: string;
  /** Unique per container instance: the termination-log file name (default 8 random hex digits, as makeUID). */
  instanceId?: string;
}

export interface ContainerMounts {
  mounts: OciMount[];
  /** Host path of this instance's termination-message file (read it after the container exits). */
  terminationLogPath?: string;
  hostname: string;
  /** Events the kubelet records (DNSConfigForming, MissingClusterDNS). */
  warnings: { reason: string; message: string }[];
}

export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';

function bind(destination: string, source: string, readOnly: boolean): OciMount {
  return { destination, source, type: 'bind', options: ['rbind', 'rprivate', readOnly ? 'ro' : 'rw'] };
}

/** subPath as makeMounts validates it: relative, no `..` element. */
export function validateSubPath(subPath: string): void {
  if (subPath.startsWith('/')) throw new Error(`error SubPath \`${subPath}\` must not be an absolute path`);
  if (subPath.split('/').includes('..')) throw new Error(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
}

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith('/') ? root : root + '/');
}

/**
 * The host path a subPath mount binds: created as a directory (the volume's mode) when missing, then resolved
 * through symlinks and refused if that leads out of the volume (PrepareSafeSubpath's guarantee).
 */
export async function resolveSubPath(volumePath: string, subPath: string, mountName: string, containerName: string): Promise<string> {
  validateSubPath(subPath);
  const hostPath = path.join(volumePath, subPath);
  let present = true;
  try {
    await fs.lstat(hostPath);
  } catch {
    present = false;
  }
  if (!present) {
    try {
      const mode = (await fs.stat(volumePath)).mode & 0o7777;
      // Create element by element so no component can be a symlink that leads out (SafeMakeDir).
      let cur = await fs.realpath(volumePath);
      const root = cur;
      for (const part of subPath.split('/').filter((p) => p && p !== '.')) {
        const next = path.join(cur, part);
        try {
          await fs.mkdir(next, { mode });
          await fs.chmod(next, mode);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        cur = await fs.realpath(next);
        if (!within(root, cur)) throw new Error('escapes the volume');
      }
    } catch {
      throw new Error(`failed to create subPath directory for volumeMount "${mountName}" of container "${containerName}"`);
    }
  }
  try {
    const root = await fs.realpath(volumePath);
    const real = await fs.realpath(hostPath);
    if (!within(root, real)) throw new Error('outside');
    return real;
  } catch {
    throw new Error(`failed to prepare subPath for volumeMount "${mountName}" of container "${containerName}"`);
  }
}

/** Mount depth as containerd's orderedMounts sorts: parents before children, stable otherwise. */
function depth(p: string): number {
  return path.normalize(p).split('/').length;
}

async function writeIfChanged(file: string, content: string, mode: number): Promise<void> {
  try {
    if ((await fs.readFile(file, 'utf8')) === content) return;
  } catch {
    /* missing: write it */
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content, { mode });
  await fs.chmod(file, mode);
}

/** Every mount the container gets besides its rootfs, in the order runc should apply them. */
export async function containerMounts(
  podObj: KubeObject,
  container: Container,
  prepared: ReadonlyMap<string, PreparedVolume>,
  opts: ContainerMountOptions,
): Promise<ContainerMounts> {
  const pod = podObj as unknown as Pod;
  const fail = (msg: string): never => {
    throw new VolumeError('CreateContainerConfigError', msg);
  };
  const hostNetwork = pod.spec?.hostNetwork === true;
  const readOnlyRoot = container.securityContext?.readOnlyRootFilesystem === true;
  let names: { hostname: string; domain: string };
  try {
    names = podHostnameAndDomain(pod, opts.dns?.clusterDomain || 'cluster.local');
  } catch (err) {
    return fail((err as Error).message);
  }
  const hostname = hostNetwork && opts.nodeHostname ? opts.nodeHostname : names.hostname;
  const mounts: OciMount[] = [];
  const warnings: ContainerMounts['warnings'] = [];
  let mountHosts = opts.podIPs.length > 0 || hostNetwork;

  for (const vm of container.volumeMounts ?? []) {
    if (vm.mountPath === '/etc/hosts') mountHosts = false;
    const vol = prepared.get(vm.name);
    if (!vol) fail(`cannot find volume "${vm.name}" to mount into container "${container.name}"`);
    let subPath = vm.subPath ?? '';
    try {
      if (vm.subPathExpr) subPath = expandSubPathExpr(vm.subPathExpr, opts.env);
      if (subPath !== '') validateSubPath(subPath);
    } catch (err) {
      fail((err as Error).message);
    }
    let hostPath = vol!.hostPath;
    if (subPath !== '') {
      try {
        hostPath = await resolveSubPath(vol!.hostPath, subPath, vm.name, container.name);
      } catch (err) {
        fail((err as Error).message);
      }
    }
    const dest = path.posix.isAbsolute(vm.mountPath) ? vm.mountPath : '/' + vm.mountPath;
    mounts.push(bind(dest, hostPath, vm.readOnly === true || vol!.readOnly));
  }

  const userPaths = new Set(mounts.map((m) => path.posix.normalize(m.destination)));
  if (mountHosts) {
    const file = etcHostsPath(opts.podDir);
    let content: string;
    if (hostNetwork) {
      try {
        content = hostNetworkHostsFile(await fs.readFile(opts.nodeHostsPath ?? '/etc/hosts', 'utf8'), pod.spec?.hostAliases);
      } catch (err) {
        return fail((err as Error).message);
      }
    } else {
      content = managedHostsFile(opts.podIPs, hostname, names.domain, pod.spec?.hostAliases);
    }
    await writeIfChanged(file, content, 0o644);
    mounts.push(bind('/etc/hosts', file, false));
  }

  // The runtime's sandbox files, unless the container mounts something there itself.
  if (!userPaths.has('/etc/hostname')) {
    const file = hostnamePath(opts.podDir);
    await writeIfChanged(file, hostname + '\n', 0o644);
    mounts.push(bind('/etc/hostname', file, readOnlyRoot));
  }
  if (opts.dns && !userPaths.has('/etc/resolv.conf')) {
    let hostResolv = opts.dns.hostResolvConf;
    if (hostResolv === undefined) {
      try {
        hostResolv = await fs.readFile('/etc/resolv.conf', 'utf8');
      } catch {
        hostResolv = '';
      }
    }
    const r = podDNSConfig(pod, { ...opts.dns, hostResolvConf: hostResolv });
    warnings.push(...r.warnings);
    const file = resolvConfPath(opts.podDir);
    await writeIfChanged(file, resolvConfText(r.config) ?? hostResolv, 0o644);
    mounts.push(bind('/etc/resolv.conf', file, readOnlyRoot));
  }

  let terminationLogPath: string | undefined;
  const tmp = container.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH;
  if (tmp !== '') {
    const dir = containerDir(opts.podDir, container.name);
    await fs.mkdir(dir, { recursive: true, mode: 0o750 });
    terminationLogPath = path.join(dir, opts.instanceId ?? randomBytes(4).toString('hex'));
    await fs.writeFile(terminationLogPath, '', { flag: 'a' });
    await fs.chmod(terminationLogPath, 0o666); // the container's user may be anyone
    mounts.push(bind(path.posix.isAbsolute(tmp) ? tmp : '/' + tmp, terminationLogPath, false));
  }

  const ordered = mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i);
  return { mounts: ordered.map((x) => x.m), terminationLogPath, hostname, warnings };
}
