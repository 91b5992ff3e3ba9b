import { describe, expect, it } from 'vitest';
import { compareKeys, prefixEnd } from '../../../src/control/storage/keys.js';

describe('key ranges', () => {
  it('ends a prefix range just past every key under it, as etcd does', () => {
    expect(prefixEnd('/registry/pods/')).toBe('/registry/pods0');
    expect(prefixEnd('a\u{10FFFF}')).toBe('b');
    expect(prefixEnd('\u{10FFFF}')).toBeNull();
    expect(prefixEnd('')).toBeNull();
    expect(prefixEnd('x\uD7FF')).toBe('x\uE000'); // over the surrogate block
    const end = prefixEnd('/p/')!;
    for (const k of ['/p/', '/p/a', '/p/\u{1F600}', '/p/\uFFFF']) expect(compareKeys(k, end)).toBeLessThan(0);
    expect(compareKeys('/p0', end)).toBe(0);
  });

  it('orders keys as UTF-8 bytes, unlike JavaScript string order past U+FFFF', () => {
    expect(compareKeys('a', 'b')).toBe(-1);
    expect(compareKeys('ab', 'a')).toBe(1);
    expect(compareKeys('x', 'x')).toBe(0);
    expect('\u{1F600}' < '\uFFFF').toBe(true);
    expect(compareKeys('\u{1F600}', '\uFFFF')).toBe(1);
    const keys = ['\uFFFF', '\u{1F600}', 'a', '\u00e9'];
    const bytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...keys].sort(compareKeys)).toEqual(bytes);
  });
});
