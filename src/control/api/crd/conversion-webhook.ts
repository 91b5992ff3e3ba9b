/**
 * A CRD's conversion webhook (spec.conversion.strategy Webhook), as upstream's webhookConverter: the objects not
 * already in the desired apiVersion go out in one ConversionReview (apiextensions.k8s.io/v1) over HTTPS (the
 * admission webhooks' client: caBundle, a Service resolved to a ready endpoint; v1beta1 reviews for webhooks that
 * list it first), and what comes back is checked as
 * upstream checks it: the review's kind and uid, result.status Success, as many objects as were sent, each of the
 * desired apiVersion and the same kind, name, namespace and uid. Only labels and annotations of the converted
 * metadata are kept; the rest of metadata is the original's. Every failure is upstream's
 * `conversion webhook for <group/version, Kind=kind> …` text, served as a 500 InternalError.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../resource.js';
import { internalError } from '../status.js';
import { isPlainObject } from '../content.js';
import { postReview, type WebhookTarget } from '../admission/webhook-client.js';

export const REVIEW_API_VERSION = 'apiextensions.k8s.io/v1';
const REVIEW_GROUP = 'apiextensions.k8s.io';

/** The review version spoken: the first of conversionReviewVersions this server knows, as upstream picks it. */
export const reviewVersion = (versions: string[] | undefined): 'v1' | 'v1beta1' | undefined =>
  (versions ?? []).find((v): v is 'v1' | 'v1beta1' => v === 'v1' || v === 'v1beta1');

/** spec.conversion.webhook of a CRD. */
export interface ConversionWebhook {
  clientConfig?: {
    url?: string;
    caBundle?: string;
    service?: { namespace?: string; name?: string; path?: string; port?: number };
  };
  conversionReviewVersions?: string[];
}

/** `https://<address>:<port><path>` of a ready endpoint behind a Service's port, or undefined. */
export type ServiceURL = (namespace: string, name: string, port: number, path: string) => Promise<string | undefined>;

/** Converts objects of one kind to an apiVersion; `list` names the batch by its list kind in errors. */
export interface Converter {
  convert(objects: KubeObject[], apiVersion: string, list?: boolean): Promise<KubeObject[]>;
}

/** Upstream's fixed client timeout for conversion calls (there is no per-CRD setting). */
const TIMEOUT_SECONDS = 30;

/** Go's GroupVersionKind.String(). */
const gvkText = (apiVersion: string | undefined, kind: string | undefined): string => `${apiVersion ?? ''}, Kind=${kind ?? ''}`;

/** The ConversionReview the webhook receives. */
export function conversionReview(objects: KubeObject[], desiredAPIVersion: string, uid: string, version: 'v1' | 'v1beta1' = 'v1'): Record<string, unknown> {
  return { apiVersion: `${REVIEW_GROUP}/${version}`, kind: 'ConversionReview', request: { uid, desiredAPIVersion, objects } };
}

/**
 * The converted objects of a webhook's answer (upstream's getConvertedObjectsFromResponse); throws its errors.
 * A v1beta1 answer is not checked for its kind and uid, as upstream does not.
 */
