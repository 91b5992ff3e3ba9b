import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import {
  PrepareVolumesError, cleanupVolumes, emptyDirMemorySize, prepareVolumes, type PrepareOptions,
} from '../../../../src/dataplane/kubelet/volumes/prepare.js';
import { checkHostPathType } from '../../../../src/dataplane/kubelet/volumes/hostpath.js';
import { FakeMounter, MemorySource, b64 } from './fixtures.js';

let tmp: string;
let podDir: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-vol-'));
  podDir = path.join(tmp, 'pods', 'u-1');
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const GiB = 2 ** 30;
const MiB = 2 ** 20;

function podWith(volumes: Volume[], extra: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { name: 'web-0', namespace: 'shop', uid: 'u-1', labels: { app: 'web', 'k8s.io/x': 'y' }, annotations: { a: 'line1\nline2' } },
    spec: { containers: [{ name: 'app', resources: { limits: { memory: '256Mi', cpu: '250m' } } }], volumes, ...extra },
  };
}

function source() {
  return new MemorySource()
    .put('configmap', 'shop', 'cfg', { data: { 'app.conf': 'x=1', other: 'o' }, binaryData: { 'blob.bin': Buffer.from([0, 1, 2]).toString('base64') } })
    .put('secret', 'shop', 'creds', { data: { password: b64('pw'), token: b64('tk') } });
}

function options(mounter = new FakeMounter()): PrepareOptions & { mounter: FakeMounter } {
  return { allocatable: { cpu: '4', memory: '8Gi' }, mounter, now: () => new Date(Date.UTC(2026, 0, 1)) };
}

async function read(p: string) {
  return fs.readFile(p, 'utf8');
}

