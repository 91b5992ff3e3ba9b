/**
 * Request limits after authentication, as kube-apiserver's filters: a request deadline (--request-timeout, a
 * shorter `?timeout=`; 504 Timeout), then API Priority and Fairness (../flowcontrol/: each request classified by
 * the FlowSchemas into a priority level whose seats are its share of --max-requests-inflight +
 * --max-mutating-requests-inflight, queued fairly per flow, 429 with Retry-After when refused). With
 * --enable-priority-and-fairness=false, the older filter instead: in-flight budgets for read-only and mutating
 * requests shared fairly between users with bounded queues (system:masters exempt). Long-running requests other
 * than watches are not limited, as upstream.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { userOf } from '../auth/request.js';
import { SYSTEM_MASTERS } from '../auth/user.js';
import { sendText } from '../content.js';
import { ApiError, badRequest, timeout } from '../status.js';
import { parseGoDuration } from '../metrics/format.js';
import { FairQueue } from './fair-queue.js';
import { isLongRunningRequest } from './long-running.js';
import { requestInfoOf } from '../authz/request.js';
import { anonymousUser } from '../auth/user.js';
import { FlowControl, type Admission as FlowAdmission } from '../flowcontrol/index.js';
import { followEngineFlowControl } from '../flowcontrol/source.js';
import type { PolicyEngine } from '../authz/policy-source.js';

export interface LimitOptions {
  /** Read-only requests running at once (upstream default 400); 0 = unlimited. */
  maxRequestsInflight?: number;
  /** Mutating requests running at once (upstream default 200); 0 = unlimited. */
  maxMutatingRequestsInflight?: number;
  /** Requests one user may have running at once in each budget; 0 (default) = only the budgets. */
  perUserMaxInflight?: number;
  /** Requests one user may have waiting for a seat in each budget (default 50). */
  queueLength?: number;
  /** Requests all users may have waiting in each budget (default 3200: APF's 64 queues of 50). */
  maxQueued?: number;
  /** How long a request may wait for a seat (default 15 s, a quarter of the request timeout as APF's). */
  queueTimeoutMs?: number;
  /** --request-timeout (default 60 s); 0 = none. */
  requestTimeoutMs?: number;
  /**
   * --enable-priority-and-fairness (default true): requests are limited by the stored FlowSchemas and
   * PriorityLevelConfigurations; false: by the two budgets above, per user.
   */
  enablePriorityAndFairness?: boolean;
}

/** Upstream's response headers naming the FlowSchema and priority level a request was classified into. */
export const FLOW_SCHEMA_UID_HEADER = 'X-Kubernetes-PF-FlowSchema-UID';
export const PRIORITY_LEVEL_UID_HEADER = 'X-Kubernetes-PF-PriorityLevel-UID';

/** Upstream's APF refusal: plain text (http.Error), Retry-After 1. */
function sendTooManyRequests(reply: FastifyReply): void {
  reply.header('Retry-After', '1');
  reply.header('X-Content-Type-Options', 'nosniff');
  sendText(reply, 429, 'text/plain; charset=utf-8', 'Too many requests, please try again later.\n');
}

const READ_ONLY = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Upstream's 429 for a request the budgets have no room for. */
export const tooManyRequests = (): ApiError =>
  new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 });

/** Upstream's 504 for a request that outlived its deadline. */
export const requestTimedOut = (): ApiError => timeout('Timeout: request did not complete within requested timeout - context deadline exceeded');

function send(reply: FastifyReply, err: ApiError): void {
  if (err.code === 429) reply.header('Retry-After', '1');
  sendText(reply, err.code, 'application/json', JSON.stringify(err.toStatus()));
}

/** `?timeout=` as a Go duration, capped at the server's; undefined when absent; an ApiError when malformed. */
export function requestDeadlineMs(url: string, serverMs: number): number | ApiError | undefined {
  const q = url.indexOf('?');
  if (q < 0 || !url.includes('timeout=', q)) return serverMs > 0 ? serverMs : undefined;
  const raw = new URLSearchParams(url.slice(q + 1)).get('timeout');
  if (raw === null || raw === '') return serverMs > 0 ? serverMs : undefined;
  const ms = parseGoDuration(raw);
  if (ms === null || ms < 0) return badRequest(`invalid timeout specified in the request URL`);
  if (ms === 0) return serverMs > 0 ? serverMs : undefined;
  return serverMs > 0 ? Math.min(ms, serverMs) : ms;
}

