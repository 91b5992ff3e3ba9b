/**
 * apimachinery's util/rand alphabet: no vowels and no 0, 1 or 3, so generated names never spell words (generateName
 * suffixes, the pod-template-hash, the ServiceAccount token volume's name).
 */
export const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: each character mapped into the alphabet by its code. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}
