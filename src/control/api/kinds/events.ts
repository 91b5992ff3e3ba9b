/**
 * events.k8s.io/v1 Event: the core/v1 Events served in the newer API's shape, as kube-apiserver serves them
 * from the same storage (events-conversion.ts maps the fields and holds the new API's validation). Printing,
 * the watch cache is core/v1's; field selectors use the new names
 * (regarding.kind, reportingController, …), renamed for the stored objects as upstream's field label conversion.
 */
import type { ResourceType } from '../resource.js';
import { events } from './core.js';
import { checkEventsV1, eventCoreToV1, eventV1ToCore, EVENTS_V1_FIELD_LABELS, eventsV1FieldLabel } from './events-conversion.js';

export const eventsV1: ResourceType = {
  ...events,
  group: 'events.k8s.io',
  version: 'v1',
  definition: 'io.k8s.api.events.v1.Event',
  selectableFields: EVENTS_V1_FIELD_LABELS,
  conversion: {
    storage: events, toStorage: eventV1ToCore, fromStorage: eventCoreToV1, check: checkEventsV1, fieldLabel: eventsV1FieldLabel,
  },
};
