/**
 * The image store against a real registry: Debian's docker-registry on 127.0.0.1 (storage in a temp dir, ended by
 * PID), images built here from /bin/busybox, pushed with skopeo, pulled back with the store's own client; then an
 * overlay rootfs from the pulled layers. Needs root (overlay mounts, whiteout devices) and the tools.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomUUID, sign } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { access, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore } from '../../src/dataplane/kubelet/images/store.js';
import { ImageError, type StoredImage } from '../../src/dataplane/kubelet/images/types.js';
import { commandPath } from '../setup/commands.js';
import { addImage, busyboxLayer, type BuiltImage } from '../unit/kubelet/images/oci-fixture.js';

function skipReason(): string | null {
  if (process.platform !== 'linux') return 'image dataplane tests need Linux';
  if (process.getuid?.() !== 0) return 'image dataplane tests need root (overlay mounts, whiteout devices)';
  for (const t of ['docker-registry', 'skopeo', 'mount', 'umount']) if (!commandPath(t)) return `image dataplane tests need the '${t}' command`;
  return null;
}
const reason = skipReason();
if (reason) console.warn(`skipping test/dataplane/images-registry.test.ts: ${reason}`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Registry {
  host: string;
  proc: ChildProcess;
}

const started: ChildProcess[] = [];

async function startRegistry(dir: string, extraConfig = ''): Promise<Registry> {
  const port = await freePort();
  const config = join(dir, 'config.yml');
  await writeFile(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'storage')}\nhttp:\n  addr: 127.0.0.1:${port}\n${extraConfig}`);
  const proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited ${proc.exitCode}: ${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.status === 200 || r.status === 401,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on 127.0.0.1:${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host: `127.0.0.1:${port}`, proc };
}

/** Async: the token server answering skopeo lives in this process. */
async function skopeoCopy(src: string, dest: string, extra: string[] = []): Promise<void> {
  const p = spawn('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', ...extra, src, dest], { stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(p);
  let stderr = '';
  p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => p.pid && p.exitCode === null && process.kill(p.pid, 'SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => p.once('close', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`skopeo copy ${src} ${dest}: exit ${code}: ${stderr}`);
}

/** A bcrypt htpasswd line through libc's crypt (libxcrypt), as docker-registry accepts only bcrypt. */
function htpasswdLine(user: string, pass: string): string | null {
  const r = spawnSync('perl', ['-e', 'print crypt($ARGV[0], "\\$2b\\$05\\$abcdefghijklmnopqrstuu")', pass], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.startsWith('$2b$') ? `${user}:${r.stdout}\n` : null;
}

/**
 * A token server for docker-registry's token auth: basic credentials in, a JWT (RS256, x5c = the self-signed
 * cert the registry trusts) granting the asked scope out.
 */
async function startTokenServer(dir: string, user: string, pass: string): Promise<{ url: string; certPath: string; server: Server; issued: string[] }> {
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=skiff-test-token'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  const key = createPrivateKey(await readFile(keyPath));
  const der = new X509Certificate(await readFile(certPath)).raw.toString('base64');
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const issued: string[] = [];
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.headers.authorization !== `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`) {
      res.writeHead(401).end();
      return;
    }
    const access = url.searchParams.getAll('scope').map((s) => {
      const [type, name, actions] = s.split(':');
      return { type, name, actions: (actions ?? '').split(',') };
    });
    issued.push(url.searchParams.getAll('scope').join(' '));
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ typ: 'JWT', alg: 'RS256', x5c: [der] })}.${b64({ iss: 'skiff-test-issuer', sub: user, aud: url.searchParams.get('service'), exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access })}`;
    const token = `${unsigned}.${sign('sha256', Buffer.from(unsigned), key).toString('base64url')}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/token`, certPath, server, issued };
}

describe.skipIf(reason !== null)('image store against docker-registry', () => {
  let base: string;
  let registry: Registry;
  let layout: string;
  let busybox: BuiltImage;
  let multi: BuiltImage;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'skiff-t-images-'));
    layout = join(base, 'layout');
    busybox = await addImage(layout, { refName: 'v1', layers: [await busyboxLayer()], entrypoint: ['/bin/sh', '-c'], cmd: ['echo hello'] });
    multi = await addImage(layout, { refName: 'multi', layers: [await busyboxLayer(), [{ name: 'etc/hostname', body: 'multi\n' }]], multiPlatform: true });
    registry = await startRegistry(await mkdtemp(join(base, 'reg-')));
    await skopeoCopy(`oci:${layout}:v1`, `docker://${registry.host}/skiff/busybox:v1`);
    await skopeoCopy(`oci:${layout}:multi`, `docker://${registry.host}/skiff/multi:1`, ['--all']);
  });

  const servers: Server[] = [];
  afterAll(async () => {
    for (const srv of servers) {
      srv.closeAllConnections();
      srv.close();
    }
    for (const p of started) {
      if (p.exitCode === null && p.pid) process.kill(p.pid, 'SIGTERM');
    }
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('loads the OCI layout it built', async () => {
    const store = new ImageStore({ root: join(base, 'loaded') });
    expect(await store.load(layout, { name: `${registry.host}/skiff/busybox` })).toEqual([`${registry.host}/skiff/busybox:v1`, `${registry.host}/skiff/busybox:multi`]);
    const img = await store.ensure(`${registry.host}/skiff/busybox:v1`, { policy: 'Never' });
    expect(img.imageID).toBe(`${registry.host}/skiff/busybox@${busybox.manifestDigest}`);
  });

  it('pulls an image back with its digests, config and layers, and then serves IfNotPresent without the registry', async () => {
    let requests = 0;
    const counting = (u: URL | string, i?: RequestInit): Promise<Response> => {
      requests++;
      return fetch(u, i);
    };
    const store = new ImageStore({ root: join(base, 'pulled'), fetch: counting });
    const ref = `${registry.host}/skiff/busybox:v1`;
    const img = await store.ensure(ref, { policy: 'Always' });
    expect(img.ref).toBe(ref);
    expect(img.imageID).toBe(`${registry.host}/skiff/busybox@${busybox.manifestDigest}`);
    expect(img.names).toEqual([`${registry.host}/skiff/busybox@${busybox.manifestDigest}`, ref]);
    expect(img.config).toEqual({ entrypoint: ['/bin/sh', '-c'], cmd: ['echo hello'], env: ['PATH=/bin'], workingDir: '/', user: '' });
    expect(img.layers).toHaveLength(1);
    expect(img.layers[0]).toContain(busybox.diffIDs[0]!.slice(7));
    expect((await stat(join(img.layers[0]!, 'bin/busybox'))).size).toBe((await stat('/bin/busybox')).size);
    expect(await readdir(join(base, 'pulled', 'blobs', 'sha256'))).toEqual(expect.arrayContaining([busybox.configDigest.slice(7), busybox.layerDigests[0]!.slice(7), busybox.manifestDigest.slice(7)]));
    const after = requests;
    expect((await store.ensure(ref, { policy: 'IfNotPresent' })).imageID).toBe(img.imageID);
    expect(requests).toBe(after);
    // Always asks again, and finds nothing new to fetch but the manifest.
    await store.ensure(ref, { policy: 'Always' });
    expect(requests).toBe(after + 1);
    const listed = await store.list();
    expect(listed.map((i) => [i.ref, i.sizeBytes > 1_000_000])).toEqual([[ref, true]]);
  });

  it('resolves a manifest list to linux/amd64 and pulls by digest too', async () => {
    const store = new ImageStore({ root: join(base, 'multi') });
    const img = await store.ensure(`${registry.host}/skiff/multi:1`, { policy: 'IfNotPresent' });
    expect(img.imageID).toBe(`${registry.host}/skiff/multi@${multi.targetDigest}`);
    expect(img.layers).toHaveLength(2);
    expect(await readFile(join(img.layers[1]!, 'etc/hostname'), 'utf8')).toBe('multi\n');
    const byDigest = await new ImageStore({ root: join(base, 'by-digest') }).ensure(`${registry.host}/skiff/multi@${multi.targetDigest}`, { policy: 'IfNotPresent' });
    expect(byDigest.ref).toBe(`${registry.host}/skiff/multi@${multi.targetDigest}`);
    expect(byDigest.names).toEqual([`${registry.host}/skiff/multi@${multi.targetDigest}`]);
  });

  it('fails wrong digests: unknown manifests and tampered blobs', async () => {
    const store = new ImageStore({ root: join(base, 'wrong') });
    const missing = `${registry.host}/skiff/busybox@sha256:${'0'.repeat(64)}`;
    const e1 = await store.ensure(missing, { policy: 'IfNotPresent' }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ImageError);
    expect((e1 as ImageError).reason).toBe('ErrImagePull');
    expect((e1 as ImageError).message).toBe(`Failed to pull image "${missing}": failed to pull and unpack image "${missing}": failed to resolve reference "${missing}": ${missing}: not found`);
    const tampering = async (u: URL | string, i?: RequestInit): Promise<Response> => {
      const res = await fetch(u, i);
      if (!String(u).includes('/blobs/')) return res;
      const b = Buffer.from(await res.arrayBuffer());
      b[b.length - 1] ^= 0xff;
      return new Response(b, { status: res.status, headers: res.headers });
    };
    const e2 = await new ImageStore({ root: join(base, 'tampered'), fetch: tampering }).ensure(`${registry.host}/skiff/busybox:v1`, { policy: 'Always' }).catch((e: unknown) => e);
    expect((e2 as ImageError).reason).toBe('ErrImagePull');
    expect((e2 as ImageError).message).toMatch(/failed to copy: unexpected commit digest sha256:[0-9a-f]{64}, expected sha256:[0-9a-f]{64}: failed precondition$/);
    expect(await readdir(join(base, 'tampered', 'blobs', 'sha256'))).toEqual([busybox.manifestDigest.slice(7)]);
  });

  it('mounts an overlay rootfs over the pulled layers and release unmounts and removes it', async () => {
    const store = new ImageStore({ root: join(base, 'pulled') });
    const img: StoredImage = await store.ensure(`${registry.host}/skiff/busybox:v1`, { policy: 'IfNotPresent' });
    const dir = join(base, 'containers', 'skiff-t-c1');
    const rootfs = await store.createRootfs(dir, img);
    try {
      expect(rootfs.kind).toBe('overlay');
      const mounts = await readFile('/proc/self/mounts', 'utf8');
      expect(mounts.split('\n').some((l) => l.split(' ')[1] === rootfs.path && l.startsWith('overlay '))).toBe(true);
      await access(join(rootfs.path, 'bin/busybox'));
      const r = spawnSync('chroot', [rootfs.path, '/bin/busybox', 'echo', 'inside'], { encoding: 'utf8' });
      expect(r.stdout).toBe('inside\n');
      await writeFile(join(rootfs.path, 'tmp/written'), 'x');
      expect(await readFile(join(dir, 'upper', 'tmp/written'), 'utf8')).toBe('x');
      await expect(access(join(img.layers[0]!, 'tmp/written'))).rejects.toThrow();
    } finally {
      await rootfs.release();
    }
    expect((await readFile('/proc/self/mounts', 'utf8')).includes(rootfs.path)).toBe(false);
    await expect(access(dir)).rejects.toThrow();
  });

  it('shows the same tree through overlayfs as through the copy, whiteouts and opaque dirs included', async () => {
    const wl = join(base, 'wh-layout');
    await addImage(wl, {
      refName: 'example.com/wh:1',
      layers: [
        [
          { name: 'etc/passwd', body: 'root:x:0:0\n' },
          { name: 'etc/group', body: 'root:x:0:\n' },
          { name: 'var/cache/old', body: 'old' },
          { name: 'var/cache/sub/deep', body: 'deep' },
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
          { name: 'usr/.wh.lib' },
        ],
      ],
    });
    const overlayStore = new ImageStore({ root: join(base, 'wh-store') });
    await overlayStore.load(wl);
    const img = await overlayStore.ensure('example.com/wh:1', { policy: 'Never' });
    const copyStore = new ImageStore({ root: join(base, 'wh-store'), rootfs: { overlay: false } });
    const a = await overlayStore.createRootfs(join(base, 'wh-a'), img);
    const b = await copyStore.createRootfs(join(base, 'wh-b'), img);
    try {
      expect(a.kind).toBe(commandPath('setfattr') ? 'overlay' : 'copy');
      expect(b.kind).toBe('copy');
      const tree = async (root: string): Promise<string[]> => {
        const out: string[] = [];
        const walk = async (d: string, rel: string): Promise<void> => {
          for (const e of (await readdir(d, { withFileTypes: true })).sort((x, y) => x.name.localeCompare(y.name))) {
            const r = `${rel}${e.name}`;
            if (e.isDirectory()) {
              out.push(`${r}/`);
              await walk(join(d, e.name), `${r}/`);
            } else if (e.isSymbolicLink()) out.push(`${r} -> link`);
            else out.push(`${r} = ${await readFile(join(d, e.name), 'utf8')}`);
          }
        };
        await walk(root, '');
        return out;
      };
      const seen = await tree(a.path);
      expect(seen).toEqual(await tree(b.path));
      expect(seen).toEqual(['bin/', 'bin/tool = v2', 'bin/tool2 = v1', 'etc/', 'etc/group = root:x:0:\n', 'lib -> link', 'usr/', 'var/', 'var/cache/', 'var/cache/new = new']);
    } finally {
      await a.release();
      await b.release();
    }
  });

  it('pulls from a registry with htpasswd (Basic) auth only with the credentials', async (ctx) => {
    const line = htpasswdLine('skiff', 's3cret');
    // docker-registry takes bcrypt only; perl's crypt() gives it through libxcrypt.
    if (!line) return ctx.skip('no bcrypt crypt() through perl');
    const dir = await mkdtemp(join(base, 'authreg-'));
    await writeFile(join(dir, 'htpasswd'), line);
    const authed = await startRegistry(dir, `auth:\n  htpasswd:\n    realm: skiff-test\n    path: ${join(dir, 'htpasswd')}\n`);
    await skopeoCopy(`oci:${layout}:v1`, `docker://${authed.host}/private/busybox:v1`, ['--dest-creds', 'skiff:s3cret']);
    const ref = `${authed.host}/private/busybox:v1`;
    const anon = await new ImageStore({ root: join(base, 'anon') }).ensure(ref, { policy: 'IfNotPresent' }).catch((e: unknown) => e);
    expect((anon as ImageError).reason).toBe('ErrImagePull');
    expect((anon as ImageError).message).toContain('pull access denied, repository does not exist or may require authorization: server message: unauthorized: authentication required');
    const wrong = await new ImageStore({ root: join(base, 'wrongpw') }).ensure(ref, { policy: 'IfNotPresent', credentials: () => [{ username: 'skiff', password: 'nope' }] }).catch((e: unknown) => e);
    expect((wrong as ImageError).reason).toBe('ErrImagePull');
    const seen: string[] = [];
    const img = await new ImageStore({ root: join(base, 'authed') }).ensure(ref, {
      policy: 'IfNotPresent',
      credentials: (host, repo) => {
        seen.push(`${host} ${repo}`);
        return [{ username: 'skiff', password: 'nope' }, { auth: Buffer.from('skiff:s3cret').toString('base64') }];
      },
    });
    expect(seen).toEqual([`${authed.host} private/busybox`]);
    expect(img.imageID).toBe(`${authed.host}/private/busybox@${busybox.manifestDigest}`);
  });

  it.skipIf(!commandPath('openssl'))('pulls from a registry with token (Bearer) auth through its token server', async () => {
    const dir = await mkdtemp(join(base, 'tokenreg-'));
    const tokens = await startTokenServer(dir, 'robot', 'pw');
    servers.push(tokens.server);
    const reg = await startRegistry(dir, `auth:\n  token:\n    realm: ${tokens.url}\n    service: skiff-test\n    issuer: skiff-test-issuer\n    rootcertbundle: ${tokens.certPath}\n`);
    await skopeoCopy(`oci:${layout}:v1`, `docker://${reg.host}/team/busybox:v1`, ['--dest-creds', 'robot:pw']);
    const ref = `${reg.host}/team/busybox:v1`;
    const anon = (await new ImageStore({ root: join(base, 'tok-anon') }).ensure(ref, { policy: 'IfNotPresent' }).catch((e: unknown) => e)) as ImageError;
    expect(anon.reason).toBe('ErrImagePull');
    expect(anon.message).toContain(`failed to authorize: failed to fetch anonymous token: unexpected status from GET request to ${tokens.url}: 401 Unauthorized`);
    tokens.issued.length = 0;
    const img = await new ImageStore({ root: join(base, 'tok') }).ensure(ref, { policy: 'IfNotPresent', credentials: () => [{ username: 'robot', password: 'pw' }] });
    expect(img.imageID).toBe(`${reg.host}/team/busybox@${busybox.manifestDigest}`);
    expect(tokens.issued).toEqual(['repository:team/busybox:pull']);
  });
});
