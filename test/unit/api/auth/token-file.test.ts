import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../../src/control/api/auth/csv.js';
import { parseTokenFile, TokenFileAuthenticator } from '../../../../src/control/api/auth/token-file.js';

describe('parseCsv (Go encoding/csv defaults)', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks; skips empty lines; accepts CRLF', () => {
    const recs = parseCsv('a,b,c\r\n\n"x,y","say ""hi""",z\n"multi\nline",2\nlast,');
    expect(recs.map((r) => r.fields)).toEqual([['a', 'b', 'c'], ['x,y', 'say "hi"', 'z'], ['multi\nline', '2'], ['last', '']]);
    expect(recs.map((r) => r.line)).toEqual([1, 3, 4, 6]);
  });

  it('fails as Go does on stray quotes', () => {
    expect(() => parseCsv('ok,1,2\nab"c,1,2')).toThrow('parse error on line 2, column 3: bare " in non-quoted field');
    expect(() => parseCsv('"abc"x,1')).toThrow('parse error on line 1, column 6: extraneous or missing " in quoted-field');
    expect(() => parseCsv('"abc\nmore')).toThrow('record on line 1; parse error on line 2, column 5: extraneous or missing " in quoted-field');
  });
});

describe('parseTokenFile (kube-apiserver --token-auth-file)', () => {
  it('reads token,user,uid and the quoted group list', () => {
    const f = parseTokenFile('t1,alice,u-1,"dev,ops"\nt2,bob,u-2\n', 'tokens.csv');
    expect(f.tokens.get('t1')).toEqual({ name: 'alice', uid: 'u-1', groups: ['dev', 'ops'] });
    expect(f.tokens.get('t2')).toEqual({ name: 'bob', uid: 'u-2', groups: [] });
    expect(f.warnings).toEqual([]);
  });

  it('needs three columns, naming the file and the count found', () => {
    expect(() => parseTokenFile('t1,alice\n', '/etc/tokens.csv')).toThrow("token file '/etc/tokens.csv' must have at least 3 columns (token, user name, user uid), found 2");
  });

  it('warns about empty and repeated tokens by record number; the later record wins', () => {
    const f = parseTokenFile(',nobody,u0\nt1,alice,u1\nt1,carol,u3\n', 'f.csv');
    expect(f.warnings).toEqual([
      "empty token has been found in token file 'f.csv', record number '1'",
      "duplicate token has been found in token file 'f.csv', record number '3'",
    ]);
    expect(f.tokens.get('t1')?.name).toBe('carol');
    expect(f.tokens.has('')).toBe(false);
  });

  it('a CSV error stops the file', () => {
    expect(() => parseTokenFile('t1,ali"ce,u1', 'f.csv')).toThrow(/bare " in non-quoted field/);
  });

  it('the authenticator knows only the file\'s tokens', () => {
    const a = new TokenFileAuthenticator(parseTokenFile('secret,alice,u1,admins', 'f').tokens);
    expect(a.authenticateToken('secret')).toEqual({ user: { name: 'alice', uid: 'u1', groups: ['admins'] } });
    expect(a.authenticateToken('other')).toBeNull();
  });
});
