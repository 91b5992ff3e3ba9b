/**
 * buildOciSpec's security and resource settings as runc applies them: what a process inside the container sees
 * (capabilities, no_new_privs, uid/gids, read-only root, masked /proc files, cgroup limits). Root only; ids and
 * cgroups are `skiff-t-<run>…`, removed in afterAll.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, PodSecurityContext } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCriLine } from '../../src/dataplane/kubelet/runtime/runc/cri-log.js';
import { currentCapabilities, hostDevices } from '../../src/dataplane/kubelet/runtime/runc/host.js';
import { ALL_CAPABILITIES, buildOciSpec, type ContainerSpecInput } from '../../src/dataplane/kubelet/runtime/runc/oci-spec.js';
import { RuncRuntime } from '../../src/dataplane/kubelet/runtime/runc/runc.js';
import { busyboxRootfs, runcSkipReason, runPrefix } from './runc-fixture.js';

const skip = runcSkipReason();
if (skip) console.warn(`skipping runc spec tests: ${skip}`);

/** The capability bitmask of a list of names, as /proc/<pid>/status prints it (hex). */
function capMask(names: string[]): bigint {
  let m = 0n;
  for (const n of names) m |= 1n << BigInt(ALL_CAPABILITIES.indexOf(n));
  return m;
}

