import { describe, expect, it } from 'vitest';
import { basicPair, credentialsFor, parseWwwAuthenticate, tokenFromResponse, tokenRequest, type DockerConfig } from '../../../../src/dataplane/kubelet/images/auth.js';

describe('WWW-Authenticate', () => {
  it('parses a Bearer challenge with quoted params, commas and escapes', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull,push' } },
    ]);
    expect(parseWwwAuthenticate('Basic realm="say \\"hi\\""')).toEqual([{ scheme: 'basic', params: { realm: 'say "hi"' } }]);
  });

  it('parses several challenges in one header', () => {
    const c = parseWwwAuthenticate('Basic realm="r", Bearer realm="http://t/token", service=reg');
    expect(c.map((x) => x.scheme)).toEqual(['basic', 'bearer']);
    expect(c[1]!.params).toEqual({ realm: 'http://t/token', service: 'reg' });
  });
});

describe('token requests', () => {
  const ch = { scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/token', service: 'reg' } };
  it('asks anonymously, or with basic credentials, for the pull scope', () => {
    const anon = tokenRequest(ch, 'repository:app:pull');
    expect(anon.url.toString()).toBe('http://127.0.0.1:1/token?service=reg&scope=repository%3Aapp%3Apull');
    expect(anon.init.headers).toEqual({});
    const withCred = tokenRequest(ch, 'repository:app:pull', { auth: Buffer.from('u:p:x').toString('base64') });
    expect(withCred.init.headers).toEqual({ authorization: `Basic ${Buffer.from('u:p:x').toString('base64')}` });
  });

  it('exchanges an identity token with the OAuth2 refresh-token grant', () => {
    const r = tokenRequest(ch, 'repository:app:pull', { identitytoken: 'idt' });
    expect(r.init.method).toBe('POST');
    expect(new URLSearchParams(String(r.init.body)).get('grant_type')).toBe('refresh_token');
    expect(new URLSearchParams(String(r.init.body)).get('refresh_token')).toBe('idt');
  });

  it('reads token or access_token', () => {
    expect(tokenFromResponse({ token: 'a' })).toBe('a');
    expect(tokenFromResponse({ access_token: 'b' })).toBe('b');
    expect(tokenFromResponse({})).toBeUndefined();
  });

  it('splits auth at the first colon', () => {
    expect(basicPair({ auth: Buffer.from('user:pa:ss').toString('base64') })).toEqual({ username: 'user', password: 'pa:ss' });
    expect(basicPair({ auth: Buffer.from('nocolon').toString('base64') })).toBeUndefined();
  });
});

describe('docker config matching (the kubelet keyring)', () => {
  const hub = { username: 'hub', password: 'h' };
  const org = { username: 'org', password: 'o' };
  const local = { username: 'local', password: 'l' };
  const wild = { username: 'wild', password: 'w' };
  const configs: DockerConfig[] = [
    { auths: { 'https://index.docker.io/v1/': hub, '127.0.0.1:5000': local, '*.example.com': wild } },
    { auths: { 'docker.io/myorg': org } },
  ];
  it('matches Docker Hub keys to docker.io, the more specific path first', () => {
    expect(credentialsFor(configs, 'docker.io', 'myorg/app')).toEqual([org, hub]);
    expect(credentialsFor(configs, 'docker.io', 'library/busybox')).toEqual([hub]);
  });
  it('matches host:port exactly and one-label globs', () => {
    expect(credentialsFor(configs, '127.0.0.1:5000', 'app')).toEqual([local]);
    expect(credentialsFor(configs, '127.0.0.1:5001', 'app')).toEqual([]);
    expect(credentialsFor(configs, 'reg.example.com', 'app')).toEqual([wild]);
    expect(credentialsFor(configs, 'a.b.example.com', 'app')).toEqual([]);
  });
  it('reads the legacy .dockercfg shape (no auths wrapper)', () => {
    expect(credentialsFor([{ 'quay.io': org }], 'quay.io', 'x/y')).toEqual([org]);
  });
});
