/** The authentication hook as fastify runs it: who each request is, for the steps after it, and 401 otherwise. */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { AuthenticationChain } from '../../../../src/control/api/auth/authenticator.js';
import { BearerTokenAuthenticator } from '../../../../src/control/api/auth/bearer.js';
import { installAuthentication, setUserOf, userOf } from '../../../../src/control/api/auth/request.js';
import type { UserInfo } from '../../../../src/control/api/auth/user.js';

const alice: UserInfo = { name: 'alice', groups: ['team'] };
const tokens = { authenticateToken: (t: string) => (t === 'good' ? { user: alice } : null) };

async function app() {
  const a = Fastify();
  const seen: (UserInfo | undefined)[] = [];
  installAuthentication(a, new AuthenticationChain([new BearerTokenAuthenticator([tokens])], { fallback: null }));
  // A later hook, as authorisation's: it may replace who the request acts as.
  a.addHook('onRequest', (req, _reply, done) => {
    if (req.headers['x-act-as']) setUserOf(req, { name: String(req.headers['x-act-as']), groups: [] });
    done();
  });
  a.get('/who', (req) => {
    seen.push(userOf(req));
    return { raw: userOf(req.raw)?.name ?? null, keys: Object.keys(req.raw).filter((k) => /user/i.test(k)) };
  });
  await a.ready();
  return { a, seen };
}

describe('installAuthentication', () => {
  it('gives each request its own user, readable from the request or its raw message, and replaceable', async () => {
    const { a, seen } = await app();
    const ok = await a.inject({ url: '/who', headers: { authorization: 'Bearer good' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ raw: 'alice', keys: [] });
    expect(seen[0]).toEqual({ name: 'alice', groups: ['team', 'system:authenticated'] });
    const acting = await a.inject({ url: '/who', headers: { authorization: 'Bearer good', 'x-act-as': 'bob' } });
    expect(acting.json().raw).toBe('bob');
    expect(seen[1]).toEqual({ name: 'bob', groups: [] });
    await a.close();
  });

  it('answers 401 without reaching the handler when no credential is accepted; a request never authenticated has no user', async () => {
    const { a, seen } = await app();
    const bad = await a.inject({ url: '/who', headers: { authorization: 'Bearer bad' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await a.inject({ url: '/who' })).statusCode).toBe(401);
    expect(seen).toEqual([]);
    const { IncomingMessage } = await import('node:http');
    const { Socket } = await import('node:net');
    expect(userOf(new IncomingMessage(new Socket()))).toBeUndefined();
    await a.close();
  });
});
