import { describe, expect, it } from 'vitest';
import { shareJson, sharedJsonOf } from '../../../src/control/api/shared-json.js';

describe('shareJson', () => {
  it('freezes the value all through and remembers its JSON and a placeholder of its own', () => {
    const v = shareJson({ a: [{ b: 1 }], c: 'x' });
    expect(Object.isFrozen(v)).toBe(true);
    expect(Object.isFrozen(v.a)).toBe(true);
    expect(Object.isFrozen(v.a[0])).toBe(true);
    const s = sharedJsonOf(v)!;
    expect(s.json).toBe('{"a":[{"b":1}],"c":"x"}');
    expect(s.quoted).toBe(JSON.stringify(s.placeholder));
    const w = shareJson({ a: [{ b: 1 }], c: 'x' });
    expect(sharedJsonOf(w)!.placeholder).not.toBe(s.placeholder);
  });

  it('knows nothing of other values, equal ones included', () => {
    shareJson({ k: 1 });
    expect(sharedJsonOf({ k: 1 })).toBeUndefined();
    expect(sharedJsonOf('x')).toBeUndefined();
    expect(sharedJsonOf(null)).toBeUndefined();
    expect(sharedJsonOf(undefined)).toBeUndefined();
  });
});
