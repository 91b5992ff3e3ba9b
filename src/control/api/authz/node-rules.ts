/**
 * The requests every node may make whatever it runs, as upstream's bootstrappolicy NodeRules(): the Node
 * authoriser allows them itself (upstream's system:node ClusterRole holds the same rules, but its binding has no
 * subjects, so RBAC grants nodes nothing). Reads of secrets, configmaps, claims, volumes and tokens are not here:
 * the graph decides those. Writes to Nodes, pods and leases are narrowed by NodeRestriction admission.
 */
import type { AuthorizationAttributes } from './types.js';

export interface NodeRule {
  verbs: readonly string[];
  apiGroups: readonly string[];
  /** Plural, or plural/subresource. */
  resources: readonly string[];
}

const READ = ['get', 'list', 'watch'];

export const NODE_RULES: readonly NodeRule[] = [
  // Checking API access (the kubelet's authenticated/authorised endpoints); these creates store nothing.
  { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'] },
  { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews', 'localsubjectaccessreviews'] },
  // Services for pods' environment variables.
  { verbs: READ, apiGroups: [''], resources: ['services'] },
  // Registration and status of its own Node.
  { verbs: ['create', 'get', 'list', 'watch'], apiGroups: [''], resources: ['nodes'] },
  { verbs: ['update', 'patch'], apiGroups: [''], resources: ['nodes/status', 'nodes'] },
  { verbs: ['create', 'update', 'patch'], apiGroups: [''], resources: ['events'] },
  { verbs: ['create', 'update', 'patch'], apiGroups: ['events.k8s.io'], resources: ['events'] },
  // Pods: reads (an agent of many nodes watches all bound pods), mirror pods, status, evictions.
  { verbs: READ, apiGroups: [''], resources: ['pods'] },
  { verbs: ['create', 'delete'], apiGroups: [''], resources: ['pods'] },
  { verbs: ['update', 'patch'], apiGroups: [''], resources: ['pods/status'] },
  { verbs: ['create'], apiGroups: [''], resources: ['pods/eviction'] },
  { verbs: ['get'], apiGroups: [''], resources: ['endpoints'] },
  // Its own client certificate's renewal.
  { verbs: ['create', 'get', 'list', 'watch'], apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'] },
  { verbs: READ, apiGroups: ['node.k8s.io'], resources: ['runtimeclasses'] },
  { verbs: READ, apiGroups: ['storage.k8s.io'], resources: ['csidrivers'] },
];

const has = (list: readonly string[], v: string): boolean => list.includes(v) || list.includes('*');

/** RBAC's rule match for resource requests (no resourceNames in these rules). */
export function nodeRulesAllow(a: AuthorizationAttributes, rules: readonly NodeRule[] = NODE_RULES): boolean {
  if (!a.resourceRequest) return false;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return rules.some((r) => has(r.verbs, a.verb) && has(r.apiGroups, a.apiGroup) && has(r.resources, resource));
}
