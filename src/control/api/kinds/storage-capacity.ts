/**
 * storage.k8s.io/v1 CSIStorageCapacity (namespaced): one CSI GetCapacity result for a storage class in a
 * topology segment. Validation as upstream's ValidateCSIStorageCapacity: a DNS-subdomain name, a valid
 * nodeTopology selector, a class name that is a DNS subdomain (empty is invalid too), a capacity that is not
 * negative; the GetCapacity inputs (nodeTopology, storageClassName) never change. Columns as upstream's printer.
 */
import type { FieldError, KubeObject, ResourceType, Strategy, TableColumn } from '../resource.js';
import { deepEqual, invalid } from '../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/meta.js';
import { isDNS1123Subdomain, nameIsDNSSubdomain } from '../validation/names.js';
import { printQuantity, toExactQuantity } from '../validation/quantity-canonical.js';
import { validateLabelSelector } from '../validation/selectors.js';
import { column } from './printers/columns.js';
import { ALL_VERBS } from './verbs.js';

function validateCapacity(obj: KubeObject): FieldError[] {
  const errs = [...validateObjectMeta(obj, { namespaced: true, name: nameIsDNSSubdomain }), ...validateLabelSelector(obj['nodeTopology'], 'nodeTopology')];
  const cls = obj['storageClassName'];
  const name = typeof cls === 'string' ? cls : '';
  for (const m of isDNS1123Subdomain(name)) errs.push(invalid('storageClassName', name, m));
  const q = obj['capacity'] === undefined || obj['capacity'] === null ? null : toExactQuantity(obj['capacity']);
  if (q && q.digits < 0n) errs.push(invalid('capacity', printQuantity(q), 'must be greater than or equal to 0'));
  return errs;
}

export const csiStorageCapacityStrategy: Strategy = {
  validate: validateCapacity,
  // Upstream's update validation checks metadata and the immutable inputs only, not the whole object again.
  validateUpdate(obj, old) {
    const errs = validateObjectMetaUpdate(obj, old);
    if (!deepEqual(obj['nodeTopology'] ?? null, old['nodeTopology'] ?? null)) errs.push(invalid('nodeTopology', obj['nodeTopology'], 'field is immutable'));
    if (obj['storageClassName'] !== old['storageClassName']) errs.push(invalid('storageClassName', obj['storageClassName'], 'field is immutable'));
    return errs;
  },
};

export const csiStorageCapacityColumns: TableColumn[] = [
  column('StorageClassName', 'string', 'The name of the StorageClass that the reported capacity applies to.', (o) => (typeof o['storageClassName'] === 'string' ? o['storageClassName'] : '')),
  column('Capacity', 'string', 'capacity is the value reported by the CSI driver in its GetCapacityResponse for a GetCapacityRequest with topology and parameters that match the previous fields.', (o) => {
    const q = o['capacity'] === undefined || o['capacity'] === null ? null : toExactQuantity(o['capacity']);
    return q ? printQuantity(q) : '<unset>';
  }),
];

export const csistoragecapacities: ResourceType = {
  group: 'storage.k8s.io', version: 'v1', namespaced: true, categories: [], verbs: ALL_VERBS,
  kind: 'CSIStorageCapacity', listKind: 'CSIStorageCapacityList', plural: 'csistoragecapacities', singular: 'csistoragecapacity',
  shortNames: [], subresources: [], strategy: csiStorageCapacityStrategy, columns: csiStorageCapacityColumns,
  definition: 'io.k8s.api.storage.v1.CSIStorageCapacity',
};
