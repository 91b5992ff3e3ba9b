/**
 * The real node's wiring (node-deps.ts) without runc: the spec builder it uses (the process's own capabilities for
 * privileged containers, passwd read inside the rootfs only, the kubelet's cgroup layout) and the env it hands the
 * spec (the image env merged once, HOSTNAME, service variables once the Service list is known).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RestClient } from '../../../../src/client/index.js';
import type { KubeObject } from '../../../../src/client/types.js';
import type { StoredImage } from '../../../../src/dataplane/kubelet/images/types.js';
import { currentCapabilities } from '../../../../src/dataplane/kubelet/runtime/runc/host.js';
import { realRuncDeps, runcPodVolumes, SERVICES_NOT_SYNCED } from '../../../../src/dataplane/kubelet/runtime/runc/node-deps.js';
import type { ContainerSpecInput } from '../../../../src/dataplane/kubelet/runtime/runc/pod-worker-deps.js';
import type { Pod } from '../../../../src/dataplane/kubelet/types.js';
import { CTX, FakeImages } from './fakes.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-t-node-deps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const UID = '0000abcd-aaaa-bbbb-cccc-dddddddddddd';
const noApi = { get: async () => Promise.reject(Object.assign(new Error('not found'), { code: 404 })) } as unknown as RestClient;

function image(config: Partial<StoredImage['config']> = {}): StoredImage {
  return { ref: 'skiff.test/app:1', imageID: 'skiff.test/app@sha256:' + 'b'.repeat(64), names: [], layers: [], sizeBytes: 1, config: { entrypoint: ['/bin/sh'], cmd: [], env: [], workingDir: '', user: '', ...config } };
}

function pod(container: Record<string, unknown>, spec: Record<string, unknown> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'ns1', uid: UID }, spec: { containers: [container], ...spec } };
}

function rootfs(name: string, passwd: string | { symlink: string }): string {
  const r = join(dir, name);
  mkdirSync(join(r, 'etc'), { recursive: true });
  if (typeof passwd === 'string') writeFileSync(join(r, 'etc/passwd'), passwd);
  else symlinkSync(passwd.symlink, join(r, 'etc/passwd'));
  return r;
}

type Spec = { process: { user: { uid: number }; env: string[]; capabilities: { bounding: string[] } }; linux: { cgroupsPath: string } };

describe('realRuncDeps: the OCI spec', () => {
  const deps = realRuncDeps({ dataDir: dir, prefix: 'skiff-t-nd-', client: noApi, images: new FakeImages([]) })(CTX);
  const input = (p: Pod, root: string, img = image()): ContainerSpecInput => ({
    pod: p,
    container: (p.spec as { containers: ContainerSpecInput['container'][] }).containers[0]!,
    image: img,
    rootfs: root,
    env: [],
    mounts: [],
    hostname: 'web',
    containerId: `skiff-t-nd-${UID}_app_0`,
    podDir: join(dir, 'pod'),
  });

  it('a privileged container gets the capabilities this process holds (runc refuses others), in the kubelet’s cgroup layout', () => {
    const c = { name: 'app', image: 'x', securityContext: { privileged: true } };
    const s = deps.buildSpec(input(pod(c), rootfs('priv', 'root:x:0:0::/:/bin/sh\n'))) as unknown as Spec;
    expect(s.process.capabilities.bounding).toEqual(currentCapabilities());
    expect(s.linux.cgroupsPath).toBe(`skiff-t-nd-pods/besteffort/pod${UID}/skiff-t-nd-${UID}_app_0`);
  });

  it('reads the image’s passwd inside its rootfs, never through a symlink out of it', () => {
    const host = join(dir, 'host-passwd');
    writeFileSync(host, 'app:x:4242:4242::/:/bin/sh\n');
    const c = { name: 'app', image: 'x' };
    const good = deps.buildSpec(input(pod(c), rootfs('good', 'app:x:1000:1000::/:/bin/sh\n'), image({ user: 'app' }))) as unknown as Spec;
    expect(good.process.user.uid).toBe(1000);
    // etc/passwd → a file outside the image: not read, so the user name does not resolve.
    expect(() => deps.buildSpec(input(pod(c), rootfs('evil', { symlink: host }), image({ user: 'app' })))).toThrow(/unable to find user app/);
  });

  it('env: PATH, HOSTNAME, the image env once (the container’s value replacing it in place), then the container’s', async () => {
    const services: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'ns1' }, spec: { clusterIP: '10.96.0.20', ports: [{ port: 5432 }] } },
    ];
    const vols = runcPodVolumes({ secret: async () => undefined, configMap: async () => undefined }, CTX, { services: () => services });
    const c = { name: 'app', image: 'x', env: [{ name: 'IMG', value: 'container' }, { name: 'OWN', value: '1' }] };
    const p = pod(c);
    const podDir = join(dir, 'pods', UID);
    mkdirSync(podDir, { recursive: true });
    const img = image({ env: ['PATH=/img/bin', 'IMG=image', 'ONLY_IMAGE=1'] });
    const cfg = await vols.containerConfig(p, c, new Map(), { podDir, podIP: '10.244.1.5', hostIP: CTX.hostIP, nodeName: 'n1', instanceId: '0', image: img });
    // The container's own variables only: the image's are the spec's to lay under them.
    expect(cfg.env).not.toContain('ONLY_IMAGE=1');
    expect(cfg.env).toEqual(expect.arrayContaining(['IMG=container', 'OWN=1', 'KUBERNETES_SERVICE_HOST=10.96.0.1', 'KUBERNETES_SERVICE_PORT=443', 'DB_SERVICE_HOST=10.96.0.20']));
    const s = deps.buildSpec({ ...input(p, rootfs('env', 'root:x:0:0::/:/bin/sh\n'), img), env: cfg.env, hostname: cfg.hostname }) as unknown as Spec;
    const env = s.process.env;
    for (const key of ['PATH', 'HOSTNAME', 'IMG', 'ONLY_IMAGE', 'OWN', 'KUBERNETES_SERVICE_HOST']) expect(env.filter((e) => e.startsWith(`${key}=`)), key).toHaveLength(1);
    expect(env.slice(0, 4)).toEqual(['PATH=/img/bin', 'HOSTNAME=web', 'IMG=container', 'ONLY_IMAGE=1']);
    expect(env).toContain('OWN=1');
    // enableServiceLinks: false keeps the pod's namespace's services out, never the kubernetes Service's.
    const q = pod(c, { enableServiceLinks: false });
    const cfg2 = await vols.containerConfig(q, c, new Map(), { podDir, podIP: '10.244.1.5', hostIP: CTX.hostIP, nodeName: 'n1', instanceId: '1', image: img });
    expect(cfg2.env).toContain('KUBERNETES_SERVICE_HOST=10.96.0.1');
    expect(cfg2.env.some((e) => e.startsWith('DB_'))).toBe(false);
  });

  it('before the Service list is known a container waits (CreateContainerConfigError), as the kubelet’s', async () => {
    const vols = runcPodVolumes({ secret: async () => undefined, configMap: async () => undefined }, CTX, { services: () => undefined });
    const c = { name: 'app', image: 'x' };
    const podDir = join(dir, 'pods2');
    mkdirSync(podDir, { recursive: true });
    await expect(vols.containerConfig(pod(c), c, new Map(), { podDir, hostIP: CTX.hostIP, nodeName: 'n1', instanceId: '0', image: image() })).rejects.toMatchObject({
      reason: 'CreateContainerConfigError',
      message: SERVICES_NOT_SYNCED,
    });
  });
});
