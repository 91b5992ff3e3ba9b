/**
 * policy/v1 PodDisruptionBudget: upstream's validation (minAvailable and maxUnavailable exclusive, each a
 * non-negative integer or a percentage up to 100%, a valid selector, a known unhealthyPodEvictionPolicy), status
 * as a subresource written by the disruption controller and by pods/eviction, and `kubectl get pdb`'s columns.
 */
import type { FieldError, KubeObject, ResourceType, Strategy, TableColumn } from '../resource.js';
import { invalid, notSupported } from '../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/meta.js';
import { nameIsDNSSubdomain } from '../validation/names.js';
import { validateIntOrPercent } from '../validation/numbers.js';
import { validateLabelSelector } from '../validation/selectors.js';
import { ageColumn, column, path } from './printers/columns.js';
import { rec } from './strategies/json.js';
import { ALL_VERBS } from './verbs.js';

const namespaced = { namespaced: true, name: nameIsDNSSubdomain };
const EVICTION_POLICIES = ['IfHealthyBudget', 'AlwaysAllow'];

function validatePDB(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec) ?? {};
  const errs: FieldError[] = [];
  if (spec.minAvailable !== undefined && spec.minAvailable !== null && spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    errs.push(invalid('spec.minAvailable', spec.minAvailable, 'minAvailable and maxUnavailable cannot be both set'));
  }
  errs.push(...validateIntOrPercent(spec.minAvailable, 'spec.minAvailable'));
  errs.push(...validateIntOrPercent(spec.maxUnavailable, 'spec.maxUnavailable'));
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const p = spec.unhealthyPodEvictionPolicy;
  if (p !== undefined && p !== null && !EVICTION_POLICIES.includes(p as string)) errs.push(notSupported('spec.unhealthyPodEvictionPolicy', p, EVICTION_POLICIES));
  return errs;
}

export const pdbStrategy: Strategy = {
  validate: (obj) => [...validateObjectMeta(obj, namespaced), ...validatePDB(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validatePDB(obj)],
  hasStatus: true,
  hasGeneration: true,
};

const intOrStringCell = (v: unknown): string => (v === undefined || v === null ? 'N/A' : String(v));

export const pdbColumns: TableColumn[] = [
  column('Min Available', 'string', 'The minimum number of pods that must be available.', (o) => intOrStringCell(path(o, 'spec', 'minAvailable'))),
  column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.', (o) => intOrStringCell(path(o, 'spec', 'maxUnavailable'))),
  column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.', (o) => {
    const v = path(o, 'status', 'disruptionsAllowed');
    return typeof v === 'number' ? v : 0;
  }),
  ageColumn,
];

export const poddisruptionbudgets: ResourceType = {
  group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', listKind: 'PodDisruptionBudgetList',
  plural: 'poddisruptionbudgets', singular: 'poddisruptionbudget', shortNames: ['pdb'],
  categories: [], namespaced: true, verbs: ALL_VERBS, subresources: ['status'],
  strategy: pdbStrategy, columns: pdbColumns,
  definition: 'io.k8s.api.policy.v1.PodDisruptionBudget',
};