export interface InstalledLimits {
  /** API Priority and Fairness' state, when it is on. */
  flowControl?: FlowControl;
  /** The budgets, when it is off. */
  readOnly?: FairQueue;
  mutating?: FairQueue;
}

/**
 * The limits' hooks. `engine` (the server's watch caches) feeds APF its configuration; without it, or with
 * enablePriorityAndFairness false, the budgets apply. GET /metrics serves the limits' figures.
 */
export function installLimits(app: FastifyInstance, opts: LimitOptions = {}, engine?: PolicyEngine, onError?: (err: unknown) => void): InstalledLimits {
  const serverTimeout = opts.requestTimeoutMs ?? 60_000;
  const deadlines = installDeadlines(app, serverTimeout);
  const serverConcurrencyLimit = (opts.maxRequestsInflight ?? 400) + (opts.maxMutatingRequestsInflight ?? 200);
  // Both flags 0 (no limit): upstream refuses to start APF so; here the budgets' "unlimited" applies.
  if (opts.enablePriorityAndFairness !== false && engine && serverConcurrencyLimit > 0) {
    const flowControl = new FlowControl({ serverConcurrencyLimit });
    const source = followEngineFlowControl(engine, flowControl, onError);
    app.addHook('onClose', async () => {
      source.stop();
      flowControl.stop();
    });
    installPriorityAndFairness(app, flowControl, deadlines, opts.queueTimeoutMs ?? 15_000);
    app.get('/metrics', async (_req, reply) => sendText(reply, 200, 'text/plain; version=0.0.4; charset=utf-8', flowControl.metricsText()));
    return { flowControl };
  }
  const queue = (limit: number) => new FairQueue({
    limit, perFlowLimit: opts.perUserMaxInflight ?? 0, queueLength: opts.queueLength ?? 50, maxQueued: opts.maxQueued ?? 3200, queueTimeoutMs: opts.queueTimeoutMs ?? 15_000,
  });
  const readOnly = queue(opts.maxRequestsInflight ?? 400);
  const mutating = queue(opts.maxMutatingRequestsInflight ?? 200);
  installBudgets(app, readOnly, mutating, deadlines);
  app.get('/metrics', async (_req, reply) => sendText(reply, 200, 'text/plain; version=0.0.4; charset=utf-8', [
    '# HELP apiserver_current_inflight_requests Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
    '# TYPE apiserver_current_inflight_requests gauge',
    `apiserver_current_inflight_requests{request_kind="mutating"} ${mutating.inFlight}`,
    `apiserver_current_inflight_requests{request_kind="readOnly"} ${readOnly.inFlight}`,
  ].join('\n') + '\n'));
  return { readOnly, mutating };
}

/**
 * Arms a request's deadline: what to undo when the response closes (null: nothing), or `false` when the request
 * was answered (a malformed `?timeout=`). The caller runs the undo from its own 'close' listener (one per request).
 */
type ArmDeadline = (req: FastifyRequest, reply: FastifyReply) => (() => void) | null | false;

/**
 * The request deadline: the server's own is kept by one sweep a second over the requests in flight (a map insert
 * and delete per request, no timer each); only a shorter `?timeout=` gets a timer of its own.
 */
function installDeadlines(app: FastifyInstance, serverTimeout: number): ArmDeadline {
  const pending = new Map<ServerResponse, { at: number; reply: FastifyReply }>();
  const sweepEvery = Math.max(10, Math.min(1000, Math.floor(serverTimeout / 10)));
  const sweeper = serverTimeout > 0
    ? setInterval(() => {
      const now = Date.now();
      for (const [res, p] of pending) if (p.at <= now) expire(res, p.reply);
    }, sweepEvery).unref()
    : undefined;
  app.addHook('onClose', async () => clearInterval(sweeper));
  const expire = (res: ServerResponse, reply: FastifyReply) => {
    pending.delete(res);
    if (!res.headersSent && !reply.sent) send(reply, requestTimedOut());
  };

  return (req, reply) => {
    const res = reply.raw;
    const deadline = requestDeadlineMs(req.url, serverTimeout);
    if (deadline instanceof ApiError) {
      send(reply, deadline);
      return false;
    }
    if (deadline === undefined) return null;
    if (deadline === serverTimeout) {
      pending.set(res, { at: Date.now() + deadline, reply });
      return () => pending.delete(res);
    }
    const timer = setTimeout(() => expire(res, reply), deadline);
    return () => {
      pending.delete(res);
      clearTimeout(timer);
    };
  };
}

