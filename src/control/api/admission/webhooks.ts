/**
 * Admission webhooks (upstream's MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins): the stored
 * webhook configurations, in name order, each webhook in its order, called when its rules and selectors match.
 * Mutating webhooks run one after another and their JSON patches apply in turn; validating ones are called
 * together and the first refusal wins. A webhook that cannot be called is skipped with failurePolicy Ignore and
 * fails the request (500) with Fail. matchConditions (CEL) must all hold for a webhook to be called; a webhook
 * with reinvocationPolicy IfNeeded is called once more when a later one changed the object; userInfo is the
 * authenticated requester. Not done: CONNECT. The admissionregistration kinds themselves are exempt, as
 * upstream's, so a broken webhook can always be removed.
 */
import { applyJsonPatch } from '../patch/index.js';
import type { KubeObject } from '../resource.js';
import { ApiError, internalError } from '../status.js';
import { deepEqual } from '../validation/errors.js';
import { conditionsMatch, type MatchCondition } from './match-conditions.js';
import { admissionReview, callWebhook, type WebhookResponse, type WebhookTarget } from './webhook-client.js';
import { webhookMatches, type WebhookSpec } from './webhook-rules.js';
import type { Admission, AdmissionAttributes } from './types.js';
import { cachedObjects, type CachingEngine } from '../watch/cached-objects.js';
import { resolveServiceEndpoint } from '../service-endpoint.js';
import { hostPort } from '../../../net/host-port.js';
import { requestAuthorizer } from './cel-authorizer.js';
import type { Authorizer } from '../authz/types.js';

/** What the plugin reads: the configurations (in name order), namespaces' labels, a Service's endpoint. */
export interface WebhookSource {
  configurations(kind: 'mutating' | 'validating'): Promise<KubeObject[]>;
  /** As `configurations`, synchronously when they are known without waiting; undefined otherwise. */
  configurationsNow?(kind: 'mutating' | 'validating'): KubeObject[] | undefined;
  namespaceLabels(namespace: string): Promise<Record<string, string> | undefined>;
  /** `https://<address>:<port><path>` of a ready endpoint behind the Service's port, or undefined. */
  serviceURL(namespace: string, name: string, port: number, path: string): Promise<string | undefined>;
}

interface Webhook extends WebhookSpec {
  failurePolicy?: string;
  timeoutSeconds?: number;
  clientConfig?: { url?: string; caBundle?: string; service?: { namespace?: string; name?: string; port?: number; path?: string } };
  matchConditions?: MatchCondition[];
  reinvocationPolicy?: string;
}

const EXEMPT_GROUP = 'admissionregistration.k8s.io';

/** The admissionregistration kinds (so a broken webhook can be removed) and CONNECT are never sent to webhooks. */
const exempt = (a: AdmissionAttributes): boolean => a.resource.group === EXEMPT_GROUP || a.operation === 'CONNECT';

/** Upstream's ToStatusErr: a refusal is at least a 400, worded "admission webhook "x" denied the request: …". */
export function denial(name: string, status: WebhookResponse['status']): ApiError {
  const deniedBy = `admission webhook ${JSON.stringify(name)} denied the request`;
  const code = status?.code && status.code >= 400 ? status.code : 400;
  const message = status?.message ? `${deniedBy}: ${status.message}` : status?.reason ? `${deniedBy}: ${status.reason}` : `${deniedBy} without explanation`;
  return new ApiError(code, status?.reason ?? '', message);
}

export class WebhookAdmission implements Admission {
  /** `authz`: the server's authoriser chain, for matchConditions' `authorizer`. */
  constructor(private readonly source: WebhookSource, private readonly authz?: Authorizer) {}

  admit(a: AdmissionAttributes): Promise<KubeObject | null> {
    // No webhook to call (the usual case: none configured): answered without the async matching's promise turns.
    return this.noneNow('mutating', a) ? Promise.resolve(a.object) : this.mutate(a);
  }

  private async mutate(a: AdmissionAttributes): Promise<KubeObject | null> {
    let obj = a.object;
    const hooks = await this.matching('mutating', a);
    // What each called webhook left the object as: reinvocation compares it with the final object.
    const after = new Map<Webhook, KubeObject | null>();
    for (const hook of hooks) {
      const out = await this.mutateOnce(hook, a, obj);
      if (out === undefined) continue;
      obj = out;
      after.set(hook, obj);
    }
    // reinvocationPolicy IfNeeded: called once more when a later webhook changed the object it had returned.
    for (const hook of hooks) {
      if (hook.reinvocationPolicy !== 'IfNeeded' || !after.has(hook) || deepEqual(after.get(hook), obj)) continue;
      obj = (await this.mutateOnce(hook, a, obj)) ?? obj;
    }
    return obj;
  }

  /** The object after one mutating webhook; undefined when it was not called. A deletion has no object to patch. */
  private async mutateOnce(hook: Webhook, a: AdmissionAttributes, obj: KubeObject | null): Promise<KubeObject | null | undefined> {
    const res = await this.call(hook, { ...a, object: obj });
    if (!res) return undefined;
    if (!res.allowed) throw denial(hook.name, res.status);
    if (res.patch === undefined || !obj) return obj;
    try {
      const patched = applyJsonPatch(structuredClone(obj), res.patch) as KubeObject;
      // Upstream decodes the patched object and defaults it again: what a webhook adds (a sidecar, a new
      // serviceAccountName) gets the kind's defaults (and the v1 aliases derived from them) as a client's write would.
      a.resource.strategy.default?.(patched);
      return patched;
    } catch (err) {
      throw internalError(new Error(`failed calling webhook ${JSON.stringify(hook.name)}: JSON patch could not be applied: ${(err as Error).message}`));
    }
  }

