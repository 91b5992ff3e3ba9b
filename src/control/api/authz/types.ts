/**
 * Authorisation's seam, as upstream's authorizer.Authorizer: what one request asks to do (its attributes, read
 * from the URL and the verb as upstream's RequestInfoFactory does) and a decision. Authorisers are chained
 * (Node, then RBAC, as kube-apiserver's --authorization-mode=Node,RBAC): the first Allow or Deny wins; NoOpinion
 * passes to the next; a request no authoriser allows is 403.
 */
import type { UserInfo } from '../auth/user.js';

export interface AuthorizationAttributes {
  user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection; for non-resource URLs the HTTP verb lowercased. */
  verb: string;
  /** true for /api/..., /apis/... resource requests; false for /healthz, /version, /openapi/... */
  resourceRequest: boolean;
  /** Non-resource requests: the URL path. */
  path: string;
  /** Resource requests: '' for the core group. */
  apiGroup: string;
  apiVersion: string;
  /** Plural resource name, e.g. pods. */
  resource: string;
  /** e.g. status, log, exec, token; '' for the main resource. */
  subresource: string;
  /** '' for cluster-scoped requests and all-namespace lists. */
  namespace: string;
  /** '' when the request names no object (list, create without a name in the URL). */
  name: string;
}

export type AuthorizationDecision = 'Allow' | 'Deny' | 'NoOpinion';

export interface AuthorizationResult {
  decision: AuthorizationDecision;
  /** Why (upstream's reason string: e.g. RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to User "z"). */
  reason: string;
}

export interface Authorizer {
  authorize(a: AuthorizationAttributes): AuthorizationResult;
}

/** What SelfSubjectRulesReview reports for one namespace. */
export interface ResourceRule { verbs: string[]; apiGroups: string[]; resources: string[]; resourceNames?: string[] }
export interface NonResourceRule { verbs: string[]; nonResourceURLs: string[] }
export interface RuleResolver {
  rulesFor(user: UserInfo, namespace: string): { resourceRules: ResourceRule[]; nonResourceRules: NonResourceRule[]; incomplete: boolean; evaluationError?: string };
}
