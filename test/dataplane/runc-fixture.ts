/**
 * For runc tests: a busybox root filesystem built from the host's /bin/busybox (no downloads), a skip reason
 * when runc cannot run here, and a minimal OCI spec. Everything a test creates is named `skiff-t-<run>…`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from '../../src/dataplane/kubelet/images/store.js';
import { startRuncNode, type RuncNodeOptions, type RunningRuncNode } from '../../src/dataplane/kubelet/runtime/runc/start.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { commandPath } from '../setup/commands.js';
import { addImage, type FixtureEntry } from '../unit/kubelet/images/oci-fixture.js';

export const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'echo', 'cat', 'sleep', 'tail', 'head', 'ls', 'id', 'env', 'readlink', 'true', 'false', 'ip', 'hostname', 'pwd', 'yes', 'dd', 'wc', 'grep', 'tr', 'touch', 'tty', 'stty'];

/** Why runc tests cannot run here, or null when they can. */
export function runcSkipReason(): string | null {
  if (process.platform !== 'linux') return 'runc tests need Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'runc tests need root';
  if (!commandPath('runc')) return "runc tests need the 'runc' command (Debian package runc)";
  if (!existsSync(BUSYBOX)) return 'runc tests need /bin/busybox (Debian package busybox-static)';
  if (!commandPath('ip')) return "runc tests need the 'ip' command (iproute2)";
  return null;
}

/** A run-unique prefix: `skiff-t-<pid><random>`. */
export function runPrefix(): string {
  return `skiff-t-${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
}

/** bin/busybox plus applet symlinks, /etc/passwd and /etc/group, and empty mount points. */
export async function busyboxRootfs(dir: string): Promise<string> {
  await mkdir(join(dir, 'bin'), { recursive: true });
  await copyFile(BUSYBOX, join(dir, 'bin', 'busybox'));
  for (const a of APPLETS) await symlink('busybox', join(dir, 'bin', a));
  for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp']) await mkdir(join(dir, d), { recursive: true });
  await writeFile(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  await writeFile(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return dir;
}

export function sh(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * What a test's runc node (node name `node`, data dir `dir`) may leave behind, removed in order: containers known
 * to its runc root, mounts under the data dir, network namespaces named `<prefix>…`, its pods' cgroups
 * (depth first: rmdir only removes empty ones), then the data dir. For afterAll: never throws.
 */
export async function cleanUpRuncNode(dir: string, prefix: string, node = 'n1'): Promise<void> {
  const run = (argv: string[]): string => spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }).stdout ?? '';
  const runcRoot = join(dir, 'kubelet', node, 'runtime', 'runc');
  for (const id of run(['runc', '--root', runcRoot, 'list', '-q']).split('\n')) if (id.startsWith(prefix)) run(['runc', '--root', runcRoot, 'delete', '-f', id]);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir));
  for (const m of mounts.sort((a, b) => b.length - a.length)) run(['umount', '-l', m]);
  for (const ns of run(['ip', 'netns', 'list']).split('\n').map((l) => l.split(' ')[0] ?? '')) if (ns.startsWith(prefix)) run(['ip', 'netns', 'del', ns]);
  const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n').map((l) => l.split(':')[2] ?? '/');
  const walk = (d: string): void => {
    let kids: string[] = [];
    try {
      kids = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(d, e.name));
    } catch {
      return;
    }
    for (const k of kids) walk(k);
    try {
      rmdirSync(d);
    } catch {
      /* not there or busy */
    }
  };
  for (const base of readdirSync('/sys/fs/cgroup')) for (const p of new Set(['/', ...own])) walk(join('/sys/fs/cgroup', base, p, `${prefix}pods`));
  await rm(dir, { recursive: true, force: true });
}

const IMAGE_APPLETS = ['sh', 'httpd', 'echo', 'cat', 'sleep', 'mkdir', 'wget', 'ls', 'true', 'false', 'readlink', '[', 'rm', 'head', 'tr', 'hostname'];

/** One image layer from /bin/busybox with its applets, users and a /www page: what the runc node tests run. */
export function busyboxImageLayer(): FixtureEntry[] {
  return [
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', body: readFileSync(BUSYBOX), mode: 0o755 },
    ...IMAGE_APPLETS.map((a): FixtureEntry => ({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox' })),
    ...['proc/', 'sys/', 'dev/', 'etc/', 'www/'].map((d): FixtureEntry => ({ name: d, type: 'directory' })),
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'etc/passwd', body: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' },
    { name: 'etc/group', body: 'root:x:0:\nnogroup:x:65534:\n' },
    { name: 'www/index.html', body: 'hello from busybox\n' },
  ];
}

/** A real API server and one runc node `n1` running an image built here from /bin/busybox; see startRuncTestNode. */
export interface RuncTestNode {
  /** Runc ids, network namespaces and cgroups start with it: `skiff-t-<run>-`. */
  prefix: string;
  /** The node's data dir (its kubelet state, logs, images), removed by close(). */
  dir: string;
  cluster: TestCluster;
  /** The running agent; replaced by restart(). */
  node: RunningRuncNode;
  /** Starts the agent again over the same data dir (after `node.stop()`), as a restarted kubelet. */
  restart(): Promise<RunningRuncNode>;
  /** Stops the agent and the server and removes all the node left behind. Never throws. */
  close(): Promise<void>;
}

/**
 * For beforeAll: the image `image` (busybox's layer plus `extraLayer`) loaded into the node's store, the node
 * registered. A failure half-way cleans up what was made before rethrowing.
 */
export async function startRuncTestNode(o: { tag: string; image: string; podCIDR: string; extraLayer?: FixtureEntry[]; node?: Partial<RuncNodeOptions> }): Promise<RuncTestNode> {
  const prefix = `${runPrefix()}-`;
  const dir = mkdtempSync(join(tmpdir(), `skiff-t-${o.tag}-`));
  let cluster: TestCluster | undefined;
  let node: RunningRuncNode | undefined;
  const close = async (): Promise<void> => {
    await node?.stop().catch(() => undefined);
    await cluster?.close().catch(() => undefined);
    await cleanUpRuncNode(dir, prefix);
  };
  try {
    cluster = await startTestCluster();
    const layout = join(dir, 'layout');
    await addImage(layout, { refName: o.image, layers: [[...busyboxImageLayer(), ...(o.extraLayer ?? [])]], cmd: ['sh'], env: ['PATH=/bin'] });
    const loaded = await new ImageStore({ root: join(dir, 'images') }).load(layout);
    if (loaded.join() !== o.image) throw new Error(`the image store loaded ${JSON.stringify(loaded)}, not ${o.image}`);
    const start = async (): Promise<RunningRuncNode> => {
      const n = await startRuncNode({
        client: cluster!.newClient('skiff-t-agent'),
        nodeName: 'n1',
        dataDir: dir,
        prefix,
        podCIDR: o.podCIDR,
        cpu: '2',
        memory: '2Gi',
        pollMs: 200,
        log: (level, msg, fields) => {
          if (level === 'warn' || level === 'error') console.error(`agent ${level}: ${msg} ${fields ? JSON.stringify(fields) : ''}`);
        },
        ...o.node,
      });
      node = n;
      await n.registered;
      return n;
    };
    const t: RuncTestNode = { prefix, dir, cluster, node: await start(), close, restart: async () => (t.node = await start()) };
    return t;
  } catch (err) {
    await close();
    throw err;
  }
}
