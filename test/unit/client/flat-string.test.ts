import { describe, expect, it } from 'vitest';
import { flatString } from '../../../src/client/flat-string.js';

describe('flatString', () => {
  it('returns a string equal to the one built piece by piece, whatever its characters', () => {
    let built = '';
    for (let i = 0; i < 300; i++) built += `${i}:"k${i}",`;
    for (const s of [built, '', 'a', 'ü€😀', '\ud800 lone', `${built}\n${'é'.repeat(40)}`]) {
      const f = flatString(s);
      expect(f).toBe(s);
      expect(f.length).toBe(s.length);
    }
  });

  it('keeps a Map keyed by it answering lookups made with the pieces-built key', () => {
    const m = new Map<string, number>();
    const key = (i: number) => ['{', `"a":${i}`, ',', '"b":"x"', '}'].reduce((a, b) => a + b, '');
    for (let i = 0; i < 100; i++) m.set(flatString(key(i)), i);
    for (let i = 0; i < 100; i++) expect(m.get(key(i))).toBe(i);
    expect(m.size).toBe(100);
  });
});
