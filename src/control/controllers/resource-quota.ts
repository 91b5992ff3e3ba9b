/**
 * The resourcequota controller (upstream's pkg/controller/resourcequota): keeps each ResourceQuota's status in
 * step with what exists: status.hard = spec.hard, status.used = the usage of every object in the namespace the
 * quota selects, for every resource it limits (0 when nothing uses it). Admission charges status.used when an
 * object is created; this controller is what gives quota back when objects go (delete, a pod finishing) and
 * repairs any drift. A quota is synced when it changes, when an object of a kind it limits changes in its
 * namespace, and on a full resync every 5 minutes (upstream's --resource-quota-sync-period). Usage is computed
 * by the same evaluators admission uses (api/admission/quota-evaluators.ts).
 */
import { sleep } from '../../client/clock.js';
import type { SharedInformer } from '../../client/informer.js';
import { isNotFound } from '../../client/rest.js';
import {
  ConfigMaps, PersistentVolumeClaims, Pods, ReplicationControllers, ResourceQuotas, Secrets, Services, type ResourceRef,
} from '../../client/resources.js';
import { objectKey, splitKey, type KubeObject } from '../../client/types.js';
import { evaluatorFor, quotaMatches, type QuotaEvaluator } from '../api/admission/quota-evaluators.js';
import {
  addLists, listsEqual, mask, parseResourceList, resourceListJson, ZERO, type ResourceList,
} from '../api/admission/quota-resources.js';
import type { ControllerContext } from './context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from './controller.js';
import { indexByNamespace, NAMESPACE_INDEX } from './shared/namespace-index.js';

/** upstream's --resource-quota-sync-period. */
export const QUOTA_RESYNC_MS = 5 * 60_000;

type Obj = Record<string, unknown>;

/** Kinds always watched (their usage is more than a count, or they have a legacy count name). */
const CORE_KINDS: readonly ResourceRef[] = [Pods, Services, PersistentVolumeClaims, ConfigMaps, Secrets, ReplicationControllers, ResourceQuotas];

/** Versions of the groups a `count/<resource>.<group>` quota may name (the group's preferred version). */
const GROUP_VERSIONS: Readonly<Record<string, string>> = {
  '': 'v1', apps: 'v1', batch: 'v1', 'networking.k8s.io': 'v1', policy: 'v1', autoscaling: 'v2', 'rbac.authorization.k8s.io': 'v1',
  'coordination.k8s.io': 'v1', 'discovery.k8s.io': 'v1', 'storage.k8s.io': 'v1', 'scheduling.k8s.io': 'v1', 'events.k8s.io': 'v1',
};

/** The kind a `count/<resource>[.<group>]` name counts, when it names one. */
export function countedKind(name: string): ResourceRef | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  const plural = dot < 0 ? rest : rest.slice(0, dot);
  const group = dot < 0 ? '' : rest.slice(dot + 1);
  if (!plural) return undefined;
  return { group, version: GROUP_VERSIONS[group] ?? 'v1', plural, namespaced: true };
}

/**
 * A quota's status from what exists: `objects(ev)` lists the namespace's objects of the evaluator's kind. Every
 * resource of spec.hard some evaluator consumes gets a used value (0 when nothing uses it), as upstream.
 */
export function computeQuotaStatus(quota: KubeObject, evaluators: readonly QuotaEvaluator[], objects: (ev: QuotaEvaluator) => readonly KubeObject[], now: number): { hard: Record<string, unknown>; used: Record<string, string> } {
  const spec = (quota['spec'] ?? {}) as Obj;
  const hard = parseResourceList(spec['hard']);
  const hardNames = [...hard.keys()];
  let used: ResourceList = new Map();
  for (const ev of evaluators) {
    const matched = ev.matchingResources(hardNames);
    if (!matched.length) continue;
    for (const n of matched) if (!used.has(n)) used.set(n, ZERO);
    for (const o of objects(ev)) {
      if (!quotaMatches(ev, quota, hardNames, o, now)) continue;
      used = addLists(used, mask(ev.usage(o, now), matched));
    }
  }
  // Printed as Quantity.String() prints them ("1024Mi" reads "1Gi"), as upstream's status is.
  return { hard: resourceListJson(hard), used: resourceListJson(used) };
}

/** Whether the stored status already says this. */
export function statusCurrent(quota: KubeObject, want: { hard: Record<string, unknown>; used: Record<string, string> }): boolean {
  const status = (quota['status'] ?? {}) as Obj;
  return listsEqual(parseResourceList(status['hard']), parseResourceList(want.hard))
    && listsEqual(parseResourceList(status['used']), parseResourceList(want.used))
    && Object.keys((status['hard'] ?? {}) as object).length === Object.keys(want.hard).length;
}

