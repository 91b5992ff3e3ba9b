/** discovery.k8s.io/v1 kinds. */
import type { ResourceType } from '../resource.js';
import { ALL_VERBS } from './verbs.js';
import { endpointSliceStrategy } from './strategies/misc.js';
import { endpointSliceColumns } from './printers/misc.js';

export const endpointslices: ResourceType = {
  group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', listKind: 'EndpointSliceList',
  plural: 'endpointslices', singular: 'endpointslice', shortNames: [], categories: [], namespaced: true,
  verbs: ALL_VERBS, subresources: [], strategy: endpointSliceStrategy, columns: endpointSliceColumns,
  definition: 'io.k8s.api.discovery.v1.EndpointSlice',
};
