/**
 * Authorisation as a step of every request, after authentication: impersonation (when asked) replaces who the
 * request acts as, then the authoriser decides on the request's attributes (request-info.ts); a request it does
 * not allow gets upstream's 403 Status before routing reaches a handler.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setUserOf, unauthorized, userOf } from '../auth/request.js';
import { ANONYMOUS_USER, type UserInfo } from '../auth/user.js';
import { sendText } from '../content.js';
import { ApiError } from '../status.js';
import { forbiddenError } from './forbidden.js';
import { impersonate, wantsImpersonation } from './impersonation.js';
import { requestInfo, type RequestInfo } from './request-info.js';
import type { AuthorizationAttributes, Authorizer } from './types.js';
import { addAuditAnnotation } from '../audit/index.js';

export interface AuthorizationHookOptions {
  /**
   * The only paths anonymous requests may reach (upstream's structured authentication `anonymous.conditions`);
   * anywhere else a request without credentials is 401. Absent: anonymous requests go to the authoriser.
   */
  anonymousPaths?: readonly string[];
  /**
   * Resolves once the policy reflects this server's latest writes; asked only when `fresh()` says it does not
   * (a role or binding was just written), so a grant applies to the very next request.
   */
  fresh?: () => boolean;
  waitFresh?: () => Promise<void>;
  /** Told of each refusal (upstream logs it at verbosity 4). */
  onRefused?: (message: string, req: FastifyRequest) => void;
}

/** Collection requests' infos remembered, by URL; more empties the map. */
const INFOS = 1024;
/** Longer URLs (label selectors, continue tokens) are rarely repeated: parsed each time, not remembered. */
const INFO_URL_MAX = 256;

type InfoCache = Map<string, RequestInfo>;
const infoCaches = new Map<string, InfoCache>();
/** The request whose info was read last, and that info: a request's hooks (limits, authorisation) ask in a row. */
let lastRequest: IncomingMessage | undefined;
let lastInfo: RequestInfo | undefined;

/**
 * A request's requestInfo, parsed once per request however many hooks ask. Requests to a collection (a create's
 * URL, a list's or watch's) repeat and are remembered by URL; a named object's URL (a node's lease, a pod's
 * status) is seldom asked twice in a row among thousands, so it is parsed and not remembered (remembering every
 * one would empty the map over and over). The info is pure in the method, the URL and the upgrade header;
 * remembered ones are frozen and shared.
 */
export function requestInfoOf(req: FastifyRequest): RequestInfo {
  const raw = req.raw;
  if (raw === lastRequest) return lastInfo!;
  const method = req.method;
  const url = req.url;
  const upgrade = req.headers.upgrade !== undefined;
  let info: RequestInfo | undefined;
  if (url.length > INFO_URL_MAX) info = requestInfo(method, url, upgrade);
  else {
    const cacheKey = upgrade ? `${method}+` : method;
    let infos = infoCaches.get(cacheKey);
    if (!infos) infoCaches.set(cacheKey, (infos = new Map()));
    info = infos.get(url);
    if (!info) {
      info = requestInfo(method, url, upgrade);
      if (info.name === '') {
        if (infos.size >= INFOS) infos.clear();
        infos.set(url, Object.freeze(info));
      }
    }
  }
  lastRequest = raw;
  lastInfo = info;
  return info;
}

/** The attributes of each remembered request info, per user object (see attributesOf). */
const attributesByInfo = new WeakMap<RequestInfo, WeakMap<UserInfo, AuthorizationAttributes>>();

/**
 * A request's authorisation attributes. For a remembered (frozen) info and a user object the authenticators keep
 * per connection, the same frozen object every time: no copy of the info per request, and authorisers may
 * remember their decision by it (RbacAuthorizer does). Other infos (named objects' URLs) get a fresh copy.
 */
export function attributesOf(user: UserInfo, info: RequestInfo): AuthorizationAttributes {
  if (!Object.isFrozen(info)) return { user, ...info };
  let byUser = attributesByInfo.get(info);
  if (!byUser) attributesByInfo.set(info, (byUser = new WeakMap()));
  let attrs = byUser.get(user);
  if (!attrs) byUser.set(user, (attrs = Object.freeze({ user, ...info })));
  return attrs;
}

function refuse(reply: FastifyReply, err: ApiError): FastifyReply {
  sendText(reply, err.code, 'application/json', JSON.stringify(err.toStatus()));
  return reply;
}

export function installAuthorization(app: FastifyInstance, authorizer: Authorizer, opts: AuthorizationHookOptions = {}): void {
  /** The decision, once the policy is fresh; false when the request was answered (refused). */
  const decide = (req: FastifyRequest, reply: FastifyReply, user: UserInfo): boolean => {
    if (wantsImpersonation(req.raw.rawHeaders)) {
      const acting = impersonate(user, req.raw.headersDistinct, authorizer);
      if (acting instanceof ApiError) {
        opts.onRefused?.(acting.message, req);
        refuse(reply, acting);
        return false;
      }
      user = acting;
      setUserOf(req, user);
    }
    const attrs = attributesOf(user, requestInfoOf(req));
    const r = authorizer.authorize(attrs);
    // The audit log's record of the decision, as upstream's WithAuthorization annotates it.
    addAuditAnnotation(req, 'authorization.k8s.io/decision', r.decision === 'Allow' ? 'allow' : 'forbid');
    addAuditAnnotation(req, 'authorization.k8s.io/reason', r.reason);
    if (r.decision === 'Allow') return true;
    const err = forbiddenError(attrs, r.reason);
    opts.onRefused?.(err.message, req);
    refuse(reply, err);
    return false;
  };
  // A callback hook: while the policy is fresh (nearly always) the decision is synchronous, with no promise and
  // no microtask turn per request.
  app.addHook('onRequest', (req, reply, done) => {
    const user = userOf(req);
    // Authentication answered already (401); nothing to authorise.
    if (!user) return done();
    if (opts.anonymousPaths && user.name === ANONYMOUS_USER) {
      const q = req.url.indexOf('?');
      if (!opts.anonymousPaths.includes(q < 0 ? req.url : req.url.slice(0, q))) return void refuse(reply, unauthorized());
    }
    if (opts.fresh && opts.waitFresh && !opts.fresh()) {
      opts.waitFresh().then(() => {
        if (decide(req, reply, user)) done();
      }).catch(done);
      return;
    }
    if (decide(req, reply, user)) done();
  });
}