describe.skipIf(skip !== null)('OCI spec applied by runc', () => {
  const run = runPrefix();
  let dir = '';
  let rootfs = '';
  let rt: RuncRuntime;
  const ids: string[] = [];
  let n = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `${run}-`));
    rootfs = await busyboxRootfs(join(dir, 'rootfs'));
    rt = new RuncRuntime({ dataDir: join(dir, 'data') });
  });

  afterAll(async () => {
    for (const id of ids) await rt.remove(id).catch(() => undefined);
    rt.close();
    if (dir) spawnSync('runc', ['--root', join(dir, 'data', 'runc'), 'delete', '-f', ...ids]);
    const own = (await readFile('/proc/self/cgroup', 'utf8')).split('\n').map((l) => l.split(':')[2] ?? '/');
    for (const base of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
      for (const path of new Set(['/', ...own])) await rmdir(join('/sys/fs/cgroup', base, path, run)).catch(() => undefined);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs `script` to completion and returns its exit code and stdout lines (no network namespace needed). */
  async function runScript(c: Partial<Container>, script: string, podSc: PodSecurityContext = {}, extra: Partial<ContainerSpecInput> = {}): Promise<{ code?: number; out: string[] }> {
    const id = `${run}-s${n++}`;
    ids.push(id);
    const container: Container = { name: 'app', image: 'busybox', ...c, command: ['sh', '-c', script] };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [container], securityContext: podSc } };
    const spec = buildOciSpec({
      pod,
      container,
      image: { entrypoint: [], cmd: [], env: [], workingDir: '', user: '' },
      env: [],
      mounts: [],
      rootfsPath: rootfs,
      hostname: 'p',
      cgroupsPath: `${run}/${id}`,
      passwd: await readFile(join(rootfs, 'etc/passwd'), 'utf8'),
      group: await readFile(join(rootfs, 'etc/group'), 'utf8'),
      ...extra,
    });
    const log = join(dir, 'logs', `${id}.log`);
    await rt.run(id, join(dir, 'bundles', id), spec, log);
    const end = Date.now() + 10_000;
    let info = await rt.state(id);
    while (info?.state !== 'stopped' || info.exitCode === undefined) {
      if (Date.now() > end) throw new Error(`${id} did not stop: ${JSON.stringify(info)}`);
      await new Promise((r) => setTimeout(r, 20));
      info = await rt.state(id);
    }
    await rt.remove(id); // waits for the supervisor, so the log is complete
    const out = (await readFile(log, 'utf8')).split('\n').filter(Boolean).map((l) => parseCriLine(l)!).filter((r) => r.stream === 'stdout').map((r) => r.content);
    return { code: info.exitCode, out };
  }

  const status = (out: string[], key: string): string | undefined => out.find((l) => l.startsWith(key + ':'))?.split(/:\s+/)[1];

  it('default: containerd\'s 14 capabilities, root, writable root, masked /proc/timer_list, new pid namespace', async () => {
    const r = await runScript({}, 'cat /proc/self/status; echo pid1=$(cat /proc/1/cmdline | tr "\\0" " "); touch /rootfile && echo wrote; wc -c < /proc/timer_list');
    expect(r.code, r.out.join('\n')).toBe(0);
    const { DEFAULT_CAPABILITIES } = await import('../../src/dataplane/kubelet/runtime/runc/oci-spec.js');
    expect(BigInt('0x' + status(r.out, 'CapEff'))).toBe(capMask(DEFAULT_CAPABILITIES));
    expect(BigInt('0x' + status(r.out, 'CapBnd'))).toBe(capMask(DEFAULT_CAPABILITIES));
    expect(status(r.out, 'NoNewPrivs')).toBe('0');
    expect(status(r.out, 'Uid')?.split('\t')[0]).toBe('0');
    expect(r.out).toContain('wrote');
    expect(r.out.some((l) => l.startsWith('pid1=sh -c'))).toBe(true);
    expect(r.out.at(-1)?.trim()).toBe('0'); // /proc/timer_list is /dev/null inside
  });

  it('securityContext: runAsUser/runAsGroup/supplementalGroups, drop ALL + add, no_new_privs, read-only root', async () => {
    const r = await runScript(
      { securityContext: { runAsUser: 1234, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true } },
      'id; cat /proc/self/status; touch /x 2>/dev/null && echo wrote || echo readonly',
      { runAsGroup: 4321, supplementalGroups: [777] },
    );
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('uid=1234 gid=4321 groups=777');
    expect(status(r.out, 'CapBnd')).toBe(capMask(['CAP_NET_BIND_SERVICE']).toString(16).padStart(16, '0'));
    expect(status(r.out, 'NoNewPrivs')).toBe('1');
    expect(r.out.at(-1)).toBe('readonly');
  });

  it('privileged: every capability this process holds, /proc unmasked, the host\'s devices', async () => {
    const devices = hostDevices();
    const extraDev = devices.find((d) => !['/dev/null', '/dev/zero', '/dev/full', '/dev/tty', '/dev/random', '/dev/urandom', '/dev/console', '/dev/ptmx'].includes(d.path));
    const script = `cat /proc/self/status; wc -c < /proc/timer_list; ${extraDev ? `test -${extraDev.type} ${extraDev.path} && echo hostdev` : 'true'}`;
    const r = await runScript({ securityContext: { privileged: true } }, script, {}, { hostCapabilities: currentCapabilities(), hostDevices: devices });
    expect(r.code, r.out.join('\n')).toBe(0);
    const own = (await readFile('/proc/self/status', 'utf8')).match(/CapBnd:\s+(\w+)/)![1]!;
    expect(status(r.out, 'CapBnd')).toBe(own);
    expect(status(r.out, 'CapEff')).toBe(own);
    expect(Number(r.out.find((l) => /^\s*\d+$/.test(l)))).toBeGreaterThan(0); // timer_list readable
    if (extraDev) expect(r.out).toContain('hostdev');
  });

  it('joins a sandbox\'s IPC and UTS namespaces by path', async () => {
    const id = `${run}-s${n++}`;
    ids.push(id);
    const container: Container = { name: 'pause', command: ['sleep', '30'] };
    const spec = buildOciSpec({
      pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sandbox', namespace: 'd', uid: 'u' }, spec: { containers: [container] } },
      container,
      image: { entrypoint: [], cmd: [], env: [], workingDir: '', user: '' },
      env: [],
      mounts: [],
      rootfsPath: rootfs,
      hostname: 'sandbox',
      cgroupsPath: `${run}/${id}`,
    });
    const pause = await rt.run(id, join(dir, 'bundles', id), spec, join(dir, 'logs', `${id}.log`));
    const { readlink } = await import('node:fs/promises');
    const ipc = await readlink(`/proc/${pause.pid}/ns/ipc`);
    const uts = await readlink(`/proc/${pause.pid}/ns/uts`);
    const r = await runScript({}, 'readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts', {}, {
      ipcNamespacePath: `/proc/${pause.pid}/ns/ipc`,
      utsNamespacePath: `/proc/${pause.pid}/ns/uts`,
    });
    expect(r.code).toBe(0);
    expect(r.out).toEqual([ipc, uts]);
    await rt.remove(id);
  });

  it('resources: cpu shares/quota and memory limit reach the container\'s cgroup', async () => {
    const long = `${run}-s${n++}`;
    ids.push(long);
    const container: Container = { name: 'app', command: ['sleep', '30'], resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '32Mi' } } };
    const spec = buildOciSpec({
      pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd', uid: 'u' }, spec: { containers: [container] } },
      container,
      image: { entrypoint: [], cmd: [], env: [], workingDir: '', user: '' },
      env: [],
      mounts: [],
      rootfsPath: rootfs,
      hostname: 'p',
      cgroupsPath: `${run}/${long}`,
    });
    await rt.run(long, join(dir, 'bundles', long), spec, join(dir, 'logs', `${long}.log`));
    const state = JSON.parse(await readFile(join(dir, 'data', 'runc', long, 'state.json'), 'utf8')) as { cgroup_paths: Record<string, string> };
    const p = state.cgroup_paths;
    const read = async (f: string): Promise<string> => (await readFile(f, 'utf8')).trim();
    if (p.memory) {
      expect(await read(join(p.cpu!, 'cpu.shares'))).toBe('256');
      expect(await read(join(p.cpu!, 'cpu.cfs_quota_us'))).toBe('50000');
      expect(await read(join(p.cpu!, 'cpu.cfs_period_us'))).toBe('100000');
      expect(await read(join(p.memory, 'memory.limit_in_bytes'))).toBe(String(32 * 2 ** 20));
    } else {
      expect(await read(join(p['']!, 'cpu.max'))).toBe('50000 100000');
      expect(await read(join(p['']!, 'memory.max'))).toBe(String(32 * 2 ** 20));
    }
    await rt.remove(long);
  });
});