  validate(a: AdmissionAttributes): Promise<void> {
    return this.noneNow('validating', a) ? Promise.resolve() : this.validateWith(a);
  }

  private async validateWith(a: AdmissionAttributes): Promise<void> {
    const hooks = await this.matching('validating', a);
    const results = await Promise.allSettled(hooks.map((h) => this.call(h, a)));
    results.forEach((r, i) => {
      if (r.status === 'rejected') throw r.reason;
      if (r.value && !r.value.allowed) throw denial(hooks[i]!.name, r.value.status);
    });
  }

  /** Whether, known synchronously, no webhook of this kind can be called for the request. */
  private noneNow(kind: 'mutating' | 'validating', a: AdmissionAttributes): boolean {
    if (exempt(a)) return true;
    const configs = this.source.configurationsNow?.(kind);
    return configs !== undefined && configs.every((c) => !Array.isArray(c['webhooks']) || c['webhooks'].length === 0);
  }

  private async matching(kind: 'mutating' | 'validating', a: AdmissionAttributes): Promise<Webhook[]> {
    if (exempt(a)) return [];
    const hooks = (await this.source.configurations(kind)).flatMap((c) => (Array.isArray(c['webhooks']) ? c['webhooks'] as Webhook[] : []));
    if (hooks.length === 0) return [];
    const nsLabels = a.namespace && a.resource.namespaced ? await this.source.namespaceLabels(a.namespace) : undefined;
    return hooks.filter((h) => webhookMatches(h, a, nsLabels));
  }

  /** The webhook's answer; null when its matchConditions exclude the request, or it failed and its failurePolicy is Ignore. */
  private async call(hook: Webhook, a: AdmissionAttributes): Promise<WebhookResponse | null> {
    try {
      if (hook.matchConditions?.length) {
        const request = admissionReview(a, '')['request'];
        const authorizer = this.authz ? requestAuthorizer(this.authz, a) : undefined;
        if (!conditionsMatch(hook.matchConditions, { object: a.object, oldObject: a.oldObject, request, authorizer })) return null;
      }
      const res = await callWebhook(await this.target(hook), a);
      if (res.warnings?.length) a.warnings?.push(...res.warnings);
      for (const [key, value] of Object.entries(res.auditAnnotations ?? {})) a.audit?.(`${hook.name}/${key}`, value);
      return res;
    } catch (err) {
      if (hook.failurePolicy === 'Ignore') return null;
      throw internalError(new Error(`failed calling webhook ${JSON.stringify(hook.name)}: ${(err as Error).message}`));
    }
  }

  private async target(hook: Webhook): Promise<WebhookTarget> {
    const cc = hook.clientConfig ?? {};
    const timeoutSeconds = hook.timeoutSeconds ?? 10;
    const caBundle = cc.caBundle;
    if (cc.url) return { url: cc.url, caBundle, timeoutSeconds };
    const svc = cc.service ?? {};
    const ns = svc.namespace ?? '';
    const name = svc.name ?? '';
    const url = await this.source.serviceURL(ns, name, svc.port ?? 443, svc.path ?? '/');
    if (!url) throw new Error(`failed to call webhook: service "${name}" in namespace "${ns}" has no ready endpoint`);
    // The serving certificate names the Service, as upstream's service resolver dials it.
    return { url, caBundle, timeoutSeconds, serverName: `${name}.${ns}.svc` };
  }
}

/** The plugin's source from the API server's own watch caches (ObjectEngine's). */
export type EngineLike = CachingEngine;

export function engineWebhookSource(engine: EngineLike): WebhookSource {
  const one = (plural: string, ns: string | undefined, name: string): Promise<KubeObject | undefined> => cachedObjects(engine, '', 'v1', plural).get(ns, name);
  // Asked twice on every write (mutating, then validating): made once.
  const configs = { mutating: cachedObjects(engine, EXEMPT_GROUP, 'v1', 'mutatingwebhookconfigurations'), validating: cachedObjects(engine, EXEMPT_GROUP, 'v1', 'validatingwebhookconfigurations') };
  return {
    configurations: (kind) => configs[kind].all(),
    configurationsNow: (kind) => configs[kind].allNow(),
    namespaceLabels: async (ns) => (await one('namespaces', undefined, ns))?.metadata?.labels ?? undefined,
    async serviceURL(ns, name, port, path) {
      const r = await resolveServiceEndpoint({ get: (plural, n, nm) => one(plural, n, nm) }, ns, name, port);
      if ('reason' in r) {
        // Nothing to call is "no ready endpoint" to the callers; an address the server must not dial is said as such.
        if (r.reason === 'EndpointsUnreachable') throw new Error(r.message);
        return undefined;
      }
      return `https://${hostPort(r.ip, r.port)}${path.startsWith('/') ? path : `/${path}`}`;
    },
  };
}
