import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLeaseFile, PodLeases } from '../../../../src/dataplane/kubelet/network/leases.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-leases-'));
  file = join(dir, 'sub', 'ipam.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const meta = (name: string, hostNetwork = false) => ({ namespace: 'default', name, hostNetwork });

describe('pod address leases', () => {
  it('hands out addresses from .2 on, one per uid, the same again for the same uid', async () => {
    const l = await PodLeases.load(file, '10.244.1.0/24');
    expect(l.acquire('a', meta('a')).ip).toBe('10.244.1.2');
    expect(l.acquire('b', meta('b')).ip).toBe('10.244.1.3');
    expect(l.acquire('a', meta('a')).ip).toBe('10.244.1.2');
    expect(l.acquire('h', meta('h', true)).ip).toBeNull();
    expect(l.size).toBe(3);
  });

  it('keeps leases and the round-robin position across a restart; a released address is not reused at once', async () => {
    const l = await PodLeases.load(file, '10.244.1.0/24');
    l.acquire('a', meta('a'));
    l.acquire('b', meta('b'));
    l.acquire('h', meta('h', true));
    l.release('a');
    await l.save();
    const again = await PodLeases.load(file, '10.244.1.0/24');
    expect(again.get('b')).toEqual({ ip: '10.244.1.3', namespace: 'default', name: 'b' });
    expect(again.get('h')?.ip).toBeNull();
    expect(again.get('a')).toBeUndefined();
    expect(again.acquire('c', meta('c')).ip).toBe('10.244.1.4');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1, podCIDR: '10.244.1.0/24', lastIP: '10.244.1.3' });
  });

  it('says the range is full in host-local\'s words', async () => {
    const l = await PodLeases.load(file, '10.244.1.0/29'); // .2 - .6
    for (let i = 0; i < 5; i++) l.acquire(`u${i}`, meta(`u${i}`));
    expect(() => l.acquire('x', meta('x'))).toThrow('failed to allocate for range 0: no IP addresses available in range set: 10.244.1.2-10.244.1.6');
    l.release('u2');
    expect(l.acquire('x', meta('x')).ip).toBe('10.244.1.4');
  });

  it('serialises concurrent saves, each one leaving a complete file', async () => {
    const l = await PodLeases.load(file, '10.244.1.0/24');
    const saves: Array<Promise<void>> = [];
    for (let i = 0; i < 20; i++) {
      l.acquire(`u${i}`, meta(`u${i}`));
      saves.push(l.save());
    }
    await Promise.all(saves);
    expect(Object.keys(parseLeaseFile(readFileSync(file, 'utf8')).leases)).toHaveLength(20);
  });

  it('after a podCIDR change keeps old leases without reserving them and starts the new range at its start', async () => {
    const l = await PodLeases.load(file, '10.244.1.0/24');
    l.acquire('a', meta('a'));
    await l.save();
    const moved = await PodLeases.load(file, '10.244.2.0/24');
    expect(moved.get('a')?.ip).toBe('10.244.1.2');
    expect(moved.acquire('b', meta('b')).ip).toBe('10.244.2.2');
  });

  it('rejects a broken file naming the field', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ version: 1, podCIDR: '10.244.1.0/24', leases: { u: { ip: 7 } } }));
    await expect(PodLeases.load(join(dir, 'bad.json'), '10.244.1.0/24')).rejects.toThrow(/leases\[u\]\.ip must be a string or null/);
    expect(() => parseLeaseFile('{', 'f.json')).toThrow(/f\.json: not JSON/);
    await expect(PodLeases.load(file, '10.244.1.0')).rejects.toThrow(/podCIDR: "10.244.1.0" is not an IPv4 CIDR/);
  });
});
