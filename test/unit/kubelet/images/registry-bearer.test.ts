/**
 * The distribution client against a small registry served here on 127.0.0.1 from an OCI layout, guarded by the
 * Bearer token flow (a token endpoint that wants basic credentials), as Docker Hub and most registries do.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore } from '../../../../src/dataplane/kubelet/images/store.js';
import { ImageError } from '../../../../src/dataplane/kubelet/images/types.js';
import { addImage, type BuiltImage } from './oci-fixture.js';

let base: string;
let layout: string;
let server: Server;
let host: string;
let built: BuiltImage;
const log: string[] = [];
const TOKEN = 'tok-app-pull';
const stalled: ServerResponse[] = [];

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${host}`);
  log.push(`${req.method} ${url.pathname}`);
  if (url.pathname.startsWith('/v2/slow/')) {
    // An open registry whose blobs start and then stall.
    const m = /^\/v2\/slow\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    let digest = m?.[2] ?? '';
    if (m?.[1] === 'manifests' && !digest.startsWith('sha256:')) digest = built.manifestDigest;
    const body = await readFile(join(layout, 'blobs', 'sha256', digest.slice(7)));
    if (m?.[1] === 'blobs' && digest !== built.configDigest) {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.write(body.subarray(0, 10));
      stalled.push(res);
      return;
    }
    res.writeHead(200).end(body);
    return;
  }
  if (url.pathname === '/token') {
    const want = `Basic ${Buffer.from('robot:pw').toString('base64')}`;
    if (req.headers.authorization !== want || url.searchParams.get('scope') !== 'repository:team/app:pull' || url.searchParams.get('service') !== 'fake') {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: TOKEN }));
    return;
  }
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="fake",scope="repository:team/app:pull"`, 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    return;
  }
  const m = /^\/v2\/team\/app\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
  if (!m) {
    res.writeHead(404).end();
    return;
  }
  let digest = m[2]!;
  if (m[1] === 'manifests' && !digest.startsWith('sha256:')) {
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
    const hit = index.manifests.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === digest);
    if (!hit) {
      res.writeHead(404).end();
      return;
    }
    digest = hit.digest;
  }
  const body = await readFile(join(layout, 'blobs', 'sha256', digest.slice(7))).catch(() => undefined);
  if (!body) {
    res.writeHead(404).end();
    return;
  }
  // No Content-Type for manifests: the client must read mediaType from the document.
  res.writeHead(200, { 'docker-content-digest': digest }).end(body);
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'skiff-bearer-'));
  layout = join(base, 'layout');
  built = await addImage(layout, { refName: 'v1', layers: [[{ name: 'app', body: 'bearer' }]], multiPlatform: true });
  server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const r of stalled) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(base, { recursive: true, force: true });
});

describe('pulling through Bearer token auth', () => {
  it('fetches a token with the pull secret and reuses it for every request', async () => {
    log.length = 0;
    const store = new ImageStore({ root: join(base, 's1') });
    const img = await store.ensure(`${host}/team/app:v1`, { policy: 'Always', credentials: () => [{ username: 'robot', password: 'pw' }] });
    expect(img.imageID).toBe(`${host}/team/app@${built.targetDigest}`);
    expect(await readFile(join(img.layers[0]!, 'app'), 'utf8')).toBe('bearer');
    // One challenge, one token, then index, manifest, config, layer.
    expect(log).toEqual(['GET /v2/team/app/manifests/v1', 'GET /token', 'GET /v2/team/app/manifests/v1', `GET /v2/team/app/manifests/${built.manifestDigest}`, `GET /v2/team/app/blobs/${built.configDigest}`, `GET /v2/team/app/blobs/${built.layerDigests[0]}`]);
  });

  it('fails without credentials with the token endpoint status', async () => {
    const e = (await new ImageStore({ root: join(base, 's2') }).ensure(`${host}/team/app:v1`, { policy: 'IfNotPresent' }).catch((x: unknown) => x)) as ImageError;
    expect(e).toBeInstanceOf(ImageError);
    expect(e.reason).toBe('ErrImagePull');
    expect(e.message).toBe(`Failed to pull image "${host}/team/app:v1": failed to pull and unpack image "${host}/team/app:v1": failed to resolve reference "${host}/team/app:v1": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to http://${host}/token: 401 Unauthorized`);
  });

  it('tries each credential in order and reports all failures when none works', async () => {
    const e = (await new ImageStore({ root: join(base, 's3') }).ensure(`${host}/team/app:v1`, { policy: 'IfNotPresent', credentials: () => [{ username: 'a', password: 'b' }, { username: 'c', password: 'd' }] }).catch((x: unknown) => x)) as ImageError;
    expect(e.message).toMatch(/^Failed to pull image "[^"]+": \[failed to pull and unpack image .*failed to fetch oauth token.*, failed to pull and unpack image .*failed to fetch oauth token.*\]$/);
    const ok = await new ImageStore({ root: join(base, 's4') }).ensure(`${host}/team/app:v1`, { policy: 'IfNotPresent', credentials: () => [{ username: 'a', password: 'b' }, { username: 'robot', password: 'pw' }] });
    expect(ok.imageID).toBe(`${host}/team/app@${built.targetDigest}`);
  });

  it('uses a registry token as it is', async () => {
    const img = await new ImageStore({ root: join(base, 's5') }).ensure(`${host}/team/app:v1`, { policy: 'IfNotPresent', credentials: () => [{ registrytoken: TOKEN }] });
    expect(img.imageID).toBe(`${host}/team/app@${built.targetDigest}`);
  });
});

describe('stalled downloads', () => {
  it('cancels a blob that brings no bytes for the progress timeout', async () => {
    const store = new ImageStore({ root: join(base, 'slow'), progressTimeoutMs: 200 });
    const t0 = Date.now();
    const e = (await store.ensure(`${host}/slow:v1`, { policy: 'IfNotPresent' }).catch((x: unknown) => x)) as ImageError;
    expect(e.reason).toBe('ErrImagePull');
    expect(e.message).toContain('failed to copy: cancelled: no progress for 0.2s');
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await readdir(join(base, 'slow', 'ingest'))).toEqual([]);
  });
});
