import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OciSpecError } from '../../../../src/dataplane/kubelet/runtime/runc/oci-spec.js';
import { podCgroup, runcSpecBuilder, utsHostname, type DriverSpecInput } from '../../../../src/dataplane/kubelet/runtime/runc/spec-builder.js';
import type { Pod } from '../../../../src/dataplane/kubelet/types.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-specb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pod(spec: Record<string, unknown>, name = 'web'): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns1', uid: 'u-1' }, spec };
}

type Out = { process: { user: { uid: number; gid: number }; env: string[] }; hostname?: string; linux: { cgroupsPath: string; devices?: unknown[] } };

describe('runcSpecBuilder', () => {
  const opts = { cgroupParent: 'skiff-n1', hostCapabilities: ['CAP_CHOWN'], swapAccounting: false, cgroupNamespace: false };

  it('cgroup per QoS class as the kubelet\'s cgroupfs layout', () => {
    const c = (resources: unknown) => [{ name: 'a', resources }];
    expect(podCgroup('p', pod({ containers: c({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }) }))).toBe('p/podu-1');
    expect(podCgroup('p', pod({ containers: c({ requests: { cpu: '1' } }) }))).toBe('p/burstable/podu-1');
    expect(podCgroup('p', pod({ containers: c(undefined) }))).toBe('p/besteffort/podu-1');
  });

  it('reads passwd/group from the rootfs but never through a symlink', () => {
    const good = join(dir, 'good');
    mkdirSync(join(good, 'etc'), { recursive: true });
    writeFileSync(join(good, 'etc/passwd'), 'app:x:1000:1001::/:/bin/sh\n');
    writeFileSync(join(good, 'etc/group'), 'app:x:1001:\n');
    const evil = join(dir, 'evil');
    mkdirSync(join(evil, 'etc'), { recursive: true });
    symlinkSync('/etc/passwd', join(evil, 'etc/passwd'));
    const build = runcSpecBuilder(opts);
    const container = { name: 'a' };
    const input = (rootfs: string): DriverSpecInput => ({
      pod: pod({ containers: [container] }),
      container,
      image: { config: { entrypoint: ['/bin/sh'], cmd: [], env: [], workingDir: '', user: 'app' } },
      rootfs,
      env: ['A=1=2', 'B='],
      mounts: [],
      containerId: 'skiff-c1',
    });
    const s = build(input(good)) as unknown as Out;
    expect(s.process.user).toEqual({ uid: 1000, gid: 1001 });
    expect(s.process.env).toContain('A=1=2');
    expect(s.process.env).toContain('B=');
    expect(s.linux.cgroupsPath).toBe('skiff-n1/besteffort/podu-1/skiff-c1');
    expect(s.hostname).toBe('web');
    expect((build({ ...input(good), hostname: 'given' }) as unknown as Out).hostname).toBe('given');
    const fq = { ...input(good), hostname: 'given' };
    fq.pod = pod({ containers: [container], subdomain: 'sd', setHostnameAsFQDN: true });
    expect((build(fq) as unknown as Out).hostname).toBe('web.sd.ns1.svc.cluster.local');
    expect(() => build(input(evil))).toThrow(/unable to find user app/);
  });

  it('privileged containers get the host devices, listed once', () => {
    let calls = 0;
    const dev = { path: '/dev/sda', type: 'b' as const, major: 8, minor: 0 };
    const build = runcSpecBuilder({ ...opts, hostDevices: () => (calls++, [dev]) });
    const container = { name: 'a', command: ['x'], securityContext: { privileged: true } };
    const input: DriverSpecInput = { pod: pod({ containers: [container] }), container, image: { config: { entrypoint: [], cmd: [], env: [], workingDir: '', user: '' } }, rootfs: join(dir, 'none'), env: [], mounts: [], containerId: 'c' };
    expect((build(input) as unknown as Out).linux.devices).toEqual([dev]);
    build(input);
    expect(calls).toBe(1);
  });

  it('hostname: spec.hostname, FQDN with setHostnameAsFQDN, too long is CreateContainerConfigError', () => {
    expect(utsHostname(pod({ hostname: 'h', subdomain: 's' }))).toBe('h');
    expect(utsHostname(pod({ hostname: 'h', subdomain: 's', setHostnameAsFQDN: true }))).toBe('h.s.ns1.svc.cluster.local');
    const long = pod({ subdomain: 's', setHostnameAsFQDN: true }, 'x'.repeat(50));
    expect(() => utsHostname(long)).toThrow(OciSpecError);
    expect(() => utsHostname(long)).toThrow(/FQDN x+\.s\.ns1\.svc\.cluster\.local is too long \(64 characters is the max, 74 characters requested\)/);
  });
});