describe('prepareVolumes', () => {
  it('lays volumes out as the kubelet does and mounts secrets and projected volumes on tmpfs', async () => {
    const o = options();
    const pod = podWith([
      { name: 'scratch', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'creds', secret: { secretName: 'creds' } },
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } }] } },
      { name: 'all', projected: { sources: [{ configMap: { name: 'cfg', items: [{ key: 'other', path: 'cm/other' }] } }, { secret: { name: 'creds', items: [{ key: 'token', path: 'tok', mode: 0o400 }] } }] } },
    ]);
    const vols = await prepareVolumes(pod, podDir, source(), o);
    const base = path.join(podDir, 'volumes');
    expect(Object.fromEntries([...vols].map(([k, v]) => [k, [path.relative(base, v.hostPath), v.readOnly]]))).toEqual({
      scratch: ['kubernetes.io~empty-dir/scratch', false],
      cfg: ['kubernetes.io~configmap/cfg', true],
      creds: ['kubernetes.io~secret/creds', true],
      info: ['kubernetes.io~downward-api/info', true],
      all: ['kubernetes.io~projected/all', true],
    });
    expect((await fs.stat(vols.get('scratch')!.hostPath)).mode & 0o777).toBe(0o777);
    const cfg = vols.get('cfg')!.hostPath;
    expect(await read(path.join(cfg, 'app.conf'))).toBe('x=1');
    expect([...(await fs.readFile(path.join(cfg, 'blob.bin')))]).toEqual([0, 1, 2]);
    expect((await fs.stat(path.join(cfg, 'app.conf'))).mode & 0o777).toBe(0o644);
    expect(await read(path.join(vols.get('creds')!.hostPath, 'password'))).toBe('pw');
    expect(await read(path.join(vols.get('info')!.hostPath, 'labels'))).toBe('app="web"\nk8s.io/x="y"');
    expect(await read(path.join(vols.get('info')!.hostPath, 'mem'))).toBe('256');
    const all = vols.get('all')!.hostPath;
    expect(await read(path.join(all, 'cm/other'))).toBe('o');
    expect((await fs.stat(path.join(all, 'tok'))).mode & 0o777).toBe(0o400);
    // tmpfs for secret and projected only, sized to the pod's memory limit (below allocatable).
    expect([...o.mounter.mounted]).toEqual([
      [vols.get('creds')!.hostPath, 256 * MiB],
      [vols.get('all')!.hostPath, 256 * MiB],
    ]);
  });

  it('emptyDir medium Memory is a tmpfs of the sizeLimit; a second call does not mount again', async () => {
    const o = options();
    const pod = podWith([{ name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }]);
    await prepareVolumes(pod, podDir, source(), o);
    await prepareVolumes(pod, podDir, source(), o);
    expect(o.mounter.log).toEqual([`mount ${path.join(podDir, 'volumes/kubernetes.io~empty-dir/mem')} ${64 * MiB}`]);
  });

  it('sizes memory volumes: allocatable, then the pod limit, then sizeLimit, each only when smaller', () => {
    const alloc = { memory: '1Gi' };
    const noLimit: Pod = { spec: { containers: [{ name: 'a' }] } };
    expect(emptyDirMemorySize(noLimit, alloc)).toBe(GiB);
    expect(emptyDirMemorySize(noLimit, alloc, '2Gi')).toBe(GiB);
    expect(emptyDirMemorySize(noLimit, alloc, '100Mi')).toBe(100 * MiB);
    const limited: Pod = { spec: { containers: [{ name: 'a', resources: { limits: { memory: '100Mi' } } }, { name: 'b', resources: { limits: { memory: '28Mi' } } }] } };
    expect(emptyDirMemorySize(limited, alloc)).toBe(128 * MiB);
    expect(emptyDirMemorySize(limited, alloc, '1Gi')).toBe(128 * MiB);
    const withInit: Pod = { spec: { initContainers: [{ name: 'i', resources: { limits: { memory: '512Mi' } } }], containers: limited.spec!.containers } };
    expect(emptyDirMemorySize(withInit, alloc)).toBe(512 * MiB);
  });

  it('updates API-data volumes in place when the object changes', async () => {
    const o = options();
    const src = source();
    const pod = podWith([{ name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'conf/app.conf' }] } }]);
    const vols = await prepareVolumes(pod, podDir, src, o);
    const file = path.join(vols.get('cfg')!.hostPath, 'conf/app.conf');
    expect(await read(file)).toBe('x=1');
    src.put('configmap', 'shop', 'cfg', { data: { 'app.conf': 'x=2' } });
    await prepareVolumes(pod, podDir, src, o);
    expect(await read(file)).toBe('x=2');
  });

  it('reports each failing volume with the kubelet FailedMount message and still prepares the rest', async () => {
    const o = options();
    const pod = podWith([
      { name: 'ok', emptyDir: {} },
      { name: 'cm', configMap: { name: 'missing' } },
      { name: 'cmopt', configMap: { name: 'missing', optional: true } },
      { name: 'sec', secret: { secretName: 'missing' } },
      { name: 'key', configMap: { name: 'cfg', items: [{ key: 'nope', path: 'x' }] } },
      { name: 'skey', secret: { secretName: 'creds', items: [{ key: 'nope', path: 'x' }] } },
      { name: 'proj', projected: { sources: [{ configMap: { name: 'gone1' } }, { secret: { name: 'gone2' } }] } },
      { name: 'dapi', downwardAPI: { items: [{ path: 'x', fieldRef: { fieldPath: 'spec.nodeName' } }] } },
      { name: 'hp', hostPath: { path: path.join(tmp, 'nope'), type: 'Directory' } },
      { name: 'nfs', nfs: { server: 'x', path: '/' } },
    ]);
    let err: PrepareVolumesError | undefined;
    try {
      await prepareVolumes(pod, podDir, source(), o);
    } catch (e) {
      err = e as PrepareVolumesError;
    }
    expect(err).toBeInstanceOf(PrepareVolumesError);
    expect(err!.reason).toBe('FailedMount');
    expect(err!.failures).toEqual([
      { volume: 'cm', message: 'MountVolume.SetUp failed for volume "cm" : configmap "missing" not found' },
      { volume: 'sec', message: 'MountVolume.SetUp failed for volume "sec" : secret "missing" not found' },
      { volume: 'key', message: 'MountVolume.SetUp failed for volume "key" : configmap references non-existent config key: nope' },
      { volume: 'skey', message: 'MountVolume.SetUp failed for volume "skey" : references non-existent secret key: nope' },
      { volume: 'proj', message: 'MountVolume.SetUp failed for volume "proj" : [configmap "gone1" not found, secret "gone2" not found]' },
      { volume: 'dapi', message: 'MountVolume.SetUp failed for volume "dapi" : unsupported fieldPath: spec.nodeName' },
      { volume: 'hp', message: `MountVolume.SetUp failed for volume "hp" : hostPath ${path.join(tmp, 'nope')} doesn't exist` },
      { volume: 'nfs', message: expect.stringContaining('MountVolume.SetUp failed for volume "nfs" : volume type is not supported') },
    ]);
    expect([...err!.prepared.keys()]).toEqual(['ok', 'cmopt']);
    expect(await fs.readlink(path.join(err!.prepared.get('cmopt')!.hostPath, '..data'))).toMatch(/^\.\.2026_01_01/);
  });

  it('projected serviceAccountToken: from the token provider, left out without one', async () => {
    const pod = podWith([{ name: 'tok', projected: { defaultMode: 0o440, sources: [{ serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds: 600 } }, { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } }]);
    const asked: unknown[] = [];
    const o = { ...options(), token: async (req: unknown) => (asked.push(req), 'jwt-123') };
    const vols = await prepareVolumes(pod, podDir, source(), o);
    const dir = vols.get('tok')!.hostPath;
    expect(await read(path.join(dir, 'token'))).toBe('jwt-123');
    expect((await fs.stat(path.join(dir, 'token'))).mode & 0o777).toBe(0o440);
    expect(asked).toEqual([{ namespace: 'shop', serviceAccountName: 'default', audiences: ['vault'], expirationSeconds: 600, boundPod: { name: 'web-0', uid: 'u-1' } }]);

    await cleanupVolumes(podDir, { mounter: o.mounter });
    const without = await prepareVolumes(pod, podDir, source(), options());
    expect((await fs.readdir(without.get('tok')!.hostPath)).filter((n) => !n.startsWith('..'))).toEqual(['ns']);
  });

  it('cleanupVolumes unmounts tmpfs volumes and removes what it made, leaving hostPath dirs alone', async () => {
    const o = options();
    const hostDir = path.join(tmp, 'host-data');
    const pod = podWith([
      { name: 'mem', emptyDir: { medium: 'Memory' } },
      { name: 'creds', secret: { secretName: 'creds' } },
      { name: 'hp', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
    ]);
    await prepareVolumes(pod, podDir, source(), o);
    expect(o.mounter.mounted.size).toBe(2);
    await fs.writeFile(path.join(podDir, 'etc-hosts'), 'x');
    await fs.writeFile(path.join(podDir, 'keep-me'), 'driver file');
    await cleanupVolumes(podDir, { mounter: o.mounter });
    expect(o.mounter.mounted.size).toBe(0);
    expect(o.mounter.log.filter((l) => l.startsWith('umount'))).toHaveLength(2);
    expect((await fs.readdir(podDir)).sort()).toEqual(['keep-me']);
    expect((await fs.stat(hostDir)).isDirectory()).toBe(true);
    await cleanupVolumes(podDir, { mounter: o.mounter }); // idempotent
    await cleanupVolumes(path.join(tmp, 'never-existed'), { mounter: o.mounter });
  });

  it('cleanupVolumes refuses to delete through a mount it could not unmount', async () => {
    const stuck = new FakeMounter();
    stuck.unmount = async () => {
      throw new Error('umount: target is busy');
    };
    const pod = podWith([{ name: 'mem', emptyDir: { medium: 'Memory' } }]);
    await prepareVolumes(pod, podDir, source(), options(stuck));
    await expect(cleanupVolumes(podDir, { mounter: stuck })).rejects.toThrow('target is busy');
    expect((await fs.stat(path.join(podDir, 'volumes/kubernetes.io~empty-dir/mem'))).isDirectory()).toBe(true);
  });
});

