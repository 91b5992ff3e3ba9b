/**
 * Request limits after authentication, as kube-apiserver's filters: a request deadline (--request-timeout, a
 * shorter `?timeout=`; 504 Timeout), and in-flight budgets for read-only and mutating requests
 * (--max-requests-inflight, --max-mutating-requests-inflight) shared fairly between users with bounded queues
 * (429 TooManyRequests with Retry-After). Long-running requests and system:masters are exempt, as upstream.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { userOf } from '../auth/request.js';
import { SYSTEM_MASTERS } from '../auth/user.js';
import { sendText } from '../content.js';
import { ApiError, badRequest, timeout } from '../status.js';
import { parseGoDuration } from '../metrics/format.js';
import { FairQueue } from './fair-queue.js';
import { isLongRunningRequest } from './long-running.js';

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

export function installLimits(app: FastifyInstance, opts: LimitOptions = {}): { readOnly: FairQueue; mutating: FairQueue } {
  const queue = (limit: number) => new FairQueue({
    limit, perFlowLimit: opts.perUserMaxInflight ?? 0, queueLength: opts.queueLength ?? 50, maxQueued: opts.maxQueued ?? 3200, queueTimeoutMs: opts.queueTimeoutMs ?? 15_000,
  });
  const readOnly = queue(opts.maxRequestsInflight ?? 400);
  const mutating = queue(opts.maxMutatingRequestsInflight ?? 200);
  const serverTimeout = opts.requestTimeoutMs ?? 60_000;

  // The server's own deadline is kept by one sweep a second over the requests in flight (a map insert and delete
  // per request, no timer each); only a shorter `?timeout=` gets a timer of its own.
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

  // A callback hook: a request that gets its seat at once (or needs none) goes on without a promise.
  app.addHook('onRequest', (req, reply, done) => {
    if (isLongRunningRequest(req.method, req.url)) return done();
    const res = reply.raw;
    const deadline = requestDeadlineMs(req.url, serverTimeout);
    if (deadline instanceof ApiError) return send(reply, deadline);
    let timer: NodeJS.Timeout | undefined;
    if (deadline === serverTimeout) pending.set(res, { at: Date.now() + deadline, reply });
    else if (deadline !== undefined) timer = setTimeout(() => expire(res, reply), deadline);
    let release: (() => void) | undefined;
    res.once('close', () => {
      pending.delete(res);
      if (timer) clearTimeout(timer);
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
  return { readOnly, mutating };
}
