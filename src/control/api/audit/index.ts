/**
 * The audit log as a step of every request (upstream's WithAudit filter, after authentication): the policy picks
 * a level per request; RequestReceived is written when the request arrives, ResponseStarted when a long-running
 * request (watch) sends its headers, ResponseComplete when the response ends. Nothing is installed when audit
 * is off, so the hot path pays nothing for it.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeBody, decodeProtobuf } from '../content.js';
import { clientCertificateOf, userOf } from '../auth/request.js';
import { requestInfo } from '../authz/request-info.js';
import { auditUser, microTime, objectRef, responseStatus, sourceIPs, withoutManagedFields, type AuditEvent } from './event.js';
import { AuditPolicyError, decide, parseAuditPolicy, type AuditPolicy, type AuditStage, type PolicyDecision, type RequestAttributes } from './policy.js';

export interface AuditSink {
  write(ev: AuditEvent): void;
  close(): Promise<void>;
}

export interface AuditOptions {
  policy: AuditPolicy;
  sink: AuditSink;
  /** A request's attributes (verb, resource, …); default: authz/request-info.ts's, as the authoriser reads them. */
  attributes?: (method: string, url: string) => RequestAttributes;
  /** Epoch milliseconds with a fraction (micro-second timestamps). */
  now?: () => number;
}

interface Context {
  ev: AuditEvent;
  decision: PolicyDecision;
  /** A failure's Status, read from the response body. */
  status?: Record<string, unknown>;
}

const contexts = new WeakMap<IncomingMessage, Context>();
const annotations = new WeakMap<IncomingMessage, Record<string, string>>();
/** Set once any server in the process audits: until then annotations cost one branch. */
let auditing = false;

/**
 * Adds an annotation to a request's audit events (upstream's audit.AddAuditAnnotation), e.g. the authoriser's
 * `authorization.k8s.io/decision` and `authorization.k8s.io/reason`. A no-op cost when audit is off.
 */
export function addAuditAnnotation(req: FastifyRequest | IncomingMessage, key: string, value: string): void {
  if (!auditing) return;
  const raw = 'raw' in req ? req.raw : req;
  let a = annotations.get(raw);
  if (!a) annotations.set(raw, (a = {}));
  if (!(key in a)) a[key] = value;
}

/** A request's annotation adder for admission (AdmissionAttributes.audit), or undefined while nothing audits. */
export function auditAnnotator(req: FastifyRequest): ((key: string, value: string) => void) | undefined {
  return auditing ? (key, value) => addAuditAnnotation(req, key, value) : undefined;
}

/** Subresources whose responses stream for as long as the client stays (upstream's long-running check). */
const LONG_RUNNING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'log', 'proxy']);
export const isLongRunning = (a: RequestAttributes): boolean => a.verb === 'watch' || a.verb === 'proxy' || LONG_RUNNING_SUBRESOURCES.has(a.subresource);

const LEVEL_RANK = { None: 0, Metadata: 1, Request: 2, RequestResponse: 3 } as const;

/** A request body as the object it encodes (JSON, YAML, a patch, or kubectl's protobuf); undefined when none. */
function parseBody(body: unknown, contentType: string | undefined): unknown {
  if (!Buffer.isBuffer(body) || body.length === 0) return undefined;
  try {
    return decodeBody(contentType, body);
  } catch {
    return undefined;
  }
}

const PROTOBUF_MAGIC = Buffer.from('k8s\0');

export interface InstalledAudit {
  /**
   * A request authentication refused (401 before the audit step runs): one ResponseStarted event with no user,
   * as upstream's failed-authentication audit, naming the methods tried.
   */
  failedAuthentication(req: FastifyRequest): void;
}

/** The credentials a request carried, in upstream's words ("Authentication failed, attempted: bearer"). */
function attemptedMethods(req: FastifyRequest): string {
  const methods: string[] = [];
  const auth = req.headers.authorization ?? '';
  if (/^basic /i.test(auth)) methods.push('basic');
  if (/^bearer /i.test(auth)) methods.push('bearer');
  if (clientCertificateOf(req.raw)) methods.push('x509');
  return methods.length ? `Authentication failed, attempted: ${methods.join(', ')}` : 'Authentication failed, no credentials provided';
}

