/**
 * The EndpointSlice controller (upstream's pkg/controller/endpointslice): for every Service with a selector,
 * EndpointSlices listing its pods. Handlers only enqueue service keys; `sync(key)` reads listers, asks the pure
 * reconciler for a plan and writes it. Services without a selector (and ExternalName ones) are left alone:
 * their slices are written by hand or by the mirroring controller.
 */
import type { SharedInformer } from '../../../client/informer.js';
import { isNotFound } from '../../../client/rest.js';
import { EndpointSlices, Nodes, Pods, Services } from '../../../client/resources.js';
import { splitKey } from '../../../client/types.js';
import type { ControllerContext } from '../context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from '../controller.js';
import { hasSelector, indexSlicesByService, podsForService, BY_SERVICE } from './indexes.js';
import { indexByNamespace } from '../shared/namespace-index.js';
import { enqueueServicesOfPod } from './pod-changes.js';
import { reconcileSlices } from './reconciler.js';
import { retryWhenStale, StaleCacheError } from './stale.js';
import { EndpointSliceTracker } from './tracker.js';
import { TriggerTimeTracker } from './trigger-time.js';
import type { EndpointSlice, Node, Pod, Service } from './types.js';
import { ENDPOINTSLICE_CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME } from './types.js';

/** --max-endpoints-per-slice's default. */
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;
/** Upstream's endpointSliceChangeMinSyncDelay: a slice changed by someone else is looked at after this. */
const SLICE_CHANGE_MIN_SYNC_DELAY_MS = 1000;
const COMPONENT = 'endpoint-slice-controller';

