/**
 * The cluster DNS server's own least-privilege identity, as kubeadm's CoreDNS add-on makes it: the ClusterRole
 * system:coredns (list and watch endpoints, services, pods, namespaces and endpointslices, nothing else) bound to
 * the in-process server's user system:coredns and to CoreDNS's ServiceAccount kube-system/coredns. Created when
 * absent, never overwritten (an add-on's, not the bootstrap policy: nothing reconciles them).
 */
import type { KubeObject } from './api/resource.js';
import type { ObjectEngine } from './api/routes/objects.js';
import { ensure } from './bootstrap.js';

/** The user the in-process DNS server's client certificate names (cluster-certs.ts DNS_SPEC). */
export const DNS_USER = 'system:coredns';
export const DNS_ROLE = 'system:coredns';

const RBAC = 'rbac.authorization.k8s.io';

export function dnsClusterRole(): KubeObject {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRole',
    metadata: { name: DNS_ROLE },
    rules: [
      { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ],
  };
}

export function dnsClusterRoleBinding(): KubeObject {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: DNS_ROLE },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: DNS_ROLE },
    subjects: [
      { apiGroup: RBAC, kind: 'User', name: DNS_USER },
      { kind: 'ServiceAccount', name: 'coredns', namespace: 'kube-system' },
    ],
  };
}

/** Creates the role and binding when missing; a server without rbac.authorization.k8s.io gets none. */
export async function ensureDnsRbac(engine: ObjectEngine): Promise<void> {
  await ensure(engine, 'clusterroles', RBAC, 'v1', undefined, dnsClusterRole());
  await ensure(engine, 'clusterrolebindings', RBAC, 'v1', undefined, dnsClusterRoleBinding());
}