describe('hostPath types', () => {
  it('creates DirectoryOrCreate (0755, with parents) and FileOrCreate (0644, no parents)', async () => {
    const d = path.join(tmp, 'a/b/c');
    await checkHostPathType(d, 'DirectoryOrCreate');
    expect((await fs.stat(d)).isDirectory()).toBe(true);
    const f = path.join(tmp, 'file.txt');
    await checkHostPathType(f, 'FileOrCreate');
    const st = await fs.stat(f);
    expect(st.isFile() && st.size === 0).toBe(true);
    await expect(checkHostPathType(path.join(tmp, 'no/such/file'), 'FileOrCreate')).rejects.toThrow(
      `open ${path.join(tmp, 'no/such/file')}: no such file or directory`,
    );
  });

  it("checks existing paths with upstream's messages", async () => {
    const f = path.join(tmp, 'f');
    await fs.writeFile(f, 'x');
    await checkHostPathType(f, 'File');
    await checkHostPathType(f, 'FileOrCreate');
    await checkHostPathType(tmp, 'Directory');
    await checkHostPathType(path.join(tmp, 'whatever'), '');
    await checkHostPathType('/dev/null', 'CharDevice');
    await expect(checkHostPathType(f, 'Directory')).rejects.toThrow(`hostPath type check failed: ${f} is not a directory, it's a File`);
    await expect(checkHostPathType(f, 'DirectoryOrCreate')).rejects.toThrow(`hostPath type check failed: ${f} is not a directory, it's a File`);
    await expect(checkHostPathType(tmp, 'File')).rejects.toThrow(`hostPath type check failed: ${tmp} is not a file, it's a Directory`);
    await expect(checkHostPathType(f, 'Socket')).rejects.toThrow(`hostPath type check failed: ${f} is not a socket file, it's a File`);
    await expect(checkHostPathType('/dev/null', 'BlockDevice')).rejects.toThrow("hostPath type check failed: /dev/null is not a block device, it's a CharDevice");
    await expect(checkHostPathType(f, 'CharDevice')).rejects.toThrow(`is not a character device, it's a File`);
    await expect(checkHostPathType(path.join(tmp, 'gone'), 'File')).rejects.toThrow(`hostPath ${path.join(tmp, 'gone')} doesn't exist`);
    await expect(checkHostPathType(f, 'Weird')).rejects.toThrow('Weird is an invalid volume type');
  });

  it('recognises sockets, and follows symlinks', async () => {
    const sock = path.join(tmp, 's.sock');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      await checkHostPathType(sock, 'Socket');
      const link = path.join(tmp, 'link');
      await fs.symlink(sock, link);
      await checkHostPathType(link, 'Socket');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
