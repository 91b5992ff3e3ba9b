/**
 * Registry authentication: WWW-Authenticate challenges (Basic, Bearer realm/service/scope), the token request of
 * the distribution token spec, and the kubelet's matching of docker config `auths` keys to a registry host.
 */
import type { RegistryCredential } from './types.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header (one or more challenges; quoted strings with backslash escapes). */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipWs = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  while (i < s.length) {
    skipWs();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const scheme = token();
    if (!scheme) break;
    const ch: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(ch);
    for (;;) {
      skipWs();
      const save = i;
      const key = token();
      skipWs();
      if (!key || s[i] !== '=') {
        // Not a parameter: the next challenge's scheme (or token68, unused by registries).
        i = save;
        break;
      }
      i++;
      skipWs();
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++;
      } else {
        value = token();
      }
      ch.params[key.toLowerCase()] = value;
      skipWs();
      if (s[i] === ',') i++;
    }
  }
  return out;
}

/** username/password of a credential: its own fields, else its base64 `auth`. */
export function basicPair(c: RegistryCredential): { username: string; password: string } | undefined {
  if (c.username !== undefined || c.password !== undefined) return { username: c.username ?? '', password: c.password ?? '' };
  if (c.auth) {
    const decoded = Buffer.from(c.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

export function basicHeader(c: RegistryCredential): string | undefined {
  const p = basicPair(c);
  return p ? `Basic ${Buffer.from(`${p.username}:${p.password}`).toString('base64')}` : undefined;
}

/** The token request for a Bearer challenge: GET with basic credentials, or the OAuth2 refresh-token POST for an identity token. */
export function tokenRequest(ch: Challenge, scope: string, cred?: RegistryCredential): { url: URL; init: RequestInit } {
  const realm = ch.params.realm;
  if (!realm) throw new Error('bearer challenge without a realm');
  const url = new URL(realm);
  const service = ch.params.service;
  if (cred?.identitytoken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identitytoken, client_id: 'skiff', scope });
    if (service) form.set('service', service);
    return { url, init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() } };
  }
  if (service) url.searchParams.set('service', service);
  url.searchParams.set('scope', scope);
  const headers: Record<string, string> = {};
  const basic = cred ? basicHeader(cred) : undefined;
  if (basic) headers.authorization = basic;
  return { url, init: { method: 'GET', headers } };
}

/** The token from a token endpoint's JSON answer (`token`, or OAuth2's `access_token`). */
export function tokenFromResponse(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { token?: unknown; access_token?: unknown };
  if (typeof b.token === 'string' && b.token) return b.token;
  if (typeof b.access_token === 'string' && b.access_token) return b.access_token;
  return undefined;
}

/** A docker config (`.dockerconfigjson` of an imagePullSecret, or the legacy `.dockercfg` map). */
export type DockerConfig = { auths?: Record<string, RegistryCredential> } | Record<string, RegistryCredential>;

function configKeyHost(key: string): { host: string; path: string } {
  let k = key.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(k);
  if (scheme) k = k.slice(scheme[0].length);
  const slash = k.indexOf('/');
  const host = (slash < 0 ? k : k.slice(0, slash)).toLowerCase();
  // The keyring takes /v1/ and /v2/ as the bare host, for every registry (docker's ResolveAuthConfig does the same).
  const path = (slash < 0 ? '' : k.slice(slash + 1).replace(/\/+$/, '')).replace(/^v[12](\/|$)/, '');
  // Docker Hub's classic key (index.docker.io/v1/) stands for docker.io.
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') return { host: 'docker.io', path };
  return { host, path };
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  // The kubelet's keyring allows one-level globs per label: *.example.com matches a.example.com.
  const [pHost, pPort] = pattern.split(':');
  const [hHost, hPort] = host.split(':');
  if (pPort !== hPort) return false;
  const pl = pHost!.split('.');
  const hl = hHost!.split('.');
  if (pl.length !== hl.length) return false;
  return pl.every((p, i) => p === hl[i] || (p.includes('*') && new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`).test(hl[i]!)));
}

/**
 * Credentials for an image's repository from pull secrets' docker configs, in the kubelet keyring's order:
 * matching entries with the longer (more specific) key first, secrets in the order given.
 */
export function credentialsFor(configs: DockerConfig[], domain: string, repoPath: string): RegistryCredential[] {
  const hits: { cred: RegistryCredential; specificity: number; order: number }[] = [];
  let order = 0;
  for (const cfg of configs) {
    const auths = (typeof (cfg as { auths?: unknown }).auths === 'object' ? (cfg as { auths: Record<string, RegistryCredential> }).auths : cfg) as Record<string, RegistryCredential>;
    for (const [key, cred] of Object.entries(auths ?? {})) {
      order++;
      if (typeof cred !== 'object' || cred === null) continue;
      const { host, path } = configKeyHost(key);
      if (!hostMatches(host, domain.toLowerCase())) continue;
      if (path && repoPath !== path && !repoPath.startsWith(`${path}/`)) continue;
      hits.push({ cred, specificity: host.length + path.length, order });
    }
  }
  return hits.sort((a, b) => b.specificity - a.specificity || a.order - b.order).map((h) => h.cred);
}
