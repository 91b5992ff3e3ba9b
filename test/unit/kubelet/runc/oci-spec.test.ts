import { hostname } from 'node:os';
import type { Container } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import type { ImageConfig } from '../../../../src/dataplane/kubelet/images/types.js';
import {
  ALL_CAPABILITIES,
  DEFAULT_CAPABILITIES,
  DEFAULT_PATH,
  MASKED_PATHS,
  buildOciSpec,
  capabilitySet,
  expandVars,
  milliCPUToQuota,
  milliCPUToShares,
  OciSpecError,
  oomScoreAdj,
  processArgs,
  type ContainerSpecInput,
} from '../../../../src/dataplane/kubelet/runtime/runc/oci-spec.js';
import type { Pod } from '../../../../src/dataplane/kubelet/types.js';
import type { OciMount } from '../../../../src/dataplane/kubelet/volumes/types.js';

const IMAGE: ImageConfig = { entrypoint: ['/entry'], cmd: ['c1', 'c2'], env: ['PATH=/img/bin', 'IMG=1'], workingDir: '/img', user: '' };

function pod(spec: Record<string, unknown> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'ns1', uid: 'u-1' }, spec: { containers: [], ...spec } };
}

function input(c: Partial<Container> = {}, over: Partial<ContainerSpecInput> = {}): ContainerSpecInput {
  const container: Container = { name: 'app', image: 'busybox', ...c };
  return {
    pod: pod({ containers: [container] }),
    container,
    image: IMAGE,
    env: [],
    mounts: [],
    rootfsPath: '/data/rootfs/x',
    netnsPath: '/run/netns/skiff-pod-1',
    hostname: 'web',
    cgroupsPath: 'skiff/podu-1/app',
    ...over,
  };
}

type Spec = {
  process: { args: string[]; env: string[]; cwd: string; user: { uid: number; gid: number; additionalGids?: number[] }; capabilities: { bounding: string[]; effective: string[] }; noNewPrivileges: boolean; oomScoreAdj?: number };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations: Record<string, string>;
  linux: { cgroupsPath: string; namespaces: { type: string; path?: string }[]; resources: { cpu: Record<string, number>; memory?: Record<string, number>; devices: unknown[] }; maskedPaths?: string[]; readonlyPaths?: string[]; sysctl?: Record<string, string> };
};
const spec = (i: ContainerSpecInput): Spec => buildOciSpec(i) as unknown as Spec;

describe('process.args (command/args over Entrypoint/Cmd)', () => {
  const vars = new Map<string, string>();
  it('nothing given runs Entrypoint + Cmd', () => {
    expect(processArgs({ name: 'a' }, IMAGE, vars)).toEqual(['/entry', 'c1', 'c2']);
  });
  it('command replaces Entrypoint and drops Cmd', () => {
    expect(processArgs({ name: 'a', command: ['/bin/x'] }, IMAGE, vars)).toEqual(['/bin/x']);
    expect(processArgs({ name: 'a', command: ['/bin/x'], args: ['y'] }, IMAGE, vars)).toEqual(['/bin/x', 'y']);
  });
  it('args alone replace Cmd and keep Entrypoint', () => {
    expect(processArgs({ name: 'a', args: ['a1'] }, IMAGE, vars)).toEqual(['/entry', 'a1']);
  });
  it('an Entrypoint of [""] is none', () => {
    expect(processArgs({ name: 'a' }, { ...IMAGE, entrypoint: [''] }, vars)).toEqual(['c1', 'c2']);
  });
  it('nothing at all is CreateContainerError "no command specified"', () => {
    const err = (() => {
      try {
        processArgs({ name: 'a' }, { ...IMAGE, entrypoint: [], cmd: [] }, vars);
      } catch (e) {
        return e as OciSpecError;
      }
    })();
    expect(err).toBeInstanceOf(OciSpecError);
    expect(err?.reason).toBe('CreateContainerError');
    expect(err?.message).toContain('no command specified');
  });
  it('$(VAR) expands from the container env; $$ escapes; unknown and unterminated stay', () => {
    const v = new Map([['A', 'x'], ['B', '']]);
    expect(expandVars('$(A)-$(B)-$(C)-$$(A)-$(A', v)).toBe('x--$(C)-$(A)-$(A');
    expect(expandVars('a$b$', v)).toBe('a$b$');
    expect(processArgs({ name: 'a', command: ['echo', '$(A)'] }, IMAGE, v)).toEqual(['echo', 'x']);
  });
});

