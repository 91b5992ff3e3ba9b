/**
 * What `kubeadm init` binds so that nodes can join with bootstrap tokens (its bootstrap-token phase): tokens of
 * the default node group may create CertificateSigningRequests (system:node-bootstrapper) and have node client
 * requests auto-approved (…:nodeclient); nodes may have their own renewals auto-approved (…:selfnodeclient).
 * Created when absent, never overwritten: an administrator may change or remove them (they are kubeadm's, not the
 * API server's bootstrap policy, so nothing reconciles them).
 */
import type { KubeObject } from './api/resource.js';
import type { ObjectEngine } from './api/routes/objects.js';
import { ensure } from './bootstrap.js';
import { KUBEADM_NODE_TOKEN_GROUP } from './api/auth/bootstrap-token.js';

const binding = (name: string, role: string, group: string): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
});

/** kubeadm's three bindings, by its names. */
export function nodeJoinBindings(): KubeObject[] {
  return [
    binding('kubeadm:kubelet-bootstrap', 'system:node-bootstrapper', KUBEADM_NODE_TOKEN_GROUP),
    binding('kubeadm:node-autoapprove-bootstrap', 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', KUBEADM_NODE_TOKEN_GROUP),
    binding('kubeadm:node-autoapprove-certificate-rotation', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', 'system:nodes'),
  ];
}

/** Creates the bindings that are missing; a server without rbac.authorization.k8s.io gets none. */
export async function ensureNodeJoinBindings(engine: ObjectEngine): Promise<void> {
  for (const b of nodeJoinBindings()) await ensure(engine, 'clusterrolebindings', 'rbac.authorization.k8s.io', 'v1', undefined, b);
}
