import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareVolumes } from '../../../../src/dataplane/kubelet/volumes/prepare.js';
import { rootNeedsChange, setVolumeOwnership } from '../../../../src/dataplane/kubelet/volumes/ownership.js';
import { FakeMounter, MemorySource, b64 } from './fixtures.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-own-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const mode = async (p: string) => (await fs.lstat(p)).mode & 0o7777;

describe('fsGroup ownership', () => {
  it('widens group access: rw for emptyDir, read-only for API data, setgid on directories, symlinks untouched', async () => {
    const podDir = path.join(tmp, 'pod');
    const pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u' },
      spec: {
        securityContext: { fsGroup: 2345 },
        containers: [{ name: 'c' }],
        volumes: [
          { name: 'scratch', emptyDir: {} },
          { name: 'creds', secret: { secretName: 's', defaultMode: 0o600 } },
          { name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
        ],
      },
    };
    const src = new MemorySource().put('secret', 'ns', 's', { data: { pw: b64('x') } });
    const vols = await prepareVolumes(pod, podDir, src, { allocatable: {}, mounter: new FakeMounter(), token: async () => 'jwt' });
    const scratch = vols.get('scratch')!.hostPath;
    expect(await mode(scratch)).toBe(0o2777);
    const creds = vols.get('creds')!.hostPath;
    const data = path.join(creds, await fs.readlink(path.join(creds, '..data')));
    expect(await mode(path.join(data, 'pw'))).toBe(0o640);
    expect(await mode(data)).toBe(0o2755);
    // a token is written 0600 when an fsGroup is set, then opened to the group: 0640
    expect(await mode(path.join(vols.get('tok')!.hostPath, '..data', 'token'))).toBe(0o640);
    if (isRoot) {
      expect((await fs.stat(path.join(data, 'pw'))).gid).toBe(2345);
      expect((await fs.lstat(path.join(creds, 'pw'))).gid).toBe(2345); // the symlink itself
    }
  });

  it('OnRootMismatch skips a volume whose root already matches', async () => {
    const dir = path.join(tmp, 'v');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'f'), 'x', { mode: 0o600 });
    await fs.chmod(path.join(dir, 'f'), 0o600);
    const gid = (await fs.stat(dir)).gid;
    await fs.chmod(dir, 0o2770);
    expect(rootNeedsChange(await fs.stat(dir), gid, false)).toBe(false);
    await setVolumeOwnership(dir, gid, false, 'OnRootMismatch');
    expect(await mode(path.join(dir, 'f'))).toBe(0o600);
    await setVolumeOwnership(dir, gid, false);
    expect(await mode(path.join(dir, 'f'))).toBe(0o660);
    await fs.chmod(dir, 0o770);
    expect(rootNeedsChange(await fs.stat(dir), gid, false)).toBe(true); // no setgid
  });
});