export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota';
  private readonly quotas: SharedInformer;
  private readonly queue;
  /** Informers by `group/plural`, the core ones from the start, count/ kinds as quotas name them. */
  private readonly watched = new Map<string, SharedInformer>();

  constructor(private readonly ctx: ControllerContext) {
    this.queue = ctx.queue('resourcequota_primary');
    this.quotas = ctx.informers.forResource(ResourceQuotas);
    this.quotas.addEventHandler({
      onAdd: (q) => this.queue.add(objectKey(q)),
      // Not on status changes: admission's charges would make the controller recount from informers that may
      // not yet hold the objects just charged (upstream enqueues only when spec.hard changed).
      onUpdate: (o, q) => {
        const hard = (x: KubeObject) => parseResourceList(((x['spec'] ?? {}) as Obj)['hard']);
        const statusHard = parseResourceList(((q['status'] ?? {}) as Obj)['hard']);
        if (!listsEqual(hard(o), hard(q)) || !listsEqual(hard(q), statusHard)) this.queue.add(objectKey(q));
      },
    });
    for (const ref of CORE_KINDS) this.watch(ref);
  }

  /** Watches a kind: any change of one of its objects re-syncs the quotas of that namespace. */
  private watch(ref: ResourceRef): SharedInformer {
    const key = `${ref.group}/${ref.plural}`;
    let inf = this.watched.get(key);
    if (inf) return inf;
    inf = ref === ResourceQuotas ? this.quotas : this.ctx.informers.forResource(ref);
    // A quota counts one namespace: its objects come from an index, not a scan of the whole cluster.
    indexByNamespace(inf);
    this.watched.set(key, inf);
    const quotasIn = (o: KubeObject): KubeObject[] => (o.metadata?.namespace ? this.quotas.indexer.byIndex(NAMESPACE_INDEX, o.metadata.namespace) : []);
    const touch = (o: KubeObject) => {
      for (const q of quotasIn(o)) this.queue.add(objectKey(q));
    };
    // As upstream's replenishment: creates were charged by admission, so only deletes and updates that change
    // usage (a pod finishing, a service changing type) re-sync. Quotas' own changes are handled above.
    const ev = evaluatorFor(ref.group, ref.plural);
    const changed = (o: KubeObject, n: KubeObject) => !!ev && !listsEqual(ev.usage(o, this.ctx.clock.now()), ev.usage(n, this.ctx.clock.now()));
    inf.addEventHandler(ref === ResourceQuotas ? { onDelete: touch } : { onUpdate: (o, n) => quotasIn(n).length > 0 && changed(o, n) && touch(n), onDelete: touch });
    return inf;
  }

  async run(signal: AbortSignal): Promise<void> {
    const resync = async () => {
      while (!signal.aborted) {
        await sleep(this.ctx.clock, QUOTA_RESYNC_MS, signal);
        if (signal.aborted) return;
        for (const q of this.quotas.lister.list()) this.queue.add(objectKey(q));
      }
    };
    void resync();
    await runWorkers(this.ctx, this.name, this.queue, [...this.watched.values()], (k) => this.sync(k), signal);
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const quota = this.quotas.lister.get(namespace, name);
    if (!quota || !namespace) return;
    const hardNames = Object.keys(((quota['spec'] ?? {}) as Obj)['hard'] ?? {});
    const evaluators: QuotaEvaluator[] = [];
    const informers = new Map<QuotaEvaluator, SharedInformer>();
    const add = (ref: ResourceRef) => {
      const ev = evaluatorFor(ref.group, ref.plural);
      if (!ev || evaluators.some((e) => e.group === ev.group && e.resource === ev.resource)) return;
      evaluators.push(ev);
      informers.set(ev, this.watch(ref));
    };
    for (const ref of CORE_KINDS) add(ref);
    for (const n of hardNames) {
      const ref = countedKind(n);
      if (ref) add(ref);
    }
    // A kind first named now is listed before its usage is trusted.
    for (const inf of informers.values()) {
      if (!inf.hasSynced() && !(await inf.waitForSync(AbortSignal.timeout(30_000)))) throw new Error(`resourcequota: cache of ${key}'s kinds not synced`);
    }
    const want = computeQuotaStatus(quota, evaluators, (ev) => informers.get(ev)!.indexer.byIndex(NAMESPACE_INDEX, namespace), this.ctx.clock.now());
    if (statusCurrent(quota, want)) return;
    try {
      await this.ctx.client.update(ResourceQuotas, { ...quota, status: want }, { subresource: 'status' });
    } catch (err) {
      // Gone: nothing to keep. A conflict (admission charged it meanwhile) is retried from the newer object.
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

export const resourceQuotaController: ControllerDescriptor = {
  name: 'resourcequota',
  enabledByDefault: true,
  create: (ctx) => new ResourceQuotaController(ctx),
};
