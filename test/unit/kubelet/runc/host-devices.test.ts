import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hostDevices } from '../../../../src/dataplane/kubelet/runtime/runc/host.js';

describe.skipIf(process.platform !== 'linux')('hostDevices', () => {
  it('lists /dev/null as the character device 1:3 with its mode', () => {
    const devs = hostDevices();
    const n = devs.find((d) => d.path === '/dev/null');
    expect(n).toMatchObject({ type: 'c', major: 1, minor: 3, fileMode: statSync('/dev/null').mode & 0o7777 });
    expect(devs.some((d) => d.path.startsWith('/dev/pts/'))).toBe(false);
  });
});
