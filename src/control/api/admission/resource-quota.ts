/**
 * The ResourceQuota admission plugin (upstream's staging/.../admission/plugin/resourcequota): a create (or an
 * update that changes usage) in a namespace with quotas is charged against every quota whose status.hard limits
 * something it consumes and whose scopes select it. Over a limit: 403 "exceeded quota: q, requested: …, used: …,
 * limited: …". Admitted: each quota's status.used grows by the charge at once, written compare-and-swap on its
 * resourceVersion and re-checked against the stored quota on a conflict, so concurrent creates cannot pass a
 * limit together. The resourcequota controller later recomputes status.used from what exists (deletes free
 * quota there). A quota whose status the controller has not filled yet refuses what it would limit, as upstream.
 */
import type { KubeObject, ResourceType } from '../resource.js';
import { ApiError, forbidden } from '../status.js';
import { cachedObjects, type CachingEngine } from '../watch/cached-objects.js';
import { evaluatorFor, quotaMatches, type QuotaEvaluator } from './quota-evaluators.js';
import {
  addLists, exceeding, mask, parseResourceList, prettyPrint, removeZeros, resourceListJson, subtractNonNegative, type ResourceList,
} from './quota-resources.js';
import type { Admission, AdmissionAttributes, AdmissionOperation, AdmissionTarget } from './types.js';

type Obj = Record<string, unknown>;

export interface QuotaRequest {
  operation: AdmissionOperation;
  evaluator: QuotaEvaluator;
  object: KubeObject;
  oldObject: KubeObject | null;
  quotas: readonly KubeObject[];
  now: number;
}

/** A refusal's message, or the quotas whose status.used the request raises (new objects, old resourceVersion). */
export type QuotaDecision = { refused: string } | { charged: KubeObject[] };

const statusList = (q: KubeObject, field: 'hard' | 'used'): ResourceList => parseResourceList((q['status'] as Obj | undefined)?.[field]);
const nameOf = (q: KubeObject): string => q.metadata?.name ?? '';

/** upstream's CheckRequest, as a pure decision over the namespace's quotas. */
export function checkRequest(req: QuotaRequest): QuotaDecision {
  const { evaluator: ev, object, oldObject, now } = req;
  if (!ev.handles(req.operation)) return { charged: [] };
  const interesting: KubeObject[] = [];
  for (const q of req.quotas) {
    const hardNames = [...statusList(q, 'hard').keys()];
    if (!quotaMatches(ev, q, hardNames, object, now)) continue;
    const restricted = ev.matchingResources(hardNames);
    const why = ev.constraints?.(restricted, object);
    if (why) return { refused: `failed quota: ${nameOf(q)}: ${why}` };
    const used = statusList(q, 'used');
    if (restricted.some((r) => !used.has(r))) {
      return { refused: `status unknown for quota: ${nameOf(q)}, resources: ${[...restricted].sort().join(',')}` };
    }
    interesting.push(q);
  }
  if (!interesting.length) return { charged: [] };

  const input = ev.usage(object, now);
  const negative = [...input].filter(([, v]) => v.digits < 0n).map(([k]) => k).sort();
  if (negative.length) return { refused: `quota usage is negative for resource(s): ${negative.join(',')}` };

  // An update is charged the growth only, against the quotas that already counted the old object.
  let delta = new Map(interesting.map((q) => [q, input]));
  if (req.operation === 'UPDATE' && oldObject?.metadata?.resourceVersion) {
    const grown = subtractNonNegative(input, ev.usage(oldObject, now));
    delta = new Map(interesting.map((q) => [q, quotaMatches(ev, q, [...statusList(q, 'hard').keys()], oldObject, now) ? grown : input]));
  }

  const charged: KubeObject[] = [];
  for (const q of interesting) {
    const d = removeZeros(delta.get(q)!);
    if (!d.size) continue;
    const hard = statusList(q, 'hard');
    const used = statusList(q, 'used');
    const requested = mask(d, hard.keys());
    if (!requested.size) continue;
    const next = addLists(used, requested);
    const over = exceeding(mask(next, requested.keys()), hard);
    if (over.length) {
      return {
        refused: `exceeded quota: ${nameOf(q)}, requested: ${prettyPrint(mask(requested, over))}, used: ${prettyPrint(mask(used, over))}, limited: ${prettyPrint(mask(hard, over))}`,
      };
    }
    charged.push({ ...q, status: { ...(q['status'] as Obj | undefined), used: resourceListJson(next) } });
  }
  return { charged };
}

