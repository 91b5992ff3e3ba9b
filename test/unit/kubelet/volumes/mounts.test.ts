import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { containerMounts, validateSubPath, type ContainerMountOptions } from '../../../../src/dataplane/kubelet/volumes/mounts.js';
import { prepareVolumes } from '../../../../src/dataplane/kubelet/volumes/prepare.js';
import { VolumeError, type PreparedVolume } from '../../../../src/dataplane/kubelet/volumes/types.js';
import { FakeMounter, MemorySource } from './fixtures.js';

let tmp: string;
let podDir: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-mnt-'));
  podDir = path.join(tmp, 'pods', 'u-1');
  await fs.mkdir(podDir, { recursive: true });
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const pod: Pod = {
  metadata: { name: 'web-0', namespace: 'shop', uid: 'u-1' },
  spec: {
    containers: [],
    hostAliases: [{ ip: '1.2.3.4', hostnames: ['alias'] }],
    volumes: [
      { name: 'data', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'cfg' } },
    ],
  },
};

async function prepared() {
  const src = new MemorySource().put('configmap', 'shop', 'cfg', { data: { 'app.conf': 'x=1' } });
  return prepareVolumes(pod, podDir, src, { allocatable: { memory: '1Gi' }, mounter: new FakeMounter() });
}

function opts(extra: Partial<ContainerMountOptions> = {}): ContainerMountOptions {
  return {
    podDir,
    env: new Map([['POD_NAME', 'web-0']]),
    podIPs: ['10.244.1.5'],
    dns: { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostResolvConf: 'nameserver 9.9.9.9\n' },
    instanceId: 'abcd1234',
    ...extra,
  };
}

async function error(p: Promise<unknown>): Promise<VolumeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VolumeError);
    expect((e as VolumeError).reason).toBe('CreateContainerConfigError');
    return e as VolumeError;
  }
  throw new Error('expected an error');
}

