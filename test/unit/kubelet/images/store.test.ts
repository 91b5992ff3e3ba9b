import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageStore } from '../../../../src/dataplane/kubelet/images/store.js';
import { ImageError } from '../../../../src/dataplane/kubelet/images/types.js';
import { addImage, hasZstd, sha, tarOf, tarOfDir } from './oci-fixture.js';

let base: string;
let store: ImageStore;
const noNetwork = async (): Promise<Response> => {
  throw new Error('no network in this test');
};

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'skiff-images-'));
  store = new ImageStore({ root: join(base, 'store'), fetch: noNetwork, rootfs: { overlay: false } });
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const app = [[{ name: 'bin/', type: 'directory' as const }, { name: 'bin/app', body: '#!/bin/sh\necho hi\n', mode: 0o755 }]];

async function imageError(p: Promise<unknown>): Promise<ImageError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ImageError) return e;
    throw e;
  }
  throw new Error('expected an ImageError');
}

describe('image store: loading archives', () => {
  it('loads an OCI layout dir and serves it to IfNotPresent and Never without a registry', async () => {
    const layout = join(base, 'layout');
    const built = await addImage(layout, { refName: '127.0.0.1:5000/app:v1', layers: app, entrypoint: ['/bin/app'] });
    expect(await store.load(layout)).toEqual(['127.0.0.1:5000/app:v1']);
    const img = await store.ensure('127.0.0.1:5000/app:v1', { policy: 'IfNotPresent' });
    expect(img.ref).toBe('127.0.0.1:5000/app:v1');
    expect(img.imageID).toBe(`127.0.0.1:5000/app@${built.manifestDigest}`);
    expect(img.config.entrypoint).toEqual(['/bin/app']);
    expect(img.config.env).toEqual(['PATH=/bin']);
    expect(img.layers).toEqual([join(base, 'store', 'layers', 'sha256', built.diffIDs[0]!.slice(7), 'fs')]);
    expect(await readFile(join(img.layers[0]!, 'bin/app'), 'utf8')).toContain('echo hi');
    expect((await store.ensure('127.0.0.1:5000/app:v1', { policy: 'Never' })).imageID).toBe(img.imageID);
    // By digest, from the tag's content.
    expect((await store.ensure(`127.0.0.1:5000/app@${built.manifestDigest}`, { policy: 'Never' })).imageID).toBe(img.imageID);
    // Blobs are stored under their digests.
    expect(await readdir(join(base, 'store', 'blobs', 'sha256'))).toContain(built.configDigest.slice(7));
  });

  it('takes the bare tag of a layout entry with --name, and a tar of the layout', async () => {
    const layout = join(base, 'layout');
    await addImage(layout, { refName: 'v2', layers: app });
    await expect(store.load(layout)).rejects.toThrow(/only by tag "v2"; give a repository with --name/);
    const tarFile = join(base, 'layout.tar');
    await writeFile(tarFile, await tarOfDir(layout));
    expect(await store.load(tarFile, { name: 'example.com/team/app' })).toEqual(['example.com/team/app:v2']);
    // Scratch space is gone after the load.
    expect(await readdir(join(base, 'store', 'tmp'))).toEqual([]);
  });

  it('picks linux/amd64 from a multi-platform index and reports the index digest as the image ID', async () => {
    const layout = join(base, 'layout');
    const built = await addImage(layout, { refName: 'docker.io/library/multi:1', layers: app, multiPlatform: true });
    await store.load(layout);
    const img = await store.ensure('multi:1', { policy: 'Never' });
    expect(img.imageID).toBe(`docker.io/library/multi@${built.targetDigest}`);
    expect(await readFile(join(img.layers[0]!, 'bin/app'), 'utf8')).toContain('echo hi');
    expect(img.names).toEqual([`docker.io/library/multi@${built.targetDigest}`, 'docker.io/library/multi:1']);
  });

  it('loads a docker save tarball', async () => {
    const layer = await tarOf([{ name: 'hello', body: 'world' }]);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/hello'] }, rootfs: { type: 'layers', diff_ids: [sha(layer)] } }));
    const archive = await tarOf([
      { name: 'manifest.json', body: JSON.stringify([{ Config: 'cfg.json', RepoTags: ['hello:1', 'example.com/hello:latest'], Layers: ['abc/layer.tar'] }]) },
      { name: 'cfg.json', body: config },
      { name: 'abc/layer.tar', body: layer },
    ]);
    await writeFile(join(base, 'save.tar'), archive);
    expect(await store.load(join(base, 'save.tar'))).toEqual(['docker.io/library/hello:1', 'example.com/hello:latest']);
    const img = await store.ensure('hello:1', { policy: 'Never' });
    expect(img.config.cmd).toEqual(['/hello']);
    expect(await readFile(join(img.layers[0]!, 'hello'), 'utf8')).toBe('world');
    const list = await store.list();
    expect(list).toHaveLength(1);
    expect(list[0]!.names).toEqual(expect.arrayContaining(['docker.io/library/hello:1', 'example.com/hello:latest']));
  });

  it('shares one unpacked dir for a layer two images have', async () => {
    const layout = join(base, 'layout');
    const base1 = [{ name: 'etc/os-release', body: 'ID=skiff\n' }];
    const a = await addImage(layout, { refName: 'example.com/a:1', layers: [base1, [{ name: 'a', body: 'a' }]] });
    const b = await addImage(layout, { refName: 'example.com/b:1', layers: [base1, [{ name: 'b', body: 'b' }]] });
    await store.load(layout);
    expect(a.diffIDs[0]).toBe(b.diffIDs[0]);
    expect((await readdir(join(base, 'store', 'layers', 'sha256'))).sort()).toEqual([a.diffIDs[0]!, a.diffIDs[1]!, b.diffIDs[1]!].map((d) => d.slice(7)).sort());
    const images = await store.list();
    expect(images.map((i) => i.ref).sort()).toEqual(['example.com/a:1', 'example.com/b:1']);
    expect(images.every((i) => i.sizeBytes > 0)).toBe(true);
  });

  it('refuses a layer whose content does not match the config diff_id', async () => {
    const layout = join(base, 'layout');
    await addImage(layout, { refName: 'example.com/bad:1', layers: app, corruptDiffID: true });
    await expect(store.load(layout)).rejects.toThrow(/does not match the config's diff_id/);
    expect(await readdir(join(base, 'store', 'layers', 'sha256'))).toEqual([]);
  });

  it('refuses a blob whose bytes do not match its digest', async () => {
    const layout = join(base, 'layout');
    const built = await addImage(layout, { refName: 'example.com/tampered:1', layers: app });
    await writeFile(join(layout, 'blobs', 'sha256', built.layerDigests[0]!.slice(7)), 'tampered');
    await expect(store.load(layout)).rejects.toThrow(/unexpected commit digest sha256:[0-9a-f]{64}, expected sha256/);
  });

  it.skipIf(!hasZstd())('unpacks zstd layers', async () => {
    const layout = join(base, 'layout');
    await addImage(layout, { refName: 'example.com/z:1', layers: app, compression: 'zstd' });
    await store.load(layout);
    const img = await store.ensure('example.com/z:1', { policy: 'Never' });
    expect(await readFile(join(img.layers[0]!, 'bin/app'), 'utf8')).toContain('echo hi');
  });
});

describe('image store: the kubelet contract', () => {
  it('fails Never for a missing image with ErrImageNeverPull', async () => {
    const e = await imageError(store.ensure('busybox', { policy: 'Never' }));
    expect(e.reason).toBe('ErrImageNeverPull');
    expect(e.message).toBe('Container image "busybox" is not present with pull policy of Never');
  });

  it('fails a malformed name with InvalidImageName', async () => {
    const e = await imageError(store.ensure('Busybox:latest', { policy: 'IfNotPresent' }));
    expect(e.reason).toBe('InvalidImageName');
    expect(e.message).toBe('Failed to apply default image tag "Busybox:latest": couldn\'t parse image name "Busybox:latest": invalid reference format: repository name (library/Busybox) must be lowercase');
  });

  it('fails a pull with ErrImagePull naming the image and the cause', async () => {
    const e = await imageError(store.ensure('busybox', { policy: 'IfNotPresent' }));
    expect(e.reason).toBe('ErrImagePull');
    expect(e.message).toBe('Failed to pull image "busybox": failed to pull and unpack image "docker.io/library/busybox:latest": failed to resolve reference "docker.io/library/busybox:latest": failed to do request: Get "https://registry-1.docker.io/v2/library/busybox/manifests/latest": no network in this test');
  });

  it('always asks the registry with Always, even when the image is present', async () => {
    const layout = join(base, 'layout');
    await addImage(layout, { refName: 'example.com/app:1', layers: app });
    await store.load(layout);
    const e = await imageError(store.ensure('example.com/app:1', { policy: 'Always' }));
    expect(e.reason).toBe('ErrImagePull');
  });
});

describe('image store: root filesystems by copy', () => {
  it('applies layers in order with whiteouts and opaque dirs, and release removes the copy', async () => {
    const layout = join(base, 'layout');
    await addImage(layout, {
      refName: 'example.com/wh:1',
      layers: [
        [
          { name: 'etc/passwd', body: 'root:x:0:0\n' },
          { name: 'etc/group', body: 'root:x:0:\n' },
          { name: 'var/cache/old', body: 'old' },
          { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
          { name: 'usr/lib/libc', body: 'c' },
          { name: 'bin/tool', body: 'v1' },
          { name: 'bin/tool2', type: 'link', linkname: 'bin/tool' },
        ],
        [
          { name: 'etc/.wh.passwd' },
          { name: 'var/cache/.wh..wh..opq' },
          { name: 'var/cache/new', body: 'new' },
          { name: 'bin/tool', body: 'v2' },
        ],
      ],
    });
    await store.load(layout);
    const img = await store.ensure('example.com/wh:1', { policy: 'Never' });
    const dir = join(base, 'containers', 'c1');
    const rootfs = await store.createRootfs(dir, img);
    expect(rootfs.path).toBe(join(dir, 'rootfs'));
    expect((rootfs as { kind?: string }).kind).toBe('copy');
    await expect(lstat(join(rootfs.path, 'etc/passwd'))).rejects.toThrow();
    expect(await readFile(join(rootfs.path, 'etc/group'), 'utf8')).toBe('root:x:0:\n');
    expect(await readdir(join(rootfs.path, 'var/cache'))).toEqual(['new']);
    expect(await readFile(join(rootfs.path, 'lib/libc'), 'utf8')).toBe('c');
    expect(await readFile(join(rootfs.path, 'bin/tool'), 'utf8')).toBe('v2');
    expect(await readFile(join(rootfs.path, 'bin/tool2'), 'utf8')).toBe('v1');
    // Writes stay in the copy.
    await writeFile(join(rootfs.path, 'etc/group'), 'changed');
    expect(await readFile(join(img.layers[0]!, 'etc/group'), 'utf8')).toBe('root:x:0:\n');
    await expect(store.createRootfs(dir, img)).rejects.toThrow(/is not empty \(still mounted or left over\); release it first/);
    await mkdir(join(dir, 'keep'));
    await rootfs.release();
    await expect(stat(rootfs.path)).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['keep']);
    await rootfs.release();
  });
});