export const serviceKeyOfSlice = (s: EndpointSlice): string | undefined => {
  const svc = s.metadata.labels?.[LABEL_SERVICE_NAME];
  return svc ? `${s.metadata.namespace ?? ''}/${svc}` : undefined;
};

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice';
  private readonly queue;
  private readonly services;
  private readonly pods;
  private readonly slices;
  private readonly nodes;
  private readonly tracker = new EndpointSliceTracker(serviceKeyOfSlice);
  private readonly triggerTimes = new TriggerTimeTracker();
  private readonly maxEndpointsPerSlice: number;

  constructor(private readonly ctx: ControllerContext) {
    this.maxEndpointsPerSlice = ctx.options.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE;
    this.queue = ctx.queue('endpoint_slice');
    this.services = ctx.informers.forResource<Service>(Services);
    this.pods = ctx.informers.forResource<Pod>(Pods);
    this.slices = ctx.informers.forResource<EndpointSlice>(EndpointSlices);
    this.nodes = ctx.informers.forResource<Node>(Nodes);
    indexByNamespace(this.services);
    indexByNamespace(this.pods);
    indexSlicesByService(this.slices);

    const enqueueService = (s: Service): void => this.queue.add(`${s.metadata.namespace}/${s.metadata.name}`);
    this.services.addEventHandler({ onAdd: enqueueService, onUpdate: (_o, n) => enqueueService(n), onDelete: enqueueService });

    this.pods.addEventHandler(enqueueServicesOfPod(this.services, this.queue));

    const managed = (s: EndpointSlice): boolean => s.metadata.labels?.[LABEL_MANAGED_BY] === ENDPOINTSLICE_CONTROLLER_NAME;
    const later = (s: EndpointSlice): void => {
      const k = serviceKeyOfSlice(s);
      if (k) this.queue.addAfter(k, SLICE_CHANGE_MIN_SYNC_DELAY_MS);
    };
    this.slices.addEventHandler({
      onAdd: (s) => {
        if (managed(s) && this.tracker.shouldSync(s)) later(s);
      },
      onUpdate: (o, n) => {
        if (o.metadata.labels?.[LABEL_SERVICE_NAME] !== n.metadata.labels?.[LABEL_SERVICE_NAME]) {
          later(n);
          later(o);
        } else if (managed(o) !== managed(n) || (managed(n) && this.tracker.shouldSync(n))) {
          later(n);
        }
      },
      onDelete: (s) => {
        if (managed(s) && this.tracker.has(s) && !this.tracker.handleDeletion(s)) later(s);
      },
    });
  }

  run(signal: AbortSignal): Promise<void> {
    const informers = [this.services, this.pods, this.slices, this.nodes] as unknown as SharedInformer[];
    return runWorkers(this.ctx, this.name, this.queue, informers, retryWhenStale(this.queue, (k) => this.sync(k)), signal);
  }

  /** Idempotent: brings the service's slices to what its pods say. */
  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.lister.get(namespace, name);
    if (!svc) {
      // Its slices go with it through their owner reference (garbage collector).
      this.triggerTimes.delete(key);
      this.tracker.deleteOwner(key);
      return;
    }
    if (svc.spec?.type === 'ExternalName' || !hasSelector(svc)) return;

    const pods = podsForService(this.pods, svc);
    const existing = this.slices.indexer
      .byIndex(BY_SERVICE, key)
      .filter((s) => s.metadata.labels?.[LABEL_MANAGED_BY] === ENDPOINTSLICE_CONTROLLER_NAME && !s.metadata.deletionTimestamp);
    if (this.tracker.staleSlices(key, existing)) throw new StaleCacheError('EndpointSlice informer cache is out of date');

    const triggerTime = this.triggerTimes.compute(key, svc, pods);
    const plan = reconcileSlices({
      service: svc,
      pods,
      existingSlices: existing,
      node: (n) => this.nodes.lister.get(undefined, n),
      maxEndpointsPerSlice: this.maxEndpointsPerSlice,
      triggerTime,
    });
    try {
      await this.apply(svc, plan.create, plan.update, plan.delete);
    } catch (err) {
      this.ctx.event(COMPONENT, svc, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${namespace}/${name}: ${errText(err)}`);
      throw err;
    }
    if (plan.errors.length > 0) throw new Error(plan.errors.join('; '));
  }

  private async apply(svc: Service, create: EndpointSlice[], update: EndpointSlice[], del: EndpointSlice[]): Promise<void> {
    const ns = svc.metadata.namespace ?? '';
    for (const s of create) {
      try {
        this.tracker.update(await this.ctx.client.create<EndpointSlice>(EndpointSlices, s));
      } catch (err) {
        // A terminating namespace refuses creates for good: drop the service rather than retrying.
        if (isNamespaceTerminating(err)) return;
        throw new Error(`failed to create EndpointSlice for Service ${ns}/${svc.metadata.name}: ${errText(err)}`);
      }
    }
    for (const s of update) {
      try {
        this.tracker.update(await this.ctx.client.update<EndpointSlice>(EndpointSlices, s));
      } catch (err) {
        throw new Error(`failed to update ${s.metadata.name} EndpointSlice for Service ${ns}/${svc.metadata.name}: ${errText(err)}`);
      }
    }
    for (const s of del) {
      try {
        await this.ctx.client.delete(EndpointSlices, ns, s.metadata.name ?? '');
        this.tracker.expectDeletion(s);
      } catch (err) {
        if (isNotFound(err)) continue;
        throw new Error(`failed to delete ${s.metadata.name} EndpointSlice for Service ${ns}/${svc.metadata.name}: ${errText(err)}`);
      }
    }
  }
}

export const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A create refused because the namespace is terminating (Status cause NamespaceTerminating). */
export function isNamespaceTerminating(err: unknown): boolean {
  const causes = (err as { status?: { details?: { causes?: { reason?: string }[] } } })?.status?.details?.causes;
  return !!causes?.some((c) => c.reason === 'NamespaceTerminating');
}

export const endpointSliceControllerDescriptor: ControllerDescriptor = {
  name: 'endpointslice',
  enabledByDefault: true,
  create: (ctx) => new EndpointSliceController(ctx),
};
