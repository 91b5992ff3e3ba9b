/**
 * A container's OCI runtime spec (config.json), from the pod, the container, its image config and what the
 * driver prepared (env, mounts, rootfs, netns, cgroup). Pure: no I/O; files the answer depends on (the rootfs'
 * /etc/passwd and /etc/group) come in as text.
 *
 * Semantics are the kubelet's (kuberuntime: generateContainerConfig, determineEffectiveSecurityContext,
 * generateLinuxContainerResources, verifyRunAsNonRoot) followed by containerd's CRI plugin (WithProcessArgs,
 * WithCapabilities, WithUser, default spec), since a Kubernetes pod on runc is what users compare against.
 * Hence the default capabilities are containerd's 14, not the 3 of `runc spec`.
 */
import { hostname as osHostname } from 'node:os';
import type { Container, PodSecurityContext, SecurityContext } from 'kubernetes-types/core/v1.js';
import type { ImageConfig } from '../../images/types.js';
import { podQOSClass } from '../../pod/qos.js';
import { quantityScaled } from '../../pod/quantity.js';
import type { Pod } from '../../types.js';
import type { OciMount } from '../../volumes/types.js';
import type { OciSpec } from './types.js';

/** Why no spec could be made, with the waiting reason the kubelet reports. */
export class OciSpecError extends Error {
  constructor(readonly reason: 'CreateContainerConfigError' | 'CreateContainerError', message: string) {
    super(message);
    this.name = 'OciSpecError';
  }
}

export interface OciDevice {
  path: string;
  type: 'c' | 'b' | 'p' | 'u';
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface ContainerSpecInput {
  pod: Pod;
  container: Container;
  image: ImageConfig;
  /** The container's resolved environment (env, envFrom, downward API, service links), in the kubelet's order. */
  env: { name: string; value: string }[];
  /** Volume mounts (already resolved to host paths), from volumes/. */
  mounts: OciMount[];
  rootfsPath: string;
  /** Network namespace to join; undefined → no network namespace entry (the runtime's own, e.g. the node's). */
  netnsPath?: string;
  /** Pod hostname (pod name or spec.hostname); ignored for hostNetwork pods, which keep the host's UTS namespace. */
  hostname: string;
  /** The machine's hostname, a hostNetwork pod's HOSTNAME (default os.hostname()). */
  machineHostname?: string;
  /** runc cgroupsPath; a relative path nests under the cgroup of the process that runs runc. */
  cgroupsPath: string;
  /** Host files bound over /etc/hosts, /etc/hostname, /etc/resolv.conf when given. */
  etcHostsPath?: string;
  etcHostnamePath?: string;
  resolvConfPath?: string;
  /** Host file bound at container.terminationMessagePath (default /dev/termination-log). */
  terminationMessageHostPath?: string;
  /** Contents of the rootfs' /etc/passwd and /etc/group, to resolve user names and primary/extra groups. */
  passwd?: string;
  group?: string;
  /** Node memory capacity in bytes, for a Burstable container's oom_score_adj; without it none is set. */
  nodeMemoryCapacityBytes?: number;
  /** The memory controller accounts swap (v1 memory.memsw.*, v2 memory.swap.max): limit swap to the memory limit. */
  swapAccounting?: boolean;
  /** Give the container its own cgroup namespace (what containerd does on cgroup v2). */
  cgroupNamespace?: boolean;
  /** Host devices a privileged container gets (containerd's WithHostDevices); the caller lists /dev (host.ts). */
  hostDevices?: OciDevice[];
  /**
   * The pod sandbox's namespaces to join instead of new ones (what containerd's pause container gives: one IPC
   * and UTS namespace per pod; a PID namespace with shareProcessNamespace), and its /dev/shm directory.
   */
  ipcNamespacePath?: string;
  utsNamespacePath?: string;
  pidNamespacePath?: string;
  shmPath?: string;
  /** Capabilities the runtime itself holds (its bounding set, host.ts): what privileged and "ALL" grant. Default: all. */
  hostCapabilities?: string[];
}

// containerd's default set (oci.populateDefaultUnixSpec), what a pod without capabilities gets.
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

// Every capability of Linux 5.9+ (0..40), in number order (index = capability number). Privileged and "ALL"
// grant those the runtime holds (containerd: cap.Current()), which is this list on an unrestricted host.
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

export const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';

// kubelet cm constants (helpers_linux.go)
const MIN_SHARES = 2;
const MAX_SHARES = 262144;
const SHARES_PER_CPU = 1024;
export const QUOTA_PERIOD = 100000;
const MIN_QUOTA_PERIOD = 1000;
// kubelet qos/policy.go
const GUARANTEED_OOM_SCORE_ADJ = -997;
const BEST_EFFORT_OOM_SCORE_ADJ = 1000;

/** cpu.shares for a CPU request in millicores (kubelet MilliCPUToShares). */
export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU <= 0) return MIN_SHARES;
  const shares = Math.floor((milliCPU * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** CFS quota (µs per period) for a CPU limit in millicores; 0 means no quota (kubelet milliCPUToQuota). */
export function milliCPUToQuota(milliCPU: number, period = QUOTA_PERIOD): number {
  if (milliCPU <= 0) return 0;
  const quota = Math.floor((milliCPU * period) / 1000);
  return Math.max(MIN_QUOTA_PERIOD, quota);
}

/** Kubernetes' $(VAR) expansion of command and args against the container's env (third_party/forked/golang/expansion). */
export function expandVars(input: string, vars: Map<string, string>): string {
  let out = '';
  let checkpoint = 0;
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== '$' || i + 1 >= input.length) continue;
    out += input.slice(checkpoint, i);
    const next = input[i + 1];
    let advance = 1;
    if (next === '$') out += '$';
    else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) out += '$(';
      else {
        const name = input.slice(i + 2, close);
        out += vars.has(name) ? vars.get(name)! : `$(${name})`;
        advance = close - i;
      }
    } else out += '$' + next;
    i += advance;
    checkpoint = i + 1;
  }
  return out + input.slice(checkpoint);
}

