/** A PVC volume on a real node: bound claim → its hostPath volume's directory (made when DirectoryOrCreate), node affinity honoured. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/client/types.js';
import { claimPathResolver, volumeAdmitsNode, type ClaimSource } from '../../../src/dataplane/kubelet/volumes/claim-path.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-claim-path-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const claim = (phase: string, volumeName?: string): KubeObject => ({ metadata: { name: 'data', namespace: 'ns', uid: 'c-1' }, spec: { volumeName }, status: { phase } });
const pv = (extra: Record<string, unknown>, uid = 'c-1'): KubeObject => ({
  metadata: { name: 'pvc-c-1' },
  spec: { claimRef: { namespace: 'ns', name: 'data', uid }, hostPath: { path: join(dir, 'pvc-c-1'), type: 'DirectoryOrCreate' }, ...extra },
});
const affinity = (node: string) => ({ nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } });
const source = (c?: KubeObject, v?: KubeObject): ClaimSource => ({ claim: async () => c, volume: async () => v });

describe('claimPath', () => {
  it('a Bound claim gives its volume\'s directory, made on first use', async () => {
    const resolve = claimPathResolver(source(claim('Bound', 'pvc-c-1'), pv(affinity('node-a'))), { name: 'node-a' });
    expect(await resolve('ns', 'data')).toEqual({ path: join(dir, 'pvc-c-1') });
    expect(existsSync(join(dir, 'pvc-c-1'))).toBe(true);
  });

  it('refuses an unbound claim, a missing volume, a volume bound elsewhere or pinned to another node', async () => {
    await expect(claimPathResolver(source(undefined), { name: 'n' })('ns', 'data')).rejects.toThrow('persistentvolumeclaim "data" not found');
    await expect(claimPathResolver(source(claim('Pending')), { name: 'n' })('ns', 'data')).rejects.toThrow('PVC ns/data has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")');
    await expect(claimPathResolver(source(claim('Bound', 'pvc-c-1')), { name: 'n' })('ns', 'data')).rejects.toThrow('failed to fetch PV pvc-c-1');
    await expect(claimPathResolver(source(claim('Bound', 'pvc-c-1'), pv({}, 'other')), { name: 'n' })('ns', 'data')).rejects.toThrow('does not point back');
    await expect(claimPathResolver(source(claim('Bound', 'pvc-c-1'), pv(affinity('node-a'))), { name: 'node-b' })('ns', 'data')).rejects.toThrow('does not admit node node-b');
  });

  it('node affinity: terms are ORed, expressions ANDed; labels beside the hostname count', () => {
    const spec = { nodeAffinity: { required: { nodeSelectorTerms: [
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'Exists' }] },
      { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n2'] }] }] } } };
    expect(volumeAdmitsNode(spec, { name: 'n1', labels: { zone: 'a', disk: 'ssd' } })).toBe(true);
    expect(volumeAdmitsNode(spec, { name: 'n1', labels: { zone: 'a' } })).toBe(false);
    expect(volumeAdmitsNode(spec, { name: 'n2' })).toBe(true);
    expect(volumeAdmitsNode({}, { name: 'any' })).toBe(true);
  });
});
