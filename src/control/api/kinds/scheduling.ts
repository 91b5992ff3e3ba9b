/**
 * scheduling.k8s.io/v1 PriorityClass: upstream's validation (the `system-` prefix reserved for the built-in
 * classes, user values up to one billion, a known preemption policy), value and policy fixed once created,
 * and `kubectl get pc`'s columns. The two system classes are created at server start (control/bootstrap.ts).
 */
import type { FieldError, KubeObject, ResourceType, Strategy } from '../resource.js';
import { forbidden, immutable, notSupported } from '../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/meta.js';
import { nameIsDNSSubdomain } from '../validation/names.js';
import { ageColumn, column } from './printers/columns.js';
import { setDefault } from './strategies/json.js';
import { ALL_VERBS } from './verbs.js';

export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
const SYSTEM_PREFIX = 'system-';
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

/** What upstream's scheduling bootstrap creates (pkg/apis/scheduling SystemPriorityClasses). */
export const SYSTEM_PRIORITY_CLASSES = [
  { name: 'system-node-critical', value: 2_000_001_000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: 2_000_000_000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
] as const;

/** The PriorityClass objects for the system classes, as the API server writes them at start. */
export const systemPriorityClassObjects = (): KubeObject[] => SYSTEM_PRIORITY_CLASSES.map((c) => ({
  apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: c.name },
  value: c.value, globalDefault: false, description: c.description,
}));

/** Upstream's IsKnownSystemPriorityClass: undefined when it is one, else why not. */
function systemClassError(name: string, value: unknown, globalDefault: boolean): string | undefined {
  const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
  if (!known) return `${name} is not a known system priority class`;
  if (known.value !== value) return `value of ${known.name} PriorityClass must be ${known.value}`;
  if (globalDefault) return `globalDefault of ${known.name} PriorityClass must be false`;
  return undefined;
}

function validatePriorityClass(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = obj.metadata?.name ?? '';
  const value = typeof obj.value === 'number' ? obj.value : 0;
  if (name.startsWith(SYSTEM_PREFIX)) {
    const why = systemClassError(name, value, obj.globalDefault === true);
    if (why) errs.push(forbidden('metadata.name', `priority class names with '${SYSTEM_PREFIX}' prefix are reserved for system use only. error: ${why}`));
  } else if (value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  const policy = obj.preemptionPolicy;
  if (policy !== undefined && policy !== null && !PREEMPTION_POLICIES.includes(policy as string)) {
    errs.push(notSupported('preemptionPolicy', policy, PREEMPTION_POLICIES));
  }
  return errs;
}

export const priorityClassStrategy: Strategy = {
  default: (obj) => setDefault(obj, 'preemptionPolicy', 'PreemptLowerPriority'),
  validate: (obj) => [...validateObjectMeta(obj, { namespaced: false, name: nameIsDNSSubdomain }), ...validatePriorityClass(obj)],
  validateUpdate: (obj, old) => {
    const errs = [...validateObjectMetaUpdate(obj, old), ...validatePriorityClass(obj)];
    if ((obj.value ?? 0) !== (old.value ?? 0)) errs.push(forbidden('value', 'may not be changed in an update.'));
    errs.push(...immutable('preemptionPolicy', obj.preemptionPolicy, old.preemptionPolicy));
    return errs;
  },
};

export const priorityClassColumns = [
  column('Value', 'integer', 'value represents the integer value of this priority class.', (o) => (typeof o.value === 'number' ? o.value : 0)),
  column('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.',
    (o) => o.globalDefault === true),
  ageColumn,
  // Priority 0 upstream but filled only for wide output; the server always prints wide, so kubectl shows it.
  column('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority.',
    (o) => (typeof o.preemptionPolicy === 'string' ? o.preemptionPolicy : '')),
];

export const priorityclasses: ResourceType = {
  group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', listKind: 'PriorityClassList',
  plural: 'priorityclasses', singular: 'priorityclass', shortNames: ['pc'], categories: [], namespaced: false,
  verbs: ALL_VERBS, subresources: [], strategy: priorityClassStrategy, columns: priorityClassColumns,
  definition: 'io.k8s.api.scheduling.v1.PriorityClass',
};
