/**
 * events.k8s.io/v1 Event: the core/v1 Events served in the newer API's shape, as kube-apiserver serves them
 * from the same storage (events-conversion.ts maps the fields and holds the new API's validation). Printing,
 * field selectors on stored names and the watch cache are core/v1's.
 */
import type { ResourceType } from '../resource.js';
import { events } from './core.js';
import { checkEventsV1, eventCoreToV1, eventV1ToCore } from './events-conversion.js';

export const eventsV1: ResourceType = {
  ...events,
  group: 'events.k8s.io',
  version: 'v1',
  definition: 'io.k8s.api.events.v1.Event',
  conversion: { storage: events, toStorage: eventV1ToCore, fromStorage: eventCoreToV1, check: checkEventsV1 },
};
