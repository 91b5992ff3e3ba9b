/**
 * One AdmissionReview v1 round trip to a webhook over HTTPS: the request as upstream builds it, the server
 * verified against the configuration's caBundle (the system roots without one), the call bounded by
 * timeoutSeconds (sent as `?timeout=Ns` too, as upstream's client does), and the response checked as upstream
 * checks it (AdmissionReview v1, the request's uid). Failures are errors worded like upstream's
 * `failed to call webhook: …`; what they mean (failurePolicy) is the caller's business.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import type { AdmissionAttributes } from './types.js';

export interface WebhookResponse {
  allowed: boolean;
  status?: { code?: number; message?: string; reason?: string };
  /** A JSON patch (decoded from the response's base64), for mutating webhooks. */
  patch?: unknown;
  warnings?: string[];
  /** Keys and values for the request's audit annotations (recorded as `<webhook name>/<key>`). */
  auditAnnotations?: Record<string, string>;
}

export interface WebhookTarget {
  url: string;
  /** The name the server's certificate must carry when `url` names an address (a Service resolved to an endpoint). */
  serverName?: string;
  /** PEM bytes, base64 as in the configuration (caBundle). */
  caBundle?: string;
  timeoutSeconds: number;
}

/** authentication/v1 UserInfo of the requester (empty for the server's own writes). */
function userInfo(a: AdmissionAttributes): Record<string, unknown> {
  const u = a.user;
  if (!u) return {};
  return { username: u.name, ...(u.uid ? { uid: u.uid } : {}), ...(u.groups.length ? { groups: u.groups } : {}), ...(u.extra ? { extra: u.extra } : {}) };
}

/** The AdmissionReview a webhook receives (upstream's CreateAdmissionObjects for v1). */
export function admissionReview(a: AdmissionAttributes, uid: string): Record<string, unknown> {
  const r = a.resource;
  const kind = { group: r.group, version: r.version, kind: r.kind };
  const resource = { group: r.group, version: r.version, resource: r.plural };
  const optionsKind = a.operation === 'CREATE' ? 'CreateOptions' : a.operation === 'UPDATE' ? 'UpdateOptions' : 'DeleteOptions';
  const req: Record<string, unknown> = {
    uid, kind, resource, requestKind: kind, requestResource: resource,
    name: a.name, operation: a.operation, userInfo: userInfo(a),
    object: a.object, oldObject: a.oldObject, dryRun: a.dryRun,
    options: { kind: optionsKind, apiVersion: 'meta.k8s.io/v1', ...(a.dryRun ? { dryRun: ['All'] } : {}) },
  };
  if (a.subresource) {
    req['subResource'] = a.subresource;
    req['requestSubResource'] = a.subresource;
  }
  if (a.namespace) req['namespace'] = a.namespace;
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: req };
}

function post(url: URL, body: string, ca: Buffer | undefined, serverName: string | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST', ...(ca ? { ca } : {}), ...(serverName ? { servername: serverName } : {}), timeout: timeoutMs,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) >= 300) reject(new Error(`the server responded with the status code ${res.statusCode} but did not return more information`));
        else resolve(text);
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error('context deadline exceeded')), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * POSTs a review's JSON to a webhook and resolves with the response's text; a call that fails rejects with
 * `Post "<url>": …` as Go's client words it. Shared by admission webhooks and CRD conversion webhooks.
 */
export async function postReview(target: WebhookTarget, body: string): Promise<string> {
  const url = new URL(target.url);
  url.searchParams.set('timeout', `${target.timeoutSeconds}s`);
  const ca = target.caBundle ? Buffer.from(target.caBundle, 'base64') : undefined;
  try {
    return await post(url, body, ca, target.serverName, target.timeoutSeconds * 1000);
  } catch (err) {
    throw new Error(`Post ${JSON.stringify(url.toString())}: ${(err as Error).message}`);
  }
}

/** Calls the webhook; rejects with upstream's `failed to call webhook: …` wording when the call itself fails. */
export async function callWebhook(target: WebhookTarget, a: AdmissionAttributes): Promise<WebhookResponse> {
  const uid = randomUUID();
  let text: string;
  try {
    text = await postReview(target, JSON.stringify(admissionReview(a, uid)));
  } catch (err) {
    throw new Error(`failed to call webhook: ${(err as Error).message}`);
  }
  let review: { apiVersion?: string; kind?: string; response?: Record<string, unknown> };
  try {
    review = JSON.parse(text) as typeof review;
  } catch {
    throw new Error('received invalid webhook response: the response is not JSON');
  }
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') {
    throw new Error(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${review.apiVersion ?? ''}, Kind=${review.kind ?? ''}`);
  }
  const res = review.response;
  if (!res) throw new Error('webhook response was absent');
  if (res['uid'] !== uid) throw new Error(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(res['uid'] ?? '')}`);
  const out: WebhookResponse = { allowed: res['allowed'] === true };
  if (res['status'] && typeof res['status'] === 'object') out.status = res['status'] as WebhookResponse['status'];
  if (Array.isArray(res['warnings'])) out.warnings = res['warnings'].map(String);
  const notes = res['auditAnnotations'];
  if (notes && typeof notes === 'object' && !Array.isArray(notes)) {
    out.auditAnnotations = Object.fromEntries(Object.entries(notes as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }
  if (typeof res['patch'] === 'string' && res['patch']) {
    if (res['patchType'] !== 'JSONPatch') throw new Error(`expected patchType ${JSON.stringify('JSONPatch')}, got ${JSON.stringify(res['patchType'] ?? '')}`);
    out.patch = JSON.parse(Buffer.from(res['patch'], 'base64').toString('utf8')) as unknown;
  }
  return out;
}
