/**
 * Authentication as a step of every request: a fastify onRequest hook that runs the chain before routing reaches
 * a handler, answers 401 with upstream's Status when it fails, and otherwise records who asked, for the steps
 * after it (authorisation, admission) to read with `userOf(req)`.
 */
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../status.js';
import { sendText } from '../content.js';
import type { AuthenticationChain, ChainResult } from './authenticator.js';
import type { UserInfo } from './user.js';
import { frontClientCertificate } from '../tls-front/connection.js';

/**
 * Who a request is, on the request itself under a symbol of this module: one store per request, where a WeakMap
 * entry per request cost its hash insert and the collector's ephemeron work (the hook's largest part).
 */
const USER = Symbol('skiff.authenticatedUser');
type WithUser = IncomingMessage & { [USER]?: UserInfo };
/** Each TLS connection's client certificate (DER; empty when none), read once per connection. */
const peerCertificates = new WeakMap<TLSSocket, Buffer>();
const NONE = Buffer.alloc(0);

export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized', 'Unauthorized');

/** The user a request was authenticated as; undefined only for requests that never passed authentication. */
export function userOf(req: FastifyRequest | IncomingMessage): UserInfo | undefined {
  return ('raw' in req ? req.raw as WithUser : req as WithUser)[USER];
}

/** Replaces who a request acts as (impersonation, after authentication): later steps see the new user. */
export function setUserOf(req: FastifyRequest | IncomingMessage, user: UserInfo): void {
  ('raw' in req ? req.raw as WithUser : req as WithUser)[USER] = user;
}

/** The client certificate of a request's connection, if it is TLS (here or through the TLS front) and the client sent one. */
export function clientCertificateOf(raw: IncomingMessage): Buffer | undefined {
  const sock = raw.socket;
  if (!(sock instanceof TLSSocket)) return frontClientCertificate(sock);
  let der = peerCertificates.get(sock);
  if (der === undefined) {
    const peer = sock.getPeerCertificate();
    der = peer && peer.raw ? peer.raw : NONE;
    peerCertificates.set(sock, der);
  }
  return der.length ? der : undefined;
}

export interface AuthenticationHookOptions {
  /** Told why a request was refused (upstream logs "Unable to authenticate the request"). */
  onRefused?: (reason: string, req: FastifyRequest) => void;
}

export function installAuthentication(app: FastifyInstance, chain: AuthenticationChain, opts: AuthenticationHookOptions = {}): void {
  const settle = (r: ChainResult, req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    if ('error' in r) {
      opts.onRefused?.(r.error, req);
      sendText(reply, 401, 'application/json', JSON.stringify(unauthorized().toStatus()));
      return;
    }
    (req.raw as WithUser)[USER] = r.user;
    done();
  };
  // A callback hook, not an async one: a client certificate (or no credential) is answered synchronously, and
  // then the request goes on without a promise and a microtask turn; only token reviews and the like wait.
  app.addHook('onRequest', (req, reply, done) => {
    const r = chain.authenticateNow({ headers: req.headers, clientCertificate: clientCertificateOf(req.raw) });
    if (r instanceof Promise) r.then((res) => settle(res, req, reply, done), done);
    else settle(r, req, reply, done);
  });
}
