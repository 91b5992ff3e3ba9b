/**
 * The EndpointSlice mirroring controller (upstream's pkg/controller/endpointslicemirroring, descriptor
 * `endpointslice-mirroring`): Services without a selector get EndpointSlices mirrored from the Endpoints their
 * owners write, so slice consumers (the proxy, DNS) see them. Endpoints labelled skip-mirror=true (the
 * `kubernetes` Service's, written by bootstrap with its own slice) and leader-election locks are not mirrored;
 * mirrored slices go when the Endpoints, the Service, or its selectorlessness go.
 */
import type { SharedInformer } from '../../client/informer.js';
import { isNotFound } from '../../client/rest.js';
import { EndpointSlices, Endpoints as EndpointsRef, Services } from '../../client/resources.js';
import { splitKey } from '../../client/types.js';
import type { ControllerContext } from './context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from './controller.js';
import { errText, isNamespaceTerminating, serviceKeyOfSlice } from './endpointslice/controller.js';
import { BY_SERVICE, hasSelector, indexSlicesByService } from './endpointslice/indexes.js';
import { retryWhenStale, StaleCacheError } from './endpointslice/stale.js';
import { EndpointSliceTracker } from './endpointslice/tracker.js';
import type { Endpoints, EndpointSlice, Service } from './endpointslice/types.js';
import { LABEL_MANAGED_BY, LABEL_SERVICE_NAME, MIRRORING_CONTROLLER_NAME } from './endpointslice/types.js';
import { DEFAULT_MAX_ENDPOINTS_PER_SUBSET, mirrorEndpoints, shouldMirror } from './endpointslice-mirroring-reconciler.js';

const COMPONENT = 'endpoint-slice-mirroring-controller';

const managed = (s: EndpointSlice): boolean => s.metadata.labels?.[LABEL_MANAGED_BY] === MIRRORING_CONTROLLER_NAME;

export class EndpointSliceMirroringController implements Controller {
  readonly name = 'endpointslice-mirroring';
  private readonly queue;
  private readonly services;
  private readonly endpoints;
  private readonly slices;
  private readonly tracker = new EndpointSliceTracker(serviceKeyOfSlice);
  private readonly maxPerSubset: number;

  constructor(private readonly ctx: ControllerContext) {
    this.maxPerSubset = ctx.options.mirroringMaxEndpointsPerSubset ?? DEFAULT_MAX_ENDPOINTS_PER_SUBSET;
    this.queue = ctx.queue('endpoint_slice_mirroring');
    this.services = ctx.informers.forResource<Service>(Services);
    this.endpoints = ctx.informers.forResource<Endpoints>(EndpointsRef);
    this.slices = ctx.informers.forResource<EndpointSlice>(EndpointSlices);
    indexSlicesByService(this.slices);

    const key = (o: { metadata: { namespace?: string; name?: string } }): string => `${o.metadata.namespace}/${o.metadata.name}`;
    this.services.addEventHandler({ onAdd: (s) => this.queue.add(key(s)), onUpdate: (_o, n) => this.queue.add(key(n)), onDelete: (s) => this.queue.add(key(s)) });
    this.endpoints.addEventHandler({
      onAdd: (e) => shouldMirror(e) && this.queue.add(key(e)),
      onUpdate: (o, n) => (shouldMirror(o) || shouldMirror(n)) && this.queue.add(key(n)),
      onDelete: (e) => shouldMirror(e) && this.queue.add(key(e)),
    });
    const enqueue = (s: EndpointSlice): void => {
      const k = serviceKeyOfSlice(s);
      if (k) this.queue.add(k);
    };
    this.slices.addEventHandler({
      onAdd: (s) => managed(s) && this.tracker.shouldSync(s) && enqueue(s),
      onUpdate: (o, n) => {
        if (o.metadata.labels?.[LABEL_SERVICE_NAME] !== n.metadata.labels?.[LABEL_SERVICE_NAME]) {
          enqueue(n);
          enqueue(o);
        } else if (managed(o) !== managed(n) || (managed(n) && this.tracker.shouldSync(n))) {
          enqueue(n);
        }
      },
      onDelete: (s) => {
        if (managed(s) && this.tracker.has(s) && !this.tracker.handleDeletion(s)) enqueue(s);
      },
    });
  }

  run(signal: AbortSignal): Promise<void> {
    const informers = [this.services, this.endpoints, this.slices] as unknown as SharedInformer[];
    return runWorkers(this.ctx, this.name, this.queue, informers, retryWhenStale(this.queue, (k) => this.sync(k)), signal);
  }

  private mirrored(key: string): EndpointSlice[] {
    return this.slices.indexer.byIndex(BY_SERVICE, key).filter(managed);
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.lister.get(namespace, name);
    if (!svc) {
      this.tracker.deleteOwner(key);
      return this.deleteMirrored(namespace, key);
    }
    // A Service with a selector gets its slices from the EndpointSlice controller.
    if (hasSelector(svc)) return this.deleteMirrored(namespace, key);
    const ep = this.endpoints.lister.get(namespace, name);
    if (!ep || !shouldMirror(ep)) return this.deleteMirrored(namespace, key);

    const existing = this.mirrored(key).filter((s) => !s.metadata.deletionTimestamp);
    if (this.tracker.staleSlices(key, existing)) throw new StaleCacheError('EndpointSlice informer cache is out of date');
    const plan = mirrorEndpoints(ep, existing, this.maxPerSubset);
    if (plan.invalid > 0) {
      this.ctx.event(COMPONENT, ep, 'Warning', 'InvalidIPAddress', `Skipped ${plan.invalid} invalid IP addresses when mirroring to EndpointSlices`);
    }
    if (plan.skipped > plan.invalid) {
      this.ctx.event(COMPONENT, ep, 'Warning', 'TooManyAddressesToMirror', `A max of ${this.maxPerSubset} addresses can be mirrored to EndpointSlices per Endpoints subset. ${plan.skipped} addresses were skipped`);
    }
    for (const s of plan.create) {
      try {
        this.tracker.update(await this.ctx.client.create<EndpointSlice>(EndpointSlices, s));
      } catch (err) {
        if (isNamespaceTerminating(err)) return;
        throw new Error(`failed to create EndpointSlice for Endpoints ${key}: ${errText(err)}`);
      }
    }
    for (const s of plan.update) {
      try {
        this.tracker.update(await this.ctx.client.update<EndpointSlice>(EndpointSlices, s));
      } catch (err) {
        throw new Error(`failed to update ${s.metadata.name} EndpointSlice for Endpoints ${key}: ${errText(err)}`);
      }
    }
    for (const s of plan.delete) await this.deleteSlice(namespace, key, s);
  }

  private async deleteMirrored(namespace: string, key: string): Promise<void> {
    for (const s of this.mirrored(key)) await this.deleteSlice(namespace, key, s);
  }

  private async deleteSlice(namespace: string, key: string, s: EndpointSlice): Promise<void> {
    try {
      await this.ctx.client.delete(EndpointSlices, namespace, s.metadata.name ?? '');
      this.tracker.expectDeletion(s);
    } catch (err) {
      if (!isNotFound(err)) throw new Error(`failed to delete ${s.metadata.name} EndpointSlice for Endpoints ${key}: ${errText(err)}`);
    }
  }
}

export const endpointSliceMirroringControllerDescriptor: ControllerDescriptor = {
  name: 'endpointslice-mirroring',
  enabledByDefault: true,
  create: (ctx) => new EndpointSliceMirroringController(ctx),
};
