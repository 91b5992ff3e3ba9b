/**
 * The Endpoints controller (upstream's pkg/controller/endpoint, descriptor `endpoint`): the legacy core/v1
 * Endpoints object of every Service with a selector, named after it and carrying its labels; deleted when the
 * Service goes. Services without a selector keep the Endpoints their owners write by hand.
 */
import type { SharedInformer } from '../../client/informer.js';
import { isNotFound } from '../../client/rest.js';
import { Endpoints as EndpointsRef, Pods, Services } from '../../client/resources.js';
import { splitKey } from '../../client/types.js';
import type { ControllerContext } from './context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from './controller.js';
import { errText, isNamespaceTerminating } from './endpointslice/controller.js';
import { hasSelector, podsForService } from './endpointslice/indexes.js';
import { indexByNamespace } from './shared/namespace-index.js';
import { enqueueServicesOfPod } from './endpointslice/pod-changes.js';
import { retryWhenStale, StaleCacheError } from './endpointslice/stale.js';
import { TriggerTimeTracker } from './endpointslice/trigger-time.js';
import type { Endpoints, Pod, Service } from './endpointslice/types.js';
import { ANNOTATION_LEADER } from './endpointslice/types.js';
import { desiredEndpoints } from './endpoints-subsets.js';

const COMPONENT = 'endpoint-controller';

export class EndpointsController implements Controller {
  readonly name = 'endpoint';
  private readonly queue;
  private readonly services;
  private readonly pods;
  private readonly endpoints;
  private readonly triggerTimes = new TriggerTimeTracker();
  /** resourceVersions we replaced: seeing one again in the cache means it lags our own update. */
  private readonly staleVersions = new Map<string, string>();
  /** Keys we created Endpoints for that the cache has not shown yet (a second create would only conflict). */
  private readonly created = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {
    this.queue = ctx.queue('endpoint');
    this.services = ctx.informers.forResource<Service>(Services);
    this.pods = ctx.informers.forResource<Pod>(Pods);
    this.endpoints = ctx.informers.forResource<Endpoints>(EndpointsRef);
    indexByNamespace(this.services);
    indexByNamespace(this.pods);

    const key = (o: { metadata: { namespace?: string; name?: string } }): string => `${o.metadata.namespace}/${o.metadata.name}`;
    this.services.addEventHandler({ onAdd: (s) => this.queue.add(key(s)), onUpdate: (_o, n) => this.queue.add(key(n)), onDelete: (s) => this.queue.add(key(s)) });
    this.pods.addEventHandler(enqueueServicesOfPod(this.services, this.queue));
    this.endpoints.addEventHandler({
      onAdd: (e) => this.created.delete(key(e)),
      // Someone deleting a Service's Endpoints gets them back.
      onDelete: (e) => {
        this.created.delete(key(e));
        this.queue.add(key(e));
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    const informers = [this.services, this.pods, this.endpoints] as unknown as SharedInformer[];
    const workers = runWorkers(this.ctx, this.name, this.queue, informers, retryWhenStale(this.queue, (k) => this.sync(k)), signal);
    // Once synced, look at every Endpoints object once: those left behind by a Service deleted while no
    // controller ran are removed (upstream's checkLeftoverEndpoints).
    if (await this.endpoints.waitForSync(signal)) {
      for (const e of this.endpoints.lister.list()) {
        if (e.metadata.annotations?.[ANNOTATION_LEADER] === undefined) this.queue.add(`${e.metadata.namespace}/${e.metadata.name}`);
      }
    }
    await workers;
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.lister.get(namespace, name);
    if (!svc) {
      try {
        await this.ctx.client.delete(EndpointsRef, namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.triggerTimes.delete(key);
      this.staleVersions.delete(key);
      this.created.delete(key);
      return;
    }
    if (svc.spec?.type === 'ExternalName' || !hasSelector(svc)) return;

    const pods = podsForService(this.pods, svc);
    const triggerTime = this.triggerTimes.compute(key, svc, pods);
    const current = this.endpoints.lister.get(namespace, name);
    if (!current && this.created.has(key)) throw new StaleCacheError(`endpoints informer cache has not seen the created endpoints ${key} yet`);
    if (current && this.staleVersions.get(key) === current.metadata.resourceVersion) {
      throw new StaleCacheError(`endpoints informer cache is out of date, resource version ${current.metadata.resourceVersion} already processed for endpoints ${key}`);
    }
    const next = desiredEndpoints(svc, pods, current, triggerTime);
    if (!next) return;
    try {
      if (!current) {
        await this.ctx.client.create(EndpointsRef, next);
        this.created.add(key);
      } else {
        const updated = await this.ctx.client.update<Endpoints>(EndpointsRef, next);
        if (updated.metadata.resourceVersion !== current.metadata.resourceVersion) this.staleVersions.set(key, current.metadata.resourceVersion ?? '');
      }
    } catch (err) {
      if (!current && isNamespaceTerminating(err)) return;
      if (!current) this.ctx.event(COMPONENT, next, 'Warning', 'FailedToCreateEndpoint', `Failed to create endpoint for service ${namespace}/${name}: ${errText(err)}`);
      else this.ctx.event(COMPONENT, next, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${namespace}/${name}: ${errText(err)}`);
      throw err;
    }
  }
}

export const endpointsControllerDescriptor: ControllerDescriptor = {
  name: 'endpoint',
  enabledByDefault: true,
  create: (ctx) => new EndpointsController(ctx),
};