export function installAudit(app: FastifyInstance, opts: AuditOptions): InstalledAudit {
  auditing = true;
  const attributes = opts.attributes ?? ((method: string, url: string) => requestInfo(method, url));
  const now = opts.now ?? (() => performance.timeOrigin + performance.now());
  const emit = (raw: IncomingMessage, ctx: Context, stage: AuditStage) => {
    if (ctx.decision.omitStages.has(stage)) return;
    const ev: AuditEvent = { ...ctx.ev, stage, stageTimestamp: microTime(now()) };
    const a = annotations.get(raw);
    if (a) ev.annotations = { ...a };
    opts.sink.write(ev);
  };

  app.addHook('onRequest', async (req, reply) => {
    const user = userOf(req);
    const attrs = attributes(req.method, req.url);
    const decision = decide(opts.policy, user, attrs);
    if (decision.level === 'None') return;
    const header = req.headers['audit-id'];
    const auditID = typeof header === 'string' && header ? header : randomUUID();
    const received = microTime(now());
    const ev: AuditEvent = {
      kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: decision.level, auditID, stage: 'RequestReceived',
      requestURI: req.url, verb: attrs.verb, user: auditUser(user), sourceIPs: sourceIPs(req.headers, req.socket.remoteAddress),
      requestReceivedTimestamp: received, stageTimestamp: received,
    };
    const ua = req.headers['user-agent'];
    if (ua) ev.userAgent = ua;
    const ref = objectRef(attrs);
    if (ref) ev.objectRef = ref;
    const ctx: Context = { ev, decision };
    contexts.set(req.raw, ctx);
    reply.raw.setHeader('Audit-ID', auditID);
    emit(req.raw, ctx, 'RequestReceived');
    const res: ServerResponse = reply.raw;
    if (isLongRunning(attrs)) {
      // Long-running requests also log when their headers go out (the watch then streams for minutes).
      const writeHead = res.writeHead;
      res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
        res.writeHead = writeHead;
        const out = (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
        emit(req.raw, { ...ctx, ev: { ...ctx.ev, responseStatus: responseStatus(res.statusCode) } }, 'ResponseStarted');
        return out;
      } as typeof res.writeHead;
    }
    res.once('close', () => {
      ctx.ev.responseStatus = responseStatus(res.statusCode, ctx.status);
      emit(req.raw, ctx, 'ResponseComplete');
      contexts.delete(req.raw);
    });
  });

  // The body is parsed by now: a create names its object, and Request level logs the body itself.
  app.addHook('preHandler', async (req) => {
    const ctx = contexts.get(req.raw);
    if (!ctx) return;
    const wantBody = LEVEL_RANK[ctx.decision.level] >= LEVEL_RANK.Request;
    if (!wantBody && !(ctx.ev.verb === 'create' && ctx.ev.objectRef && !ctx.ev.objectRef.name)) return;
    const body = parseBody(req.body, req.headers['content-type']);
    if (body === undefined) return;
    const meta = (body as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
    if (ctx.ev.objectRef && !ctx.ev.objectRef.name && typeof meta?.name === 'string') ctx.ev.objectRef.name = meta.name;
    if (wantBody) ctx.ev.requestObject = ctx.decision.omitManagedFields ? withoutManagedFields(body) : body;
  });

  // A failure's Status message and reason, and RequestResponse's response body.
  app.addHook('onSend', async (req, reply, payload) => {
    const ctx = contexts.get(req.raw);
    if (!ctx) return payload;
    const wantBody = ctx.decision.level === 'RequestResponse';
    if (reply.statusCode < 300 && !wantBody) return payload;
    if (!Buffer.isBuffer(payload) && typeof payload !== 'string') return payload;
    try {
      const body = (Buffer.isBuffer(payload) && payload.subarray(0, 4).equals(PROTOBUF_MAGIC)
        ? decodeProtobuf(payload)
        : JSON.parse(payload.toString())) as Record<string, unknown>;
      if (reply.statusCode >= 300 && body.kind === 'Status') ctx.status = body;
      if (wantBody) ctx.ev.responseObject = ctx.decision.omitManagedFields ? withoutManagedFields(body) : body;
    } catch {
      // Neither JSON nor protobuf (logs, text): nothing to record beyond the code.
    }
    return payload;
  });

  return {
    failedAuthentication(req) {
      const attrs = attributes(req.method, req.url);
      const decision = decide(opts.policy, undefined, attrs);
      if (decision.level === 'None' || decision.omitStages.has('ResponseStarted')) return;
      const at = microTime(now());
      const ev: AuditEvent = {
        kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: decision.level, auditID: randomUUID(), stage: 'ResponseStarted',
        requestURI: req.url, verb: attrs.verb, user: { username: '' }, sourceIPs: sourceIPs(req.headers, req.socket.remoteAddress),
        responseStatus: { metadata: {}, message: attemptedMethods(req), code: 401 },
        requestReceivedTimestamp: at, stageTimestamp: at,
      };
      const ua = req.headers['user-agent'];
      if (ua) ev.userAgent = ua;
      const ref = objectRef(attrs);
      if (ref) ev.objectRef = ref;
      opts.sink.write(ev);
    },
  };
}

/** Audit events as JSON lines appended to a file (mode 0600), or to stdout for `-`, as --audit-log-path. */
export function fileAuditSink(path: string): AuditSink {
  const out: WriteStream | NodeJS.WriteStream = path === '-' ? process.stdout : createWriteStream(path, { flags: 'a', mode: 0o600 });
  return {
    write(ev) {
      out.write(`${JSON.stringify(ev)}\n`);
    },
    close() {
      if (out === process.stdout) return Promise.resolve();
      return new Promise((resolve) => (out as WriteStream).end(() => resolve()));
    },
  };
}

/** --audit-policy-file: read and validated; absent with --audit-log-path: everything at Metadata. */
export function loadAuditPolicy(file: string): AuditPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AuditPolicyError(file, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseAuditPolicy(text, file);
}

export { METADATA_POLICY, parseAuditPolicy, decide, AuditPolicyError, type AuditPolicy } from './policy.js';
export type { AuditEvent } from './event.js';
