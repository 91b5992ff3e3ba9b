import { describe, expect, it } from 'vitest';
import { cloneJson } from '../../../src/control/api/clone.js';

describe('cloneJson', () => {
  it('copies decoded JSON deeply, key order kept, sharing nothing', () => {
    const src = JSON.parse('{"b":1,"a":{"x":[1,{"y":null}],"s":"t"},"c":true}') as Record<string, unknown>;
    const out = cloneJson(src);
    expect(out).toEqual(src);
    expect(Object.keys(out)).toEqual(['b', 'a', 'c']);
    (out['a'] as { x: unknown[] }).x.push(2);
    ((out['a'] as { x: { y: unknown }[] }).x[1]!).y = 5;
    expect(src).toEqual({ b: 1, a: { x: [1, { y: null }], s: 't' }, c: true });
  });

  it('keeps a __proto__ key as an ordinary own key, as JSON.parse makes it', () => {
    const src = JSON.parse('{"__proto__":{"polluted":true},"k":1}') as Record<string, unknown>;
    const out = cloneJson(src);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'k']);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"k":1}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('copies values that are not plain JSON (dates, bytes) exactly', () => {
    const d = new Date(5);
    const bytes = new Uint8Array([1, 2]);
    const out = cloneJson({ d, bytes, u: undefined });
    expect(out.d).toBeInstanceOf(Date);
    expect(out.d).not.toBe(d);
    expect(out.d.getTime()).toBe(5);
    expect(out.bytes).toBeInstanceOf(Uint8Array);
    expect([...out.bytes]).toEqual([1, 2]);
    expect('u' in out).toBe(true);
  });
});