/** process.args: command/args over the image's Entrypoint/Cmd, after $(VAR) expansion (kubelet + containerd WithProcessArgs). */
export function processArgs(container: Container, image: ImageConfig, vars: Map<string, string>): string[] {
  const command = (container.command ?? []).map((s) => expandVars(s, vars));
  let args = (container.args ?? []).map((s) => expandVars(s, vars));
  let cmd = command;
  if (cmd.length === 0) {
    // args alone replace Cmd and keep Entrypoint; nothing given runs Entrypoint + Cmd. An Entrypoint of [""] means none.
    if (args.length === 0) args = [...image.cmd];
    if (!(image.entrypoint.length === 1 && image.entrypoint[0] === '')) cmd = [...image.entrypoint];
  }
  const argv = [...cmd, ...args];
  if (argv.length === 0) throw new OciSpecError('CreateContainerError', 'failed to generate container spec: no command specified');
  return argv;
}

/** Container securityContext over the pod's, field by field (securitycontext.DetermineEffectiveSecurityContext). */
export function effectiveSecurityContext(pod: Pod, container: Container): SecurityContext & { supplementalGroups?: number[]; fsGroup?: number; sysctls?: { name: string; value: string }[] } {
  const podSc = ((pod.spec as { securityContext?: PodSecurityContext } | undefined)?.securityContext ?? {}) as PodSecurityContext;
  const sc = container.securityContext ?? {};
  return {
    ...sc,
    runAsUser: sc.runAsUser ?? podSc.runAsUser,
    runAsGroup: sc.runAsGroup ?? podSc.runAsGroup,
    runAsNonRoot: sc.runAsNonRoot ?? podSc.runAsNonRoot,
    seLinuxOptions: sc.seLinuxOptions ?? podSc.seLinuxOptions,
    seccompProfile: sc.seccompProfile ?? podSc.seccompProfile,
    supplementalGroups: podSc.supplementalGroups,
    fsGroup: podSc.fsGroup,
    sysctls: podSc.sysctls,
  };
}

function podRef(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
}

/** The image's USER split as the kubelet reads it: a numeric uid, or a name; no USER is uid 0. */
export function imageUser(user: string): { uid?: number; username?: string; group?: string } {
  if (user === '') return { uid: 0 };
  const [u = '', g] = user.split(':', 2);
  const group = g === undefined || g === '' ? undefined : g;
  return /^\d+$/.test(u) ? { uid: Number(u), group } : { username: u, group };
}

