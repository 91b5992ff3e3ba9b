/**
 * The static token file (kube-apiserver's --token-auth-file): CSV records `token,user,uid[,"group1,group2"]`.
 * As upstream: fewer than three columns is an error; an empty token or a repeated one is a warning (the later
 * record wins); further columns after the groups are ignored.
 */
import { readFileSync } from 'node:fs';
import type { TokenAuthenticator, TokenResult } from './bearer.js';
import { parseCsv } from './csv.js';
import type { UserInfo } from './user.js';

export interface TokenFile {
  tokens: Map<string, UserInfo>;
  warnings: string[];
}

/** Parses a token file's text; `path` names it in errors and warnings. Throws on a malformed file. */
export function parseTokenFile(text: string, path: string): TokenFile {
  const tokens = new Map<string, UserInfo>();
  const warnings: string[] = [];
  let recordNum = 0;
  for (const { fields } of parseCsv(text)) {
    if (fields.length < 3) throw new Error(`token file '${path}' must have at least 3 columns (token, user name, user uid), found ${fields.length}`);
    recordNum++;
    const [token, name, uid, groups] = fields as [string, string, string, string | undefined];
    if (token === '') {
      warnings.push(`empty token has been found in token file '${path}', record number '${recordNum}'`);
      continue;
    }
    if (tokens.has(token)) warnings.push(`duplicate token has been found in token file '${path}', record number '${recordNum}'`);
    tokens.set(token, { name, uid, groups: groups === undefined ? [] : groups.split(',') });
  }
  return { tokens, warnings };
}

export class TokenFileAuthenticator implements TokenAuthenticator {
  constructor(private readonly tokens: ReadonlyMap<string, UserInfo>) {}

  static fromFile(path: string): { authenticator: TokenFileAuthenticator; warnings: string[] } {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`token file '${path}': ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    const { tokens, warnings } = parseTokenFile(text, path);
    return { authenticator: new TokenFileAuthenticator(tokens), warnings };
  }

  authenticateToken(token: string): TokenResult {
    const user = this.tokens.get(token);
    return user ? { user } : null;
  }
}
