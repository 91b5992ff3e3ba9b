/**
 * core/v1 ReplicationController, the ReplicaSet's predecessor: the selector is a plain label map, defaulted
 * (with the object's labels) from the template's labels, and not immutable. Status has the ReplicaSet's fields.
 */
import type { FieldError, KubeObject, ResourceType, Strategy, TableColumn } from '../resource.js';
import { invalid, required } from '../validation/errors.js';
import { validateLabels } from '../validation/labels.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/meta.js';
import { nameIsDNSSubdomain } from '../validation/names.js';
import { formatLabels } from '../validation/selectors.js';
import { validateNonnegative } from '../validation/numbers.js';
import { ageColumn, column, num, path, templateColumns, wide } from './printers/columns.js';
import { defaultPodTemplate, validatePodTemplate } from './strategies/podspec.js';
import { ensure, rec, setDefault } from './strategies/json.js';
import { ALL_VERBS } from './verbs.js';

const labelMap = (v: unknown): Record<string, string> | undefined => rec(v) as Record<string, string> | undefined;
const isEmptyMap = (v: unknown): boolean => Object.keys(rec(v) ?? {}).length === 0;

/** SetDefaults_ReplicationController. */
function defaultReplicationController(obj: KubeObject): void {
  const spec = ensure(obj, 'spec');
  const labels = labelMap(rec(rec(spec.template)?.metadata)?.labels);
  if (labels) {
    if (isEmptyMap(spec.selector)) spec.selector = { ...labels };
    const meta = (obj.metadata ??= {});
    if (isEmptyMap(meta.labels)) meta.labels = { ...labels };
  }
  setDefault(spec, 'replicas', 1);
  defaultPodTemplate(spec.template);
}

/** ValidateReplicationControllerSpec. */
function validateSpec(obj: KubeObject): FieldError[] {
  const spec = rec(obj.spec);
  if (!spec) return [required('spec', '')];
  const errs: FieldError[] = [
    ...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'),
    ...validateNonnegative(spec.replicas, 'spec.replicas'),
  ];
  if (isEmptyMap(spec.selector)) errs.push(required('spec.selector', ''));
  else errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const template = rec(spec.template);
  if (!template) {
    errs.push(required('spec.template', ''));
    return errs;
  }
  const selector = labelMap(spec.selector) ?? {};
  const labels = labelMap(rec(template.metadata)?.labels) ?? {};
  if (Object.keys(selector).length > 0 && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    errs.push(invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplate(template, 'spec.template', { restartPolicies: ['Always'], noActiveDeadlineFor: 'ReplicationController' }));
  return errs;
}

const meta = (obj: KubeObject) => validateObjectMeta(obj, { namespaced: true, name: nameIsDNSSubdomain });

export const replicationControllerStrategy: Strategy = {
  default: defaultReplicationController,
  validate: (obj) => [...meta(obj), ...validateSpec(obj)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validateSpec(obj)],
  hasStatus: true,
  hasGeneration: true,
};

const status = (o: KubeObject, key: string) => num(path(o, 'status', key));

export const replicationControllerColumns: TableColumn[] = [
  column('Desired', 'integer', 'The desired number of replicas.', (o) => num(path(o, 'spec', 'replicas'))),
  column('Current', 'integer', 'The number of replicas that exist.', (o) => status(o, 'replicas')),
  column('Ready', 'integer', 'The number of ready replicas.', (o) => status(o, 'readyReplicas')),
  ageColumn,
  ...templateColumns((o) => path(o, 'spec', 'template', 'spec')),
  wide('Selector', 'string', 'Label query over the pods this object manages.', (o) => formatLabels(labelMap(path(o, 'spec', 'selector')))),
];

export const replicationcontrollers: ResourceType = {
  group: '', version: 'v1', kind: 'ReplicationController', listKind: 'ReplicationControllerList',
  plural: 'replicationcontrollers', singular: 'replicationcontroller', shortNames: ['rc'], categories: ['all'],
  namespaced: true, verbs: ALL_VERBS, subresources: ['status', 'scale'],
  // The Scale's status.selector is left out: the scale handler renders LabelSelector objects, not label maps.
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
  strategy: replicationControllerStrategy, columns: replicationControllerColumns,
  definition: 'io.k8s.api.core.v1.ReplicationController',
};