describe('buildOciSpec', () => {
  it('env: default PATH, HOSTNAME, image env replacing in place, then container env', () => {
    const s = spec(input({}, { env: [{ name: 'IMG', value: '2' }, { name: 'K', value: 'v' }] }));
    expect(s.process.env).toEqual(['PATH=/img/bin', 'HOSTNAME=web', 'IMG=2', 'K=v']);
    const s2 = spec(input({}, { image: { ...IMAGE, env: [] } }));
    expect(s2.process.env[0]).toBe(`PATH=${DEFAULT_PATH}`);
  });

  it('tty: a terminal with TERM=xterm unless the container sets TERM', () => {
    const t = buildOciSpec(input({ tty: true })) as unknown as { process: { terminal: boolean; env: string[] } };
    expect(t.process.terminal).toBe(true);
    expect(t.process.env).toContain('TERM=xterm');
    const own = spec(input({ tty: true }, { env: [{ name: 'TERM', value: 'vt100' }] }));
    expect(own.process.env.filter((e) => e.startsWith('TERM='))).toEqual(['TERM=vt100']);
    expect((buildOciSpec(input()) as unknown as { process: { terminal: boolean } }).process.terminal).toBe(false);
  });

  it('cwd: workingDir, else the image\'s, else /', () => {
    expect(spec(input({ workingDir: '/w' })).process.cwd).toBe('/w');
    expect(spec(input()).process.cwd).toBe('/img');
    expect(spec(input({}, { image: { ...IMAGE, workingDir: '' } })).process.cwd).toBe('/');
  });

  it('user: container runAsUser over pod, runAsGroup, supplementalGroups and fsGroup as extra gids', () => {
    const container: Container = { name: 'app', securityContext: { runAsUser: 2000 } };
    const i = input(container, {
      pod: pod({ containers: [container], securityContext: { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000, 3000], fsGroup: 5000 } }),
    });
    expect(spec(i).process.user).toEqual({ uid: 2000, gid: 3000, additionalGids: [4000, 5000] });
  });

  it('user: the image\'s numeric USER with its group; no USER is root', () => {
    expect(spec(input({}, { image: { ...IMAGE, user: '1001:1002' } })).process.user).toEqual({ uid: 1001, gid: 1002 });
    expect(spec(input()).process.user).toEqual({ uid: 0, gid: 0 });
  });

  it('user: names resolve through the rootfs /etc/passwd and /etc/group; primary gid from passwd', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:34:www:/var/www:/bin/false\n';
    const group = 'root:x:0:\nwww:x:34:\nextra:x:99:www,other\n';
    expect(spec(input({}, { image: { ...IMAGE, user: 'www' }, passwd, group })).process.user).toEqual({ uid: 33, gid: 34, additionalGids: [99] });
    expect(spec(input({ securityContext: { runAsUser: 33 } }, { passwd, group })).process.user).toEqual({ uid: 33, gid: 34, additionalGids: [99] });
    expect(() => buildOciSpec(input({}, { image: { ...IMAGE, user: 'ghost' }, passwd, group }))).toThrow(/unable to find user ghost/);
  });

  it('runAsNonRoot: root image, non-numeric user and runAsUser 0 are CreateContainerConfigError', () => {
    const nonRoot = (c: Partial<Container>, image: ImageConfig = IMAGE): OciSpecError | undefined => {
      try {
        buildOciSpec(input({ ...c, securityContext: { runAsNonRoot: true, ...c.securityContext } }, { image }));
      } catch (e) {
        return e as OciSpecError;
      }
      return undefined;
    };
    expect(nonRoot({})?.message).toBe('container has runAsNonRoot and image will run as root (pod: "web_ns1(u-1)", container: app)');
    expect(nonRoot({}, { ...IMAGE, user: 'nobody' })?.message).toBe(
      'container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root (pod: "web_ns1(u-1)", container: app)',
    );
    expect(nonRoot({ securityContext: { runAsUser: 0 } })?.reason).toBe('CreateContainerConfigError');
    expect(nonRoot({ securityContext: { runAsUser: 0 } })?.message).toContain("container's runAsUser breaks non-root policy");
    expect(nonRoot({}, { ...IMAGE, user: '1000' })).toBeUndefined();
  });

  it('capabilities: containerd defaults, add/drop, ALL, privileged', () => {
    expect(capabilitySet({})).toEqual(DEFAULT_CAPABILITIES);
    expect(capabilitySet({ capabilities: { add: ['NET_ADMIN'], drop: ['KILL', 'cap_chown'] } })).toEqual([
      ...DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_KILL' && c !== 'CAP_CHOWN'),
      'CAP_NET_ADMIN',
    ]);
    expect(capabilitySet({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } })).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(capabilitySet({ capabilities: { add: ['ALL'], drop: ['SYS_ADMIN'] } })).toEqual(ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_ADMIN'));
    expect(capabilitySet({ privileged: true, capabilities: { drop: ['ALL'] } })).toEqual(ALL_CAPABILITIES);
    const s = spec(input({ securityContext: { capabilities: { drop: ['ALL'] } } }));
    expect(s.process.capabilities.bounding).toEqual([]);
  });

  it('privileged: all caps, no masked or readonly paths, all devices, sysfs rw, host devices', () => {
    const dev = { path: '/dev/loop0', type: 'b' as const, major: 7, minor: 0 };
    const s = spec(input({ securityContext: { privileged: true } }, { hostDevices: [dev] }));
    expect(s.process.capabilities.effective).toEqual(ALL_CAPABILITIES);
    expect(s.linux.maskedPaths).toBeUndefined();
    expect(s.linux.readonlyPaths).toBeUndefined();
    expect(s.linux.resources.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(s.mounts.find((m) => m.destination === '/sys')?.options).toContain('rw');
    expect((buildOciSpec(input({ securityContext: { privileged: true } }, { hostDevices: [dev] })) as { linux: { devices: unknown[] } }).linux.devices).toEqual([dev]);
    const plain = spec(input());
    expect(plain.linux.maskedPaths).toEqual(MASKED_PATHS);
    expect(plain.linux.readonlyPaths).toContain('/proc/sys');
    expect(plain.linux.resources.devices).toEqual([{ allow: false, access: 'rwm' }]);
    expect(plain.mounts.find((m) => m.destination === '/sys')?.options).toContain('ro');
  });

  it('procMount Unmasked drops masked and readonly paths', () => {
    const s = spec(input({ securityContext: { procMount: 'Unmasked' } }));
    expect(s.linux.maskedPaths).toBeUndefined();
  });

  it('noNewPrivileges only when allowPrivilegeEscalation is false; readOnlyRootFilesystem', () => {
    expect(spec(input()).process.noNewPrivileges).toBe(false);
    expect(spec(input({ securityContext: { allowPrivilegeEscalation: true } })).process.noNewPrivileges).toBe(false);
    expect(spec(input({ securityContext: { allowPrivilegeEscalation: false } })).process.noNewPrivileges).toBe(true);
    expect(spec(input({ securityContext: { readOnlyRootFilesystem: true } })).root).toEqual({ path: '/data/rootfs/x', readonly: true });
    expect(spec(input()).root.readonly).toBe(false);
  });

  it('namespaces: pod netns path, new mount/pid/ipc/uts; hostNetwork/hostPID/hostIPC share', () => {
    const s = spec(input());
    expect(s.linux.namespaces).toEqual([{ type: 'mount' }, { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network', path: '/run/netns/skiff-pod-1' }]);
    expect(s.hostname).toBe('web');
    const c: Container = { name: 'app' };
    const h = spec(input(c, { pod: pod({ containers: [c], hostNetwork: true, hostPID: true, hostIPC: true }), netnsPath: undefined }));
    expect(h.linux.namespaces).toEqual([{ type: 'mount' }]);
    expect(h.hostname).toBeUndefined();
    // HOSTNAME is the machine's, whose UTS namespace the pod shares (containerd's fallback for a sandbox without a hostname).
    expect(h.process.env).toContain(`HOSTNAME=${hostname()}`);
    expect(spec(input(c, { pod: pod({ containers: [c], hostNetwork: true }), netnsPath: undefined, machineHostname: 'node-a' })).process.env).toContain('HOSTNAME=node-a');
  });

  it('pod sandbox namespaces and /dev/shm are joined when given', () => {
    const s = spec(input({}, { ipcNamespacePath: '/proc/9/ns/ipc', utsNamespacePath: '/proc/9/ns/uts', pidNamespacePath: '/proc/9/ns/pid', shmPath: '/pods/u/shm' }));
    expect(s.linux.namespaces).toEqual([
      { type: 'mount' },
      { type: 'pid', path: '/proc/9/ns/pid' },
      { type: 'ipc', path: '/proc/9/ns/ipc' },
      { type: 'uts', path: '/proc/9/ns/uts' },
      { type: 'network', path: '/run/netns/skiff-pod-1' },
    ]);
    const shm = s.mounts.filter((m) => m.destination === '/dev/shm');
    expect(shm).toEqual([{ destination: '/dev/shm', source: '/pods/u/shm', type: 'bind', options: ['rbind', 'rprivate', 'rw'] }]);
    const c: Container = { name: 'app' };
    const hostIpc = spec(input(c, { pod: pod({ containers: [c], hostIPC: true }), shmPath: '/pods/u/shm' }));
    expect(hostIpc.mounts.find((m) => m.destination === '/dev/shm')?.type).toBe('tmpfs');
  });

  it('default mounts: /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys read-only', () => {
    const s = spec(input());
    expect(s.mounts.map((m) => m.destination)).toEqual(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys']);
    expect(s.mounts.find((m) => m.destination === '/dev/pts')).toMatchObject({ type: 'devpts', options: expect.arrayContaining(['newinstance', 'gid=5']) });
  });

  it('system binds and termination message file; volume mounts win and are ordered parents first', () => {
    const vols: OciMount[] = [
      { destination: '/data/sub', source: '/v/b', type: 'bind', options: ['rbind', 'rprivate', 'rw'] },
      { destination: '/data', source: '/v/a', type: 'bind', options: ['rbind', 'rprivate', 'ro'] },
      { destination: '/dev/shm', source: '/v/shm', type: 'bind', options: ['rbind', 'rprivate', 'rw'] },
    ];
    const s = spec(
      input(
        { terminationMessagePath: '/tmp/term', securityContext: { readOnlyRootFilesystem: true } },
        { mounts: vols, etcHostsPath: '/p/hosts', etcHostnamePath: '/p/hostname', resolvConfPath: '/p/resolv.conf', terminationMessageHostPath: '/p/term-app' },
      ),
    );
    const dests = s.mounts.map((m) => m.destination);
    expect(dests).toEqual(['/proc', '/dev', '/dev/pts', '/dev/mqueue', '/sys', '/data', '/data/sub', '/dev/shm', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/tmp/term']);
    const m = (d: string): OciMount | undefined => s.mounts.find((x) => x.destination === d);
    expect(m('/etc/hosts')).toEqual({ destination: '/etc/hosts', source: '/p/hosts', type: 'bind', options: ['rbind', 'rprivate', 'rw'] });
    expect(m('/etc/resolv.conf')?.options).toContain('ro'); // follows readOnlyRootFilesystem
    expect(m('/tmp/term')).toMatchObject({ source: '/p/term-app', options: ['rbind', 'rprivate', 'rw'] });
    expect(m('/dev/shm')?.source).toBe('/v/shm');
    // default termination path
    expect(spec(input({}, { terminationMessageHostPath: '/p/t' })).mounts.at(-1)?.destination).toBe('/dev/termination-log');
    // a volume at /etc/hosts keeps the kubelet's file out
    const own = spec(input({}, { etcHostsPath: '/p/hosts', mounts: [{ destination: '/etc/hosts', source: '/mine', type: 'bind', options: ['rbind'] }] }));
    expect(own.mounts.filter((x) => x.destination === '/etc/hosts').map((x) => x.source)).toEqual(['/mine']);
  });

  it('resources: shares from requests, quota from limits, period 100000, memory limit', () => {
    expect(milliCPUToShares(0)).toBe(2);
    expect(milliCPUToShares(1)).toBe(2);
    expect(milliCPUToShares(250)).toBe(256);
    expect(milliCPUToShares(1000)).toBe(1024);
    expect(milliCPUToShares(1_000_000)).toBe(262144);
    expect(milliCPUToQuota(0)).toBe(0);
    expect(milliCPUToQuota(5)).toBe(1000);
    expect(milliCPUToQuota(500)).toBe(50000);
    const s = spec(input({ resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1500m', memory: '128Mi' } } }));
    expect(s.linux.resources.cpu).toEqual({ shares: 256, period: 100000, quota: 150000 });
    expect(s.linux.resources.memory).toEqual({ limit: 128 * 2 ** 20 });
    const limitOnly = spec(input({ resources: { limits: { cpu: '2' } } }, { swapAccounting: true }));
    expect(limitOnly.linux.resources.cpu).toEqual({ shares: 2048, period: 100000, quota: 200000 });
    expect(limitOnly.linux.resources.memory).toBeUndefined();
    expect(spec(input()).linux.resources.cpu).toEqual({ shares: 2, period: 100000 });
    expect(spec(input({ resources: { limits: { memory: '1Gi' } } }, { swapAccounting: true })).linux.resources.memory).toEqual({ limit: 2 ** 30, swap: 2 ** 30 });
    expect(spec(input()).linux.cgroupsPath).toBe('skiff/podu-1/app');
  });

  it('oom_score_adj by QoS class', () => {
    const mk = (resources: Container['resources']): { p: Pod; c: Container } => {
      const c: Container = { name: 'app', resources };
      return { p: pod({ containers: [c] }), c };
    };
    const g = mk({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } });
    expect(oomScoreAdj(g.p, g.c, 8 * 2 ** 30)).toBe(-997);
    const be = mk(undefined);
    expect(oomScoreAdj(be.p, be.c, 8 * 2 ** 30)).toBe(1000);
    const b = mk({ requests: { memory: '2Gi' } });
    expect(oomScoreAdj(b.p, b.c, 8 * 2 ** 30)).toBe(750);
    expect(oomScoreAdj(b.p, b.c, undefined)).toBeUndefined();
    const big = mk({ requests: { memory: '8Gi' } });
    expect(oomScoreAdj(big.p, big.c, 8 * 2 ** 30)).toBe(3);
    const tiny = mk({ requests: { cpu: '1m' } });
    expect(oomScoreAdj(tiny.p, tiny.c, 8 * 2 ** 30)).toBe(999);
    expect(spec(input({}, { nodeMemoryCapacityBytes: 2 ** 30 })).process.oomScoreAdj).toBe(1000);
  });

  it('sysctls from the pod; annotations name the pod and container', () => {
    const c: Container = { name: 'app', image: 'busybox' };
    const s = spec(input(c, { pod: pod({ containers: [c], securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] } }) }));
    expect(s.linux.sysctl).toEqual({ 'net.ipv4.ip_unprivileged_port_start': '0' });
    expect(s.annotations['io.kubernetes.cri.sandbox-uid']).toBe('u-1');
    expect(s.annotations['io.kubernetes.cri.container-name']).toBe('app');
  });
});
