/**
 * The agent's production source: shared informers for Services and EndpointSlices through src/client, as
 * kube-proxy watches them. Objects arrive as API JSON; the model builder reads only the fields it declares.
 */
import { dropManagedFields, EndpointSlices, Services, SharedInformer, type RestClient } from '../../client/index.js';
import type { ProxySource } from './agent.js';
import type { EndpointSliceObject, ServiceObject } from './model-builder.js';

export class InformerSource implements ProxySource {
  private readonly svc: SharedInformer;
  private readonly eps: SharedInformer;

  constructor(client: RestClient) {
    this.svc = new SharedInformer(client, Services, { transform: dropManagedFields });
    this.eps = new SharedInformer(client, EndpointSlices, { transform: dropManagedFields });
  }

  async start(onChange: () => void, signal: AbortSignal): Promise<void> {
    const handler = { onAdd: onChange, onUpdate: onChange, onDelete: onChange };
    this.svc.addEventHandler(handler);
    this.eps.addEventHandler(handler);
    void this.svc.run(signal);
    void this.eps.run(signal);
    await Promise.all([this.svc.waitForSync(signal), this.eps.waitForSync(signal)]);
  }

  services(): Iterable<ServiceObject> {
    return this.svc.indexer.list() as unknown as ServiceObject[];
  }

  endpointSlices(): Iterable<EndpointSliceObject> {
    return this.eps.indexer.list() as unknown as EndpointSliceObject[];
  }
}