/** runAsNonRoot's check (kuberuntime verifyRunAsNonRoot); its failure is CreateContainerConfigError. */
export function verifyRunAsNonRoot(pod: Pod, container: Container, image: ImageConfig): void {
  const sc = effectiveSecurityContext(pod, container);
  if (sc.runAsNonRoot !== true) return;
  if (sc.runAsUser !== undefined && sc.runAsUser !== null) {
    if (sc.runAsUser === 0) {
      throw new OciSpecError('CreateContainerConfigError', `container's runAsUser breaks non-root policy (pod: "${podRef(pod)}", container: ${container.name})`);
    }
    return;
  }
  const u = imageUser(image.user);
  if (u.uid === 0) {
    throw new OciSpecError('CreateContainerConfigError', `container has runAsNonRoot and image will run as root (pod: "${podRef(pod)}", container: ${container.name})`);
  }
  if (u.uid === undefined && u.username) {
    throw new OciSpecError(
      'CreateContainerConfigError',
      `container has runAsNonRoot and image has non-numeric user (${u.username}), cannot verify user is non-root (pod: "${podRef(pod)}", container: ${container.name})`,
    );
  }
}

interface PasswdEntry { name: string; uid: number; gid: number }
interface GroupEntry { name: string; gid: number; members: string[] }

function parsePasswd(text: string | undefined): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) out.push({ name: f[0]!, uid, gid });
  }
  return out;
}