function installBudgets(app: FastifyInstance, readOnly: FairQueue, mutating: FairQueue, armDeadline: ArmDeadline): void {
  // A callback hook: a request that gets its seat at once (or needs none) goes on without a promise.
  app.addHook('onRequest', (req, reply, done) => {
    if (isLongRunningRequest(req.method, req.url)) return done();
    const disarm = armDeadline(req, reply);
    if (disarm === false) return;
    const res = reply.raw;
    let release: (() => void) | undefined;
    res.once('close', () => {
      disarm?.();
      release?.();
    });
    const user = userOf(req);
    if (user?.groups.includes(SYSTEM_MASTERS)) return done();
    const budget = READ_ONLY.has(req.method) ? readOnly : mutating;
    const seated = (admission: Awaited<ReturnType<FairQueue['acquire']>>): void => {
      if ('rejected' in admission) {
        if (!res.headersSent && !reply.sent) send(reply, tooManyRequests());
        return;
      }
      // Answered (timed out) or abandoned while it waited: give the seat straight back.
      if (res.writableEnded || res.destroyed || reply.sent) {
        admission.release();
        return;
      }
      release = admission.release;
      done();
    };
    const admission = budget.acquire(user?.name ?? '');
    if (admission instanceof Promise) admission.then(seated, done);
    else seated(admission);
  });
}

/**
 * Upstream's WithPriorityAndFairness: classify, name the schema and level in the response headers, then wait for
 * a seat in the level (exempt levels need none). A watch holds its seat only until it is dispatched (upstream:
 * until its initial events are sent); other long-running requests are not limited.
 */
function installPriorityAndFairness(app: FastifyInstance, fc: FlowControl, armDeadline: ArmDeadline, queueTimeoutMs: number): void {
  const anonymous = anonymousUser();
  app.addHook('onRequest', (req, reply, done) => {
    const info = requestInfoOf(req);
    const watch = info.verb === 'watch';
    const longRunning = isLongRunningRequest(req.method, req.url);
    if (longRunning && !watch) return done();
    const disarm = longRunning ? null : armDeadline(req, reply);
    if (disarm === false) return;
    const res = reply.raw;
    let release: (() => void) | undefined;
    if (!longRunning) {
      res.once('close', () => {
        disarm?.();
        release?.();
      });
    }
    const c = fc.classify(userOf(req) ?? anonymous, info);
    // On the raw response: hijacked ones (watches, large lists, aggregated APIs) carry them too (~1 µs more for
    // node's writeHead than fastify's own headers).
    res.setHeader(FLOW_SCHEMA_UID_HEADER, c.schema.uid);
    res.setHeader(PRIORITY_LEVEL_UID_HEADER, c.level.uid);
    const stats = fc.statsFor(c);
    const seated = (admission: FlowAdmission, queued: boolean): void => {
      if (queued) stats.inQueue--;
      if ('rejected' in admission) {
        stats.rejected[admission.rejected]++;
        if (queued) stats.observeWait(queueTimeoutMs / 1000, false);
        if (!res.headersSent && !reply.sent) sendTooManyRequests(reply);
        return;
      }
      if (queued) stats.observeWait(admission.waitedMs / 1000, true);
      // Answered (timed out) or abandoned while it waited: give the seat straight back.
      if (res.writableEnded || res.destroyed || reply.sent) {
        stats.rejected.cancelled++;
        admission.release();
        return;
      }
      stats.dispatched++;
      if (watch) {
        admission.release();
        return done();
      }
      stats.executing++;
      stats.executingSeats++;
      release = () => {
        stats.executing--;
        stats.executingSeats--;
        admission.release();
      };
      done();
    };
    const admission = fc.start(c, 1, queueTimeoutMs);
    if (admission instanceof Promise) {
      stats.inQueue++;
      admission.then((a) => seated(a, true), done);
    } else seated(admission, false);
  });
}
