/** networking.k8s.io/v1 kinds: NetworkPolicy, Ingress, IngressClass. */
import type { ResourceType } from '../resource.js';
import { ALL_VERBS } from './verbs.js';
import { ingressClassStrategy, ingressStrategy, networkPolicyStrategy } from './strategies/networking.js';
import { ingressClassColumns, ingressColumns, networkPolicyColumns } from './printers/networking.js';

const networking = { group: 'networking.k8s.io', version: 'v1' } as const;

export const networkpolicies: ResourceType = {
  ...networking, kind: 'NetworkPolicy', listKind: 'NetworkPolicyList', plural: 'networkpolicies', singular: 'networkpolicy',
  shortNames: ['netpol'], categories: [], namespaced: true, verbs: ALL_VERBS, subresources: [],
  strategy: networkPolicyStrategy, columns: networkPolicyColumns, definition: 'io.k8s.api.networking.v1.NetworkPolicy',
};

export const ingresses: ResourceType = {
  ...networking, kind: 'Ingress', listKind: 'IngressList', plural: 'ingresses', singular: 'ingress',
  shortNames: ['ing'], categories: [], namespaced: true, verbs: ALL_VERBS, subresources: ['status'],
  strategy: ingressStrategy, columns: ingressColumns, definition: 'io.k8s.api.networking.v1.Ingress',
};

export const ingressclasses: ResourceType = {
  ...networking, kind: 'IngressClass', listKind: 'IngressClassList', plural: 'ingressclasses', singular: 'ingressclass',
  shortNames: [], categories: [], namespaced: false, verbs: ALL_VERBS, subresources: [],
  strategy: ingressClassStrategy, columns: ingressClassColumns, definition: 'io.k8s.api.networking.v1.IngressClass',
};
