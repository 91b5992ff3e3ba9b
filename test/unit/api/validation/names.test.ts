import { describe, expect, test } from 'vitest';
import { isDNS1123Label, isDNS1123Subdomain, isDNS1035Label, nameIsDNSSubdomain, regexError } from '../../../../src/control/api/validation/names.js';

describe('name formats', () => {
  test('subdomain accepts dotted lowercase names and rejects the rest with upstream wording', () => {
    expect(isDNS1123Subdomain('web-1.example.com')).toEqual([]);
    expect(isDNS1123Subdomain('Foo_bar')).toEqual([
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
    expect(isDNS1123Subdomain('a'.repeat(254))).toContain('must be no more than 253 characters');
  });

  test('label rejects dots with its own message, and bad characters with the regex message', () => {
    expect(isDNS1123Label('my-name')).toEqual([]);
    expect(isDNS1123Label('a.b')).toEqual(['must not contain dots']);
    expect(isDNS1123Label('-x')[0]).toMatch(/^a lowercase RFC 1123 label must consist of .* \(e\.g\. 'my-name',  or '123-abc', regex used/);
    expect(isDNS1123Label('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
  });

  test('RFC 1035 label must start with a letter', () => {
    expect(isDNS1035Label('web')).toEqual([]);
    expect(isDNS1035Label('1web')).toHaveLength(1);
  });

  test('generateName prefixes may end in a dash', () => {
    expect(nameIsDNSSubdomain('web-', true)).toEqual([]);
    expect(nameIsDNSSubdomain('web-', false)).toHaveLength(1);
  });

  test('regexError without examples', () => {
    expect(regexError('msg', 'x+')).toBe("msg (regex used for validation is 'x+')");
  });
});