export function convertedObjects(review: unknown, uid: string, version: 'v1' | 'v1beta1' = 'v1'): unknown[] {
  const r = isPlainObject(review) ? review : {};
  if (version === 'v1' && (r['apiVersion'] !== REVIEW_API_VERSION || r['kind'] !== 'ConversionReview')) {
    throw new Error(`expected webhook response of ${gvkText(REVIEW_API_VERSION, 'ConversionReview')}, got ${gvkText(String(r['apiVersion'] ?? ''), String(r['kind'] ?? ''))}`);
  }
  const res = r['response'];
  if (!isPlainObject(res)) throw new Error('no response provided');
  if (version === 'v1' && res['uid'] !== uid) throw new Error(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(String(res['uid'] ?? ''))}`);
  const result = isPlainObject(res['result']) ? res['result'] : {};
  if (result['status'] !== 'Success') {
    if (typeof result['message'] === 'string' && result['message']) throw new Error(result['message']);
    throw new Error(`response.result.status was '${String(result['status'] ?? '')}', not 'Success'`);
  }
  return Array.isArray(res['convertedObjects']) ? res['convertedObjects'] : [];
}

/** Upstream's validateConvertedObject: metadata identifying the object must not change. */
export function identityChange(original: KubeObject, converted: KubeObject): string | undefined {
  const a = original.metadata ?? {};
  const b = converted.metadata ?? {};
  if (original.kind !== converted.kind) return `must have the same kind: ${original.kind ?? ''} != ${converted.kind ?? ''}`;
  if ((a.name ?? '') !== (b.name ?? '')) return `must have the same name: ${a.name ?? ''} != ${b.name ?? ''}`;
  if ((a.namespace ?? '') !== (b.namespace ?? '')) return `must have the same namespace: ${a.namespace ?? ''} != ${b.namespace ?? ''}`;
  if ((a.uid ?? '') !== (b.uid ?? '')) return `must have the same UID: ${a.uid ?? ''} != ${b.uid ?? ''}`;
  return undefined;
}

/**
 * Upstream's restoreObjectMeta: the converted object gets the original's metadata, with the converted labels and
 * annotations (string values only). Returns the error text, or the object.
 */
export function restoreMetadata(original: KubeObject, converted: KubeObject): KubeObject | string {
  const answered = converted.metadata as unknown;
  if (answered === undefined) return 'missing metadata in converted object';
  if (!isPlainObject(answered)) return `invalid metadata of type ${typeof answered} in converted object`;
  const meta: Record<string, unknown> = structuredClone(original.metadata ?? {});
  for (const field of ['labels', 'annotations'] as const) {
    const v = answered[field];
    if (v === undefined || v === null) {
      delete meta[field];
      continue;
    }
    if (!isPlainObject(v)) return `invalid metadata.${field} of type ${Array.isArray(v) ? 'array' : typeof v} in converted object`;
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'string') return `metadata.${field}[${k}] must be a string, but is ${typeof x} in converted object`;
    }
    meta[field] = v;
  }
  return { ...converted, metadata: meta };
}

/**
 * Checks one converted object against the one sent: the desired group/version, the same kind, the same identity;
 * returns it with the original's metadata, or the error text after upstream's "conversion webhook for X ".
 */
export function checkConverted(original: KubeObject, answered: unknown, apiVersion: string, index: number, list: boolean): KubeObject | string {
  const at = list ? `returned invalid converted object at index ${index}` : 'returned invalid object';
  if (!isPlainObject(answered)) return `${at}: not an object`;
  const converted = answered as KubeObject;
  if (converted.apiVersion !== apiVersion) return `${at}: invalid groupVersion (expected ${apiVersion}, received ${converted.apiVersion ?? ''})`;
  if (converted.kind !== original.kind) return `${at}: invalid kind (expected ${original.kind ?? ''}, received ${converted.kind ?? ''})`;
  const changed = identityChange(original, converted);
  if (changed) return `${at}: ${changed}`;
  const restored = restoreMetadata(original, converted);
  if (typeof restored === 'string') return `${list ? `returned invalid metadata in object at index ${index}` : 'returned invalid metadata'}: ${restored}`;
  return restored;
}

/** The webhook's HTTPS target: its url, or a ready endpoint of its Service (certificate named `<svc>.<ns>.svc`). */
async function target(hook: ConversionWebhook, serviceURL: ServiceURL): Promise<WebhookTarget> {
  const cc = hook.clientConfig ?? {};
  const caBundle = cc.caBundle || undefined;
  if (cc.url) return { url: cc.url, caBundle, timeoutSeconds: TIMEOUT_SECONDS };
  const svc = cc.service ?? {};
  const ns = svc.namespace ?? '';
  const name = svc.name ?? '';
  const url = await serviceURL(ns, name, svc.port ?? 443, svc.path ?? '/');
  if (!url) throw new Error(`no endpoints available for service ${JSON.stringify(name)}`);
  return { url, caBundle, timeoutSeconds: TIMEOUT_SECONDS, serverName: `${name}.${ns}.svc` };
}

export class WebhookConverter implements Converter {
  constructor(
    private readonly hook: ConversionWebhook,
    private readonly listKind: string,
    private readonly serviceURL: ServiceURL,
    private readonly uid: () => string = randomUUID,
  ) {}

  async convert(objects: KubeObject[], apiVersion: string, list = objects.length !== 1): Promise<KubeObject[]> {
    // As upstream: only what is not already in the desired version is sent; nothing to send is no call.
    const todo: number[] = [];
    objects.forEach((o, i) => o.apiVersion !== apiVersion && todo.push(i));
    if (todo.length === 0) return objects;
    const first = objects[todo[0]!]!;
    const what = `conversion webhook for ${gvkText(first.apiVersion, list ? this.listKind : first.kind)}`;
    const fail = (text: string) => internalError(new Error(`${what} ${text}`));
    const version = reviewVersion(this.hook.conversionReviewVersions);
    if (!version) throw internalError(new Error('no supported conversion review versions'));
    const uid = this.uid();
    const sent = todo.map((i) => objects[i]!);
    let answered: unknown[];
    try {
      const text = await postReview(await target(this.hook, this.serviceURL), JSON.stringify(conversionReview(sent, apiVersion, uid, version)));
      let review: unknown;
      try {
        review = JSON.parse(text);
      } catch {
        throw new Error('the server returned an invalid response: not JSON');
      }
      answered = convertedObjects(review, uid, version);
    } catch (err) {
      throw fail(`failed: ${(err as Error).message}`);
    }
    if (answered.length !== sent.length) throw fail(`returned ${answered.length} objects, expected ${sent.length}`);
    const out = objects.slice();
    for (let j = 0; j < sent.length; j++) {
      const checked = checkConverted(sent[j]!, answered[j], apiVersion, j, list);
      if (typeof checked === 'string') throw fail(checked);
      out[todo[j]!] = checked;
    }
    return out;
  }
}