describe('containerMounts', () => {
  it('binds volumes (API-data volumes read-only), hosts, hostname, resolv.conf and the termination log, parents first', async () => {
    const vols = await prepared();
    const c: Container = {
      name: 'app',
      volumeMounts: [
        { name: 'data', mountPath: '/var/lib/app/cache' },
        { name: 'cfg', mountPath: '/etc/app' },
        { name: 'data', mountPath: '/srv', readOnly: true },
      ],
    };
    const r = await containerMounts(pod, c, vols, opts());
    const rel = (s: string) => (s.startsWith(podDir) ? path.relative(podDir, s) : s);
    expect(r.mounts.map((m) => [m.destination, rel(m.source), m.type, m.options.join(',')])).toEqual([
      ['/srv', 'volumes/kubernetes.io~empty-dir/data', 'bind', 'rbind,rprivate,ro'],
      ['/etc/app', 'volumes/kubernetes.io~configmap/cfg', 'bind', 'rbind,rprivate,ro'],
      ['/etc/hosts', 'etc-hosts', 'bind', 'rbind,rprivate,rw'],
      ['/etc/hostname', 'hostname', 'bind', 'rbind,rprivate,rw'],
      ['/etc/resolv.conf', 'resolv.conf', 'bind', 'rbind,rprivate,rw'],
      ['/dev/termination-log', 'containers/app/abcd1234', 'bind', 'rbind,rprivate,rw'],
      ['/var/lib/app/cache', 'volumes/kubernetes.io~empty-dir/data', 'bind', 'rbind,rprivate,rw'],
    ]);
    expect(await fs.readFile(path.join(podDir, 'etc-hosts'), 'utf8')).toContain('10.244.1.5\tweb-0\n\n# Entries added by HostAliases.\n1.2.3.4\talias\n');
    expect(await fs.readFile(path.join(podDir, 'hostname'), 'utf8')).toBe('web-0\n');
    expect(await fs.readFile(path.join(podDir, 'resolv.conf'), 'utf8')).toBe(
      'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    expect(r.terminationLogPath).toBe(path.join(podDir, 'containers/app/abcd1234'));
    expect((await fs.stat(r.terminationLogPath!)).mode & 0o777).toBe(0o666);
    expect(r.hostname).toBe('web-0');
  });

  it('skips the hosts file until the pod has an IP or when the container mounts its own; honours terminationMessagePath', async () => {
    const vols = await prepared();
    const noIP = await containerMounts(pod, { name: 'a', terminationMessagePath: '/tmp/msg' }, vols, opts({ podIPs: [], dns: undefined }));
    expect(noIP.mounts.map((m) => m.destination)).toEqual(['/etc/hostname', '/tmp/msg']);
    const own = await containerMounts(pod, { name: 'b', terminationMessagePath: '', volumeMounts: [{ name: 'data', mountPath: '/etc/hosts', subPath: 'hosts' }] }, vols, opts({ dns: undefined }));
    expect(own.mounts.map((m) => m.destination)).toEqual(['/etc/hosts', '/etc/hostname']);
    expect(own.terminationLogPath).toBeUndefined();
  });

  it('readOnlyRootFilesystem makes the sandbox files read-only, as containerd does', async () => {
    const r = await containerMounts(pod, { name: 'a', securityContext: { readOnlyRootFilesystem: true } }, new Map(), opts());
    const ro = Object.fromEntries(r.mounts.map((m) => [m.destination, m.options.includes('ro')]));
    expect(ro).toEqual({ '/etc/hosts': false, '/etc/hostname': true, '/etc/resolv.conf': true, '/dev/termination-log': false });
  });

  it('subPath and subPathExpr: created inside the volume, file keys of configMaps resolve through the symlinks', async () => {
    const vols = await prepared();
    const c: Container = {
      name: 'app',
      volumeMounts: [
        { name: 'data', mountPath: '/logs', subPathExpr: 'logs/$(POD_NAME)' },
        { name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' },
      ],
    };
    const r = await containerMounts(pod, c, vols, opts({ dns: undefined, podIPs: [] }));
    const logs = r.mounts.find((m) => m.destination === '/logs')!;
    expect(logs.source).toBe(path.join(await fs.realpath(vols.get('data')!.hostPath), 'logs/web-0'));
    expect((await fs.stat(logs.source)).isDirectory()).toBe(true);
    expect((await fs.stat(logs.source)).mode & 0o777).toBe(0o777);
    const conf = r.mounts.find((m) => m.destination === '/etc/app.conf')!;
    expect(conf.source).toMatch(/kubernetes\.io~configmap\/cfg\/\.\.2\d{3}_.*\/app\.conf$/);
    expect(await fs.readFile(conf.source, 'utf8')).toBe('x=1');
  });

  it("rejects bad subPaths with upstream's messages", async () => {
    const vols = await prepared();
    const mount = (vm: Container['volumeMounts']) => containerMounts(pod, { name: 'app', volumeMounts: vm }, vols, opts());
    expect((await error(mount([{ name: 'data', mountPath: '/x', subPath: '/abs' }]))).message).toBe('error SubPath `/abs` must not be an absolute path');
    expect((await error(mount([{ name: 'data', mountPath: '/x', subPath: 'a/../../etc' }]))).message).toBe("unable to provision SubPath `a/../../etc`: must not contain '..'");
    expect((await error(mount([{ name: 'data', mountPath: '/x', subPathExpr: '$(NOPE)/x' }]))).message).toBe('missing value for NOPE');
    const up = containerMounts(pod, { name: 'app', volumeMounts: [{ name: 'data', mountPath: '/x', subPathExpr: '$(UP)' }] }, vols, opts({ env: new Map([['UP', '..']]) }));
    expect((await error(up)).message).toBe("unable to provision SubPath `..`: must not contain '..'");
    expect((await error(mount([{ name: 'nope', mountPath: '/x' }]))).message).toBe('cannot find volume "nope" to mount into container "app"');
    // A symlink inside the volume that leads out is refused without saying where it led.
    await fs.symlink('/etc', path.join(vols.get('data')!.hostPath, 'escape'));
    expect((await error(mount([{ name: 'data', mountPath: '/x', subPath: 'escape' }]))).message).toBe('failed to prepare subPath for volumeMount "data" of container "app"');
    expect((await error(mount([{ name: 'data', mountPath: '/x', subPath: 'escape/newdir' }]))).message).toBe('failed to create subPath directory for volumeMount "data" of container "app"');
    await expect(fs.stat('/etc/newdir')).rejects.toThrow();
  });

  it('validateSubPath allows dots inside names', () => {
    expect(() => validateSubPath('a/..b/c..')).not.toThrow();
    expect(() => validateSubPath('..')).toThrow();
  });

  it('an unprepared volume map entry with a PVC-style readOnly volume is mounted read-only', async () => {
    const vols = new Map<string, PreparedVolume>([['pvc', { name: 'pvc', hostPath: tmp, readOnly: true }]]);
    const r = await containerMounts(pod, { name: 'a', volumeMounts: [{ name: 'pvc', mountPath: '/data' }] }, vols, opts({ dns: undefined, podIPs: [] }));
    expect(r.mounts[0]).toEqual({ destination: '/data', source: tmp, type: 'bind', options: ['rbind', 'rprivate', 'ro'] });
  });
});
