import { describe, expect, it } from 'vitest';
import { humanSize, imageRows, imageStoreDir } from '../../../../src/cli/image.js';

describe('skiff image', () => {
  it('keeps images beside the server data', () => {
    expect(imageStoreDir('/var/lib/skiff')).toBe('/var/lib/skiff/images');
  });

  it('prints sizes as crictl does (decimal units, four digits)', () => {
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(1_053_123)).toBe('1.053MB');
    expect(humanSize(2_000_000_000)).toBe('2GB');
  });

  it('lists images by reference with the digest prefix', () => {
    const img = { ref: 'docker.io/library/busybox:1', imageID: `docker.io/library/busybox@sha256:${'ab'.repeat(32)}`, names: [], config: { entrypoint: [], cmd: [], env: [], workingDir: '', user: '' }, layers: [], sizeBytes: 1500 };
    expect(imageRows([img])).toEqual([
      ['IMAGE', 'DIGEST', 'SIZE'],
      ['docker.io/library/busybox:1', 'ababababababa', '1.5kB'],
    ]);
  });
});
