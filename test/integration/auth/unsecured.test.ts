/**
 * A server built without authentication (tests, `skiff server --insecure-http`): every request is
 * system:unsecured in system:masters, as upstream's old insecure port; with a token file, its tokens are still
 * read and an unknown one is refused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import { buildServer, type ApiServer } from '../../../src/control/api/server.js';
import { authenticationChain, parseTokenFile, TokenFileAuthenticator, UNSECURED_USER } from '../../../src/control/api/auth/index.js';

const servers: Array<{ server: ApiServer; store: MemoryStore }> = [];
async function start(opts: Parameters<typeof buildServer>[0] extends infer O ? Partial<O> : never) {
  const store = new MemoryStore();
  const server = await buildServer({ store, compactIntervalMs: 0, metrics: false, ...opts });
  servers.push({ server, store });
  return server;
}
afterAll(async () => {
  for (const s of servers) {
    await s.server.close();
    await s.store.close();
  }
});

const whoami = (server: ApiServer, headers: Record<string, string> = {}) =>
  server.app.inject({ method: 'POST', url: '/apis/authentication.k8s.io/v1/selfsubjectreviews', headers: { 'content-type': 'application/json', ...headers }, payload: '{}' });

describe('no authentication', () => {
  it('every request is system:unsecured, a member of system:masters', async () => {
    const server = await start({});
    const res = await whoami(server, { authorization: 'Bearer anything' });
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body).status.userInfo).toEqual({ username: UNSECURED_USER.name, groups: ['system:masters', 'system:authenticated'] });
  });

  it('with a token file the tokens are read, an unknown one is 401, none is system:unsecured', async () => {
    const tokens = new TokenFileAuthenticator(parseTokenFile('t1,bob,u2', 'f').tokens);
    const server = await start({ authentication: authenticationChain({ tokens: [tokens], fallback: UNSECURED_USER }) });
    expect(JSON.parse((await whoami(server, { authorization: 'Bearer t1' })).body).status.userInfo).toEqual({ username: 'bob', uid: 'u2', groups: ['system:authenticated'] });
    const refused = await whoami(server, { authorization: 'Bearer t2' });
    expect(refused.statusCode).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized', code: 401 });
    expect(JSON.parse((await whoami(server)).body).status.userInfo.username).toBe('system:unsecured');
  });
});
