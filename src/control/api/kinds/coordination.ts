/** coordination.k8s.io/v1 kinds. */
import type { ResourceType } from '../resource.js';
import { ALL_VERBS } from './verbs.js';
import { leaseStrategy } from './strategies/misc.js';
import { leaseColumns } from './printers/misc.js';

export const leases: ResourceType = {
  group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', listKind: 'LeaseList',
  plural: 'leases', singular: 'lease', shortNames: [], categories: [], namespaced: true,
  verbs: ALL_VERBS, subresources: [], strategy: leaseStrategy, columns: leaseColumns,
  definition: 'io.k8s.api.coordination.v1.Lease',
};
