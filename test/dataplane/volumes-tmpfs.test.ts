/**
 * Memory-backed volumes for real: an emptyDir with medium Memory (and a secret volume) become tmpfs mounts of
 * the computed size under a throw-away pod dir, and cleanupVolumes unmounts them. Needs root and mount(8);
 * every mount this test makes is under its own `skiff-t-` temp dir and is unmounted in afterAll, also on failure.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupVolumes, prepareVolumes, SystemMounter } from '../../src/dataplane/kubelet/volumes/index.js';
import { mountPointsUnder } from '../../src/dataplane/kubelet/volumes/mounter.js';
import { commandPath } from '../setup/commands.js';

function skipReason(): string | null {
  if (process.platform !== 'linux') return 'tmpfs volumes need Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'tmpfs volumes need root (mount)';
  for (const t of ['mount', 'umount']) if (!commandPath(t)) return `tmpfs volumes need the '${t}' command`;
  return null;
}
const reason = skipReason();

/** mountinfo lines for mount points under dir: [mountPoint, fstype, superOptions]. */
function mountsUnder(dir: string): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const mp = pre.split(' ')[4]!;
    if (mp === dir || mp.startsWith(dir + '/')) {
      const [fstype, , superOpts] = post.split(' ');
      out.push([mp, fstype!, superOpts ?? '']);
    }
  }
  return out;
}

describe.skipIf(reason !== null)(`memory-backed volumes on tmpfs${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let tmp = '';
  let podDir = '';

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-t-vol-'));
    podDir = path.join(tmp, 'pods', 'uid-1');
  });

  afterAll(async () => {
    if (!tmp) return;
    // Whatever happened above: unmount (deepest first) before deleting, never delete through a mount.
    for (const mp of mountPointsUnder(readFileSync('/proc/self/mountinfo', 'utf8'), tmp)) spawnSync('umount', ['-l', mp]);
    if (mountsUnder(tmp).length === 0) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('mounts emptyDir medium Memory with size=sizeLimit and a secret volume sized by the pod limit, then unmounts them', async () => {
    const pod = {
      metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
      spec: {
        containers: [{ name: 'c', resources: { limits: { memory: '32Mi' } } }],
        volumes: [
          { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '4Mi' } },
          { name: 'creds', secret: { secretName: 's' } },
        ],
      },
    };
    const source = {
      secret: async () => ({ metadata: { name: 's', namespace: 'default' }, data: { pw: Buffer.from('hunter2').toString('base64') } }),
      configMap: async () => undefined,
    };
    const mounter = new SystemMounter();
    const vols = await prepareVolumes(pod, podDir, source, { allocatable: { memory: '1Gi' }, mounter });
    const cache = vols.get('cache')!.hostPath;
    const creds = vols.get('creds')!.hostPath;

    const found = new Map(mountsUnder(tmp).map(([mp, fstype, opts]) => [mp, { fstype, opts }]));
    expect(found.get(cache)?.fstype).toBe('tmpfs');
    expect(found.get(cache)?.opts).toContain('size=4096k');
    expect(found.get(creds)?.fstype).toBe('tmpfs');
    expect(found.get(creds)?.opts).toContain('size=32768k');
    expect(await fs.readFile(path.join(creds, 'pw'), 'utf8')).toBe('hunter2');

    // The size is a real limit: 5 MiB does not fit in a 4 MiB tmpfs.
    await expect(fs.writeFile(path.join(cache, 'big'), Buffer.alloc(5 * 2 ** 20))).rejects.toMatchObject({ code: 'ENOSPC' });
    await fs.rm(path.join(cache, 'big'));

    // A second prepare (a resync) neither mounts again nor loses data.
    await fs.writeFile(path.join(cache, 'small'), 'kept');
    await prepareVolumes(pod, podDir, source, { allocatable: { memory: '1Gi' }, mounter });
    expect(mountsUnder(tmp).filter(([mp]) => mp === cache)).toHaveLength(1);
    expect(await fs.readFile(path.join(cache, 'small'), 'utf8')).toBe('kept');

    await cleanupVolumes(podDir, { mounter });
    expect(mountsUnder(tmp)).toEqual([]);
    await expect(fs.stat(path.join(podDir, 'volumes'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
