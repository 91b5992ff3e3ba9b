/**
 * core/v1 bindings: the older way to bind a pod, POST /api/v1/namespaces/<ns>/bindings with the pod's name in the
 * Binding's metadata.name. Create only and never stored: the write is pods/binding's for the named pod (upstream's
 * LegacyBindingREST hands it to the same BindingREST), so validation, 409 and 404 are that subresource's.
 */
import type { ResourceType } from '../resource.js';

export const bindings: ResourceType = {
  group: '', version: 'v1', kind: 'Binding', listKind: 'BindingList', plural: 'bindings', singular: 'binding',
  shortNames: [], categories: [], namespaced: true, verbs: ['create'], subresources: [], strategy: {}, columns: [],
  definition: 'io.k8s.api.core.v1.Binding', computed: true, bindingOf: 'pods',
};
