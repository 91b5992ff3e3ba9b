/** core/v1 PodTemplate: a stored pod template, validated and defaulted as a workload's template is. */
import type { ResourceType, Strategy } from '../resource.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/meta.js';
import { nameIsDNSSubdomain } from '../validation/names.js';
import { defaultPodTemplate, validatePodTemplate } from './strategies/podspec.js';
import { podTemplateColumns } from './printers/quota.js';
import { ALL_VERBS } from './verbs.js';

const namespaced = { namespaced: true, name: nameIsDNSSubdomain };

export const podTemplateStrategy: Strategy = {
  default: (obj) => defaultPodTemplate(obj.template),
  validate: (obj) => [...validateObjectMeta(obj, namespaced), ...validatePodTemplate(obj.template, 'template')],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...validatePodTemplate(obj.template, 'template')],
};

export const podtemplates: ResourceType = {
  group: '', version: 'v1', kind: 'PodTemplate', listKind: 'PodTemplateList', plural: 'podtemplates',
  singular: 'podtemplate', shortNames: [], categories: [], namespaced: true, verbs: ALL_VERBS,
  subresources: [], strategy: podTemplateStrategy, columns: podTemplateColumns,
  definition: 'io.k8s.api.core.v1.PodTemplate',
};