function parseGroup(text: string | undefined): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (Number.isInteger(gid)) out.push({ name: f[0]!, gid, members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

/**
 * process.user: uid from runAsUser (container over pod) or the image's USER; gid from runAsGroup, else the
 * image's group, else the user's primary group in /etc/passwd, else 0; additional gids: the user's groups in
 * /etc/group, then supplementalGroups and fsGroup (containerd WithUser + WithAdditionalGIDs, kubelet's groups).
 */
export function processUser(input: Pick<ContainerSpecInput, 'pod' | 'container' | 'image' | 'passwd' | 'group'>): { uid: number; gid: number; additionalGids?: number[] } {
  const sc = effectiveSecurityContext(input.pod, input.container);
  const passwd = parsePasswd(input.passwd);
  const groups = parseGroup(input.group);
  const img = imageUser(input.image.user);
  let uid: number;
  let groupText: string | undefined;
  if (typeof sc.runAsUser === 'number') uid = sc.runAsUser;
  else if (img.uid !== undefined) {
    uid = img.uid;
    groupText = img.group;
  } else {
    const hit = passwd.find((p) => p.name === img.username);
    if (!hit) throw new OciSpecError('CreateContainerError', `unable to find user ${img.username}: no matching entries in passwd file`);
    uid = hit.uid;
    groupText = img.group;
  }
  const entry = passwd.find((p) => p.uid === uid);
  let gid: number;
  if (typeof sc.runAsGroup === 'number') gid = sc.runAsGroup;
  else if (groupText !== undefined) {
    if (/^\d+$/.test(groupText)) gid = Number(groupText);
    else {
      const g = groups.find((x) => x.name === groupText);
      if (!g) throw new OciSpecError('CreateContainerError', `unable to find group ${groupText}: no matching entries in group file`);
      gid = g.gid;
    }
  } else gid = entry?.gid ?? 0;
  const extra: number[] = [];
  const add = (g: number): void => {
    if (g !== gid && !extra.includes(g)) extra.push(g);
  };
  if (entry) for (const g of groups) if (g.members.includes(entry.name)) add(g.gid);
  for (const g of sc.supplementalGroups ?? []) add(g);
  if (typeof sc.fsGroup === 'number') add(sc.fsGroup);
  return extra.length ? { uid, gid, additionalGids: extra } : { uid, gid };
}

/** Capability list after add/drop: "ALL" first (add then drop), then named adds, then named drops (containerd WithCapabilities). */
export function capabilitySet(sc: SecurityContext, hostCapabilities: string[] = ALL_CAPABILITIES): string[] {
  if (sc.privileged) return [...hostCapabilities];
  const norm = (c: string): string => 'CAP_' + c.toUpperCase().replace(/^CAP_/, '');
  const add = sc.capabilities?.add ?? [];
  const drop = sc.capabilities?.drop ?? [];
  let caps = [...DEFAULT_CAPABILITIES];
  if (add.some((c) => c.toUpperCase() === 'ALL')) caps = [...hostCapabilities];
  if (drop.some((c) => c.toUpperCase() === 'ALL')) caps = [];
  for (const c of add) if (c.toUpperCase() !== 'ALL' && !caps.includes(norm(c))) caps.push(norm(c));
  const dropped = new Set(drop.filter((c) => c.toUpperCase() !== 'ALL').map(norm));
  return caps.filter((c) => !dropped.has(c));
}

/** oom_score_adj by QoS (kubelet qos.GetContainerOOMScoreAdjust); undefined when it cannot be computed. */
export function oomScoreAdj(pod: Pod, container: Container, nodeMemoryCapacityBytes: number | undefined): number | undefined {
  const qos = podQOSClass(pod);
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BEST_EFFORT_OOM_SCORE_ADJ;
  if (!nodeMemoryCapacityBytes || nodeMemoryCapacityBytes <= 0) return undefined;
  const request = quantityScaled(container.resources?.requests?.memory, 0) ?? 0;
  const adj = 1000 - Math.floor((1000 * request) / nodeMemoryCapacityBytes);
  // Burstable stays strictly between Guaranteed and BestEffort.
  if (adj < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adj === BEST_EFFORT_OOM_SCORE_ADJ) return BEST_EFFORT_OOM_SCORE_ADJ - 1;
  return adj;
}

/** linux.resources cpu/memory from requests and limits (kubelet generateLinuxContainerResources). */
export function linuxResources(container: Container, swapAccounting = false): Record<string, unknown> {
  const milli = (v: unknown): number => quantityScaled(v, 3) ?? 0;
  const cpuLimit = milli(container.resources?.limits?.cpu);
  let cpuRequest = milli(container.resources?.requests?.cpu);
  // A limit without a request requests the limit.
  if (cpuRequest === 0 && cpuLimit !== 0) cpuRequest = cpuLimit;
  const cpu: Record<string, number> = { shares: milliCPUToShares(cpuRequest), period: QUOTA_PERIOD };
  const quota = milliCPUToQuota(cpuLimit);
  if (quota !== 0) cpu.quota = quota;
  const out: Record<string, unknown> = { cpu };
  const memLimit = quantityScaled(container.resources?.limits?.memory, 0) ?? 0;
  if (memLimit > 0) {
    // Swap equal to the limit: no swap beyond memory, as containerd sets when swap is accounted.
    out.memory = swapAccounting ? { limit: memLimit, swap: memLimit } : { limit: memLimit };
  }
  return out;
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}

function defaultMounts(privileged: boolean, cgroupNamespace: boolean): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
    // cgroupfs only where the container has its own cgroup namespace; otherwise it would show the host's tree.
    ...(cgroupNamespace
      ? [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'] }]
      : []),
  ];
}

function bind(destination: string, source: string, readOnly: boolean): OciMount {
  return { destination, source, type: 'bind', options: ['rbind', 'rprivate', readOnly ? 'ro' : 'rw'] };
}

/** The annotations runc keeps with the container (`runc state` shows them): which pod and container it is. */
export function containerAnnotations(pod: Pod, container: Container): Record<string, string> {
  return {
    'io.kubernetes.cri.container-type': 'container',
    'io.kubernetes.cri.container-name': container.name,
    'io.kubernetes.cri.sandbox-name': pod.metadata?.name ?? '',
    'io.kubernetes.cri.sandbox-namespace': pod.metadata?.namespace ?? '',
    'io.kubernetes.cri.sandbox-uid': pod.metadata?.uid ?? '',
    'io.kubernetes.cri.image-name': container.image ?? '',
  };
}

/** config.json for one container. Throws OciSpecError (with the kubelet's reason) when the pod asks for the impossible. */
export function buildOciSpec(input: ContainerSpecInput): OciSpec {
  const { pod, container, image } = input;
  const podSpec = (pod.spec ?? {}) as { hostNetwork?: boolean; hostPID?: boolean; hostIPC?: boolean };
  const sc = effectiveSecurityContext(pod, container);
  const privileged = sc.privileged === true;
  verifyRunAsNonRoot(pod, container, image);

  const vars = new Map(input.env.map((e) => [e.name, e.value]));
  const args = processArgs(container, image, vars);

  // Env: default PATH, HOSTNAME, then the image's, then the container's; a later value replaces an earlier one in place.
  const env: string[] = [];
  const index = new Map<string, number>();
  const setEnv = (kv: string): void => {
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, env.length);
      env.push(kv);
    } else env[at] = kv;
  };
  setEnv(`PATH=${DEFAULT_PATH}`);
  // A hostNetwork pod's sandbox has no hostname: containerd then takes the machine's (the pod shares its UTS namespace).
  setEnv(`HOSTNAME=${podSpec.hostNetwork ? input.machineHostname ?? osHostname() : input.hostname}`);
  for (const kv of image.env) setEnv(kv);
  // A terminal gets TERM=xterm (containerd WithTTY), which the container's own env may still change.
  if (container.tty === true) setEnv('TERM=xterm');
  for (const e of input.env) setEnv(`${e.name}=${e.value}`);

  const caps = capabilitySet(sc, input.hostCapabilities);
  const process: Record<string, unknown> = {
    terminal: container.tty === true,
    user: processUser(input),
    args,
    env,
    cwd: container.workingDir || image.workingDir || '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    noNewPrivileges: sc.allowPrivilegeEscalation === false,
  };
  const oom = oomScoreAdj(pod, container, input.nodeMemoryCapacityBytes);
  if (oom !== undefined) process.oomScoreAdj = oom;

  // Mounts: defaults, unless a volume or system file takes their place; then binds, parents before children.
  const volumeDests = new Set(input.mounts.map((m) => m.destination));
  const readOnlyRoot = sc.readOnlyRootFilesystem === true;
  const extra: OciMount[] = [...input.mounts];
  const system: [string, string | undefined, boolean][] = [
    // The kubelet mounts /etc/hosts itself, writable; containerd's hostname and resolv.conf follow the root's mode.
    ['/etc/hosts', input.etcHostsPath, false],
    ['/etc/hostname', input.etcHostnamePath, readOnlyRoot],
    ['/etc/resolv.conf', input.resolvConfPath, readOnlyRoot],
    [container.terminationMessagePath || DEFAULT_TERMINATION_MESSAGE_PATH, input.terminationMessageHostPath, false],
  ];
  // The pod's shared /dev/shm (with its IPC namespace), unless the host's IPC is used or a volume is there.
  if (input.shmPath !== undefined && !podSpec.hostIPC) system.unshift(['/dev/shm', input.shmPath, false]);
  for (const [dest, source, ro] of system) {
    if (source !== undefined && !volumeDests.has(dest)) {
      extra.push(bind(dest, source, ro));
      volumeDests.add(dest);
    }
  }
  const defaults = defaultMounts(privileged, input.cgroupNamespace === true).filter((m) => !volumeDests.has(m.destination));
  extra.sort((a, b) => depth(a.destination) - depth(b.destination)); // stable: same depth keeps the given order
  const mounts = [...defaults, ...extra];

  const ns = (type: string, path: string | undefined): Record<string, string> => (path ? { type, path } : { type });
  const namespaces: Record<string, string>[] = [{ type: 'mount' }];
  if (!podSpec.hostPID) namespaces.push(ns('pid', input.pidNamespacePath));
  if (!podSpec.hostIPC) namespaces.push(ns('ipc', input.ipcNamespacePath));
  if (!podSpec.hostNetwork) namespaces.push(ns('uts', input.utsNamespacePath));
  if (input.netnsPath !== undefined) namespaces.push({ type: 'network', path: input.netnsPath });
  if (input.cgroupNamespace) namespaces.push({ type: 'cgroup' });

  const resources = linuxResources(container, input.swapAccounting);
  resources.devices = privileged ? [{ allow: true, access: 'rwm' }] : [{ allow: false, access: 'rwm' }];

  const linux: Record<string, unknown> = {
    cgroupsPath: input.cgroupsPath,
    namespaces,
    resources,
  };
  const procMountUnmasked = sc.procMount === 'Unmasked';
  if (!privileged && !procMountUnmasked) {
    linux.maskedPaths = [...MASKED_PATHS];
    linux.readonlyPaths = [...READONLY_PATHS];
  }
  if (privileged && input.hostDevices?.length) linux.devices = input.hostDevices;
  if (sc.sysctls?.length) linux.sysctl = Object.fromEntries(sc.sysctls.map((s) => [s.name, s.value]));

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process,
    root: { path: input.rootfsPath, readonly: readOnlyRoot },
    mounts,
    annotations: containerAnnotations(pod, container),
    linux,
  };
  if (!podSpec.hostNetwork) spec.hostname = input.hostname;
  return spec;
}
