/**
 * node.k8s.io/v1 RuntimeClass: a handler name (a DNS label, fixed once created), pod overhead and scheduling
 * constraints, validated as upstream's pkg/apis/node/validation; `kubectl get runtimeclass` shows the handler.
 */
import type { FieldError, KubeObject, ResourceType, Strategy } from '../resource.js';
import { immutable, invalid } from '../validation/errors.js';
import { validateLabels } from '../validation/labels.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/meta.js';
import { isDNS1123Label, nameIsDNSSubdomain } from '../validation/names.js';
import { validateResourceRequirements } from '../validation/quantities.js';
import { ageColumn, column } from './printers/columns.js';
import { validateTolerations } from './strategies/podspec.js';
import { rec, str } from './strategies/json.js';
import { ALL_VERBS } from './verbs.js';

function validateRuntimeClass(obj: KubeObject): FieldError[] {
  const handler = str(obj.handler);
  const errs = isDNS1123Label(handler).map((m) => invalid('handler', handler, m));
  const overhead = rec(obj.overhead);
  if (overhead?.podFixed !== undefined) errs.push(...validateResourceRequirements({ limits: overhead.podFixed }, 'overhead.podFixed'));
  const scheduling = rec(obj.scheduling);
  if (scheduling) {
    errs.push(...validateLabels(scheduling.nodeSelector, 'scheduling.nodeSelector'));
    errs.push(...validateTolerations(scheduling.tolerations, 'scheduling.tolerations'));
  }
  return errs;
}

export const runtimeClassStrategy: Strategy = {
  validate: (obj) => [...validateObjectMeta(obj, { namespaced: false, name: nameIsDNSSubdomain }), ...validateRuntimeClass(obj)],
  validateUpdate: (obj, old) => [
    ...validateObjectMetaUpdate(obj, old), ...validateRuntimeClass(obj), ...immutable('handler', obj.handler, old.handler),
  ],
};

export const runtimeclasses: ResourceType = {
  group: 'node.k8s.io', version: 'v1', kind: 'RuntimeClass', listKind: 'RuntimeClassList', plural: 'runtimeclasses',
  singular: 'runtimeclass', shortNames: [], categories: [], namespaced: false, verbs: ALL_VERBS, subresources: [],
  strategy: runtimeClassStrategy,
  columns: [column('Handler', 'string', 'handler specifies the underlying runtime and configuration that the CRI implementation will use.', (o) => str(o.handler)), ageColumn],
  definition: 'io.k8s.api.node.v1.RuntimeClass',
};