/** Where quotas are read and charged. */
export interface QuotaStore {
  /** The namespace's quotas as cached (the cheap path for every write). */
  quotas(namespace: string): Promise<KubeObject[]>;
  /** One quota as stored now (after a conflict); undefined when it is gone. */
  fresh(namespace: string, name: string): Promise<KubeObject | undefined>;
  /** Writes status.used compare-and-swap on the quota's resourceVersion: false on a conflict. */
  charge(quota: KubeObject): Promise<boolean>;
}

/** Upstream retries a namespace's quota writes a few times before giving up. */
const MAX_ATTEMPTS = 10;

export class ResourceQuotaAdmission implements Admission {
  constructor(private readonly store: QuotaStore, private readonly now: () => number = Date.now) {}

  async admit(a: AdmissionAttributes): Promise<KubeObject | null> {
    return a.object;
  }

  /** Validation only (admit changes nothing): creates and updates of the main resource of a namespaced kind it counts. */
  handles(phase: 'admit' | 'validate', t: AdmissionTarget): boolean {
    if (phase !== 'validate' || (t.operation !== 'CREATE' && t.operation !== 'UPDATE') || t.subresource !== '' || !t.resource.namespaced) return false;
    return evaluatorFor(t.resource.group, t.resource.plural)?.handles(t.operation) ?? false;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if ((a.operation !== 'CREATE' && a.operation !== 'UPDATE') || !a.namespace || a.subresource !== '' || !a.object) return;
    const ev = evaluatorFor(a.resource.group, a.resource.plural);
    if (!ev || !ev.handles(a.operation)) return;
    let quotas = await this.store.quotas(a.namespace);
    if (!quotas.length) return;
    const gr = { group: a.resource.group, resource: a.resource.plural };
    for (let attempt = 1; ; attempt++) {
      const d = checkRequest({ operation: a.operation, evaluator: ev, object: a.object, oldObject: a.oldObject, quotas, now: this.now() });
      if ('refused' in d) throw forbidden(gr, a.name, d.refused);
      if (!d.charged.length || a.dryRun) return;
      const failed: string[] = [];
      for (const q of d.charged) if (!(await this.store.charge(q))) failed.push(nameOf(q));
      if (!failed.length) return;
      if (attempt >= MAX_ATTEMPTS) throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on resourcequotas "${failed[0]}": the object has been modified; please apply your changes to the latest version and try again`);
      // Only the quotas whose write lost are checked again, against what is stored now.
      const fresh = await Promise.all(failed.map((n) => this.store.fresh(a.namespace!, n)));
      quotas = fresh.filter((q): q is KubeObject => q !== undefined);
      if (!quotas.length) return;
    }
  }
}

/** The engine side: quotas from its watch cache, fresh reads and status writes through the engine itself. */
export interface QuotaEngine extends CachingEngine {
  get(r: ResourceType, ns: string | undefined, name: string): Promise<KubeObject>;
  update(r: ResourceType, ns: string | undefined, name: string, body: unknown, opts: object, sub: 'status'): Promise<{ object: KubeObject }>;
}

export function engineQuotaStore(engine: QuotaEngine): QuotaStore {
  const cached = cachedObjects(engine, '', 'v1', 'resourcequotas');
  const type = () => engine.registry.lookup('', 'v1', 'resourcequotas')!;
  return {
    quotas: (ns) => cached.list(ns),
    async fresh(ns, name) {
      try {
        return await engine.get(type(), ns, name);
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) return undefined;
        throw err;
      }
    },
    async charge(q) {
      try {
        await engine.update(type(), q.metadata?.namespace, nameOf(q), q, {}, 'status');
        return true;
      } catch (err) {
        if (err instanceof ApiError && (err.code === 409 || err.code === 404)) return false;
        throw err;
      }
    },
  };
}
