/**
 * The audit.k8s.io/v1 Event as upstream writes it (one JSON object per line), and the pure pieces that fill it:
 * micro-second timestamps, source IPs, the object reference and the response status.
 */
import type { UserInfo } from '../auth/user.js';
import type { AuditLevel, AuditStage, RequestAttributes } from './policy.js';

export interface ObjectReference {
  resource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiGroup?: string;
  apiVersion?: string;
  resourceVersion?: string;
  subresource?: string;
}

export interface ResponseStatus {
  metadata: Record<string, never>;
  status?: string;
  message?: string;
  reason?: string;
  details?: unknown;
  code: number;
}

export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: AuditLevel;
  auditID: string;
  stage: AuditStage;
  requestURI: string;
  verb: string;
  user: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  sourceIPs: string[];
  userAgent?: string;
  objectRef?: ObjectReference;
  responseStatus?: ResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

/** RFC 3339 with microseconds (metav1.MicroTime), from epoch milliseconds with a fraction. */
export function microTime(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.min(999, Math.round((ms - whole) * 1000));
  return `${new Date(whole).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

export function auditUser(u: UserInfo | undefined): AuditEvent['user'] {
  if (!u) return { username: 'system:anonymous', groups: ['system:unauthenticated'] };
  const out: AuditEvent['user'] = { username: u.name };
  if (u.uid) out.uid = u.uid;
  if (u.groups.length) out.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

/** X-Forwarded-For's addresses, then X-Real-Ip, then the peer, without repeats (upstream's utilnet.SourceIPs). */
export function sourceIPs(headers: Record<string, string | string[] | undefined>, remote: string | undefined): string[] {
  const out: string[] = [];
  const add = (ip: string | undefined) => {
    const v = ip?.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
    if (v && !out.includes(v)) out.push(v);
  };
  const fwd = headers['x-forwarded-for'];
  for (const part of (Array.isArray(fwd) ? fwd.join(',') : fwd ?? '').split(',')) add(part);
  const real = headers['x-real-ip'];
  add(Array.isArray(real) ? real[0] : real);
  add(remote);
  return out;
}

export function objectRef(a: RequestAttributes): ObjectReference | undefined {
  if (!a.resourceRequest) return undefined;
  const ref: ObjectReference = {};
  if (a.resource) ref.resource = a.resource;
  if (a.namespace) ref.namespace = a.namespace;
  if (a.name) ref.name = a.name;
  if (a.apiGroup) ref.apiGroup = a.apiGroup;
  if (a.apiVersion) ref.apiVersion = a.apiVersion;
  if (a.subresource) ref.subresource = a.subresource;
  return ref;
}

/** The response status as upstream records it: the code, and a failure's Status fields. */
export function responseStatus(code: number, status?: { status?: unknown; message?: unknown; reason?: unknown; details?: unknown }): ResponseStatus {
  const out: ResponseStatus = { metadata: {}, code };
  if (status && code >= 300) {
    if (typeof status.status === 'string') out.status = status.status;
    if (typeof status.message === 'string') out.message = status.message;
    if (typeof status.reason === 'string') out.reason = status.reason;
    if (status.details !== undefined) out.details = status.details;
  }
  return out;
}

/** An object without metadata.managedFields (and a list's items without theirs), for omitManagedFields. */
export function withoutManagedFields(obj: unknown): unknown {
  if (!obj || typeof obj !== 'object') return obj;
  const o = obj as { metadata?: Record<string, unknown>; items?: unknown[] };
  let out: typeof o = o;
  if (o.metadata && 'managedFields' in o.metadata) {
    const { managedFields: _drop, ...rest } = o.metadata;
    out = { ...o, metadata: rest };
  }
  if (Array.isArray(o.items)) out = { ...out, items: o.items.map(withoutManagedFields) };
  return out;
}
