/**
 * The Node authoriser, as upstream's plugin/pkg/auth/authorizer/node: requests of node identities
 * (system:node:<name> in system:nodes) to read a secret, configmap, claim, volume, resource claim or attachment,
 * or to create a service account token, are allowed only when the graph relates the object to that node (a pod
 * bound to it names it); leases and CSINodes only under the node's own name; everything else a node needs comes
 * from the static node rules. Anything not allowed is NoOpinion with upstream's reason, so RBAC (which binds
 * nodes nothing) refuses it; other users are not this authoriser's business.
 *
 * AuthorizeNodeWithSelectors is not modelled (the attributes carry no field selectors): node and pod reads follow
 * the static rules, as upstream before 1.32, which also lets an agent of many nodes watch all bound pods.
 */
import { nodeIdentity } from './node-identity.js';
import type { NodeGraphKind, NodeGraphReader } from './node-graph.js';
import { NODE_RULES, nodeRulesAllow, type NodeRule } from './node-rules.js';
import type { UserInfo } from '../auth/user.js';
import type { AuthorizationAttributes, AuthorizationResult, Authorizer, RuleResolver } from './types.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

const ALLOW: AuthorizationResult = { decision: 'Allow', reason: '' };
const noOpinion = (reason: string): AuthorizationResult => ({ decision: 'NoOpinion', reason });
const NO_OPINION = noOpinion('');

export class NodeAuthorizer implements Authorizer, RuleResolver {
  constructor(private readonly graph: NodeGraphReader, private readonly rules: readonly NodeRule[] = NODE_RULES) {}

  /** As upstream: a node's permissions depend on the graph, so they cannot be listed (incomplete, with the reason). */
  rulesFor(user: UserInfo): ReturnType<RuleResolver['rulesFor']> {
    if (nodeIdentity(user) === undefined) return { resourceRules: [], nonResourceRules: [], incomplete: false };
    return { resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: 'node authorizer does not support user rule resolution' };
  }

  authorize(a: AuthorizationAttributes): AuthorizationResult {
    const node = nodeIdentity(a.user);
    if (node === undefined) return NO_OPINION;
    if (node === '') return noOpinion(`unknown node for user "${a.user.name}"`);
    if (a.resourceRequest) {
      switch (`${a.apiGroup}/${a.resource}`) {
        case '/secrets': return this.readNamespaced(node, 'secrets', a);
        case '/configmaps': return this.readNamespaced(node, 'configmaps', a);
        case '/persistentvolumeclaims':
          return a.subresource === 'status' ? this.statusUpdate(node, 'persistentvolumeclaims', a) : this.get(node, 'persistentvolumeclaims', a);
        case '/persistentvolumes': return this.get(node, 'persistentvolumes', a);
        case 'resource.k8s.io/resourceclaims': return this.get(node, 'resourceclaims', a);
        case 'storage.k8s.io/volumeattachments': return this.get(node, 'volumeattachments', a);
        case '/serviceaccounts': return this.createToken(node, a);
        case 'coordination.k8s.io/leases': return this.lease(node, a);
        case 'storage.k8s.io/csinodes': return this.csiNode(node, a);
        case 'resource.k8s.io/resourceslices': return this.resourceSlice(node, a);
      }
    }
    return nodeRulesAllow(a, this.rules) ? ALLOW : NO_OPINION;
  }

  private related(node: string, kind: NodeGraphKind, a: AuthorizationAttributes): AuthorizationResult {
    if (!a.name) return noOpinion('No Object name found');
    return this.graph.relates(node, kind, a.namespace, a.name) ? ALLOW : noOpinion(`no relationship found between node '${node}' and this object`);
  }

  private readNamespaced(node: string, kind: NodeGraphKind, a: AuthorizationAttributes): AuthorizationResult {
    if (a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch') return noOpinion('can only read resources of this type');
    if (a.subresource) return noOpinion('cannot read subresource');
    if (!a.namespace) return noOpinion('can only read namespaced object of this type');
    return this.related(node, kind, a);
  }

  private get(node: string, kind: NodeGraphKind, a: AuthorizationAttributes): AuthorizationResult {
    if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
    if (a.subresource) return noOpinion('cannot get subresource');
    return this.related(node, kind, a);
  }

  private statusUpdate(node: string, kind: NodeGraphKind, a: AuthorizationAttributes): AuthorizationResult {
    if (a.verb !== 'update' && a.verb !== 'patch') return noOpinion('can only get/update/patch this type');
    return this.related(node, kind, a);
  }

  private createToken(node: string, a: AuthorizationAttributes): AuthorizationResult {
    if (a.verb !== 'create' || !a.name) return noOpinion('can only create tokens for individual service accounts');
    if (a.subresource !== 'token') return noOpinion('can only create token subresource of serviceaccount');
    return this.related(node, 'serviceaccounts', a);
  }

  private lease(node: string, a: AuthorizationAttributes): AuthorizationResult {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a node lease');
    if (a.namespace !== NODE_LEASE_NAMESPACE) return noOpinion(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
    // A create's name is in the body: NodeRestriction checks it.
    if (a.verb !== 'create' && a.name !== node) return noOpinion('can only access node lease with the same name as the requesting node');
    return ALLOW;
  }

  private csiNode(node: string, a: AuthorizationAttributes): AuthorizationResult {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a CSINode');
    if (a.subresource) return noOpinion('cannot authorize CSINode subresources');
    if (a.verb !== 'create' && a.name !== node) return noOpinion('can only access CSINode with the same name as the requesting node');
    return ALLOW;
  }

  private resourceSlice(node: string, a: AuthorizationAttributes): AuthorizationResult {
    if (a.subresource) return noOpinion('cannot authorize ResourceSlice subresources');
    switch (a.verb) {
      case 'create': return ALLOW; // spec.nodeName is in the body: NodeRestriction's to check
      case 'get': case 'update': case 'patch': case 'delete': return this.related(node, 'resourceslices', a);
      case 'watch': case 'list': case 'deletecollection': return ALLOW;
      default: return noOpinion('only the following verbs are allowed for a ResourceSlice: get, watch, list, create, update, patch, delete, deletecollection');
    }
  }
}
