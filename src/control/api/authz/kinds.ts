/**
 * authorization.k8s.io/v1 in the registry, so discovery, OpenAPI and kubectl's REST mapping know the reviews
 * (`kubectl auth can-i` looks them up): create only, never stored (computed). LocalSubjectAccessReview is the
 * namespaced one. reviews.ts answers their creates.
 */
import type { ResourceType } from '../resource.js';
import type { Definitions, Schema } from '../schema/types.js';

const PKG = 'io.k8s.api.authorization.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (definition: string, description: string): Schema => ({ $ref: `#/definitions/${definition}`, description });
const str = (description: string): Schema => ({ type: 'string', description });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const strings = (description: string): Schema => ({ type: 'array', description, items: { type: 'string' }, 'x-kubernetes-list-type': 'atomic' });
const object = (description: string, properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object', description, properties, ...(required.length ? { required } : {}),
});
const envelope = (description: string, spec: string, status: string): Schema =>
  object(description, {
    apiVersion: str('The versioned schema of this representation of an object (APIVersion).'),
    kind: str('The REST resource this object represents, in CamelCase (Kind).'),
    metadata: ref(`${META}.ObjectMeta`, "Standard list metadata."),
    spec: ref(`${PKG}.${spec}`, 'Spec holds information about the request being evaluated.'),
    status: ref(`${PKG}.${status}`, 'Status is filled in by the server and indicates whether the request is allowed or not.'),
  }, ['spec']);

const attributes = {
  resourceAttributes: ref(`${PKG}.ResourceAttributes`, 'ResourceAuthorizationAttributes describes information for a resource access request'),
  nonResourceAttributes: ref(`${PKG}.NonResourceAttributes`, 'NonResourceAttributes describes information for a non-resource access request'),
};

const schemas: Definitions = {
  [`${PKG}.ResourceAttributes`]: object('ResourceAttributes includes the authorization attributes available for resource requests to the Authorizer interface', {
    namespace: str('Namespace is the namespace of the action being requested.'),
    verb: str('Verb is a kubernetes resource API verb, like: get, list, watch, create, update, delete, proxy.  "*" means all.'),
    group: str('Group is the API Group of the Resource.  "*" means all.'),
    version: str('Version is the API Version of the Resource.  "*" means all.'),
    resource: str('Resource is one of the existing resource types.  "*" means all.'),
    subresource: str('Subresource is one of the existing resource types.  "" means none.'),
    name: str('Name is the name of the resource being requested for a "get" or deleted for a "delete". "" (empty) means all.'),
  }),
  [`${PKG}.NonResourceAttributes`]: object('NonResourceAttributes includes the authorization attributes available for non-resource requests to the Authorizer interface', {
    path: str('Path is the URL path of the request'),
    verb: str('Verb is the standard HTTP verb'),
  }),
  [`${PKG}.SubjectAccessReviewSpec`]: object('SubjectAccessReviewSpec is a description of the access request.  Exactly one of ResourceAuthorizationAttributes and NonResourceAuthorizationAttributes must be set', {
    ...attributes,
    user: str('User is the user you\'re testing for.'),
    groups: strings('Groups is the groups you\'re testing for.'),
    extra: { type: 'object', description: 'Extra corresponds to the user.Info.GetExtra() method from the authenticator.', additionalProperties: { type: 'array', items: { type: 'string' } } },
    uid: str('UID information about the requesting user.'),
  }),
  [`${PKG}.SelfSubjectAccessReviewSpec`]: object('SelfSubjectAccessReviewSpec is a description of the access request.  Exactly one of ResourceAuthorizationAttributes and NonResourceAuthorizationAttributes must be set', attributes),
  [`${PKG}.SubjectAccessReviewStatus`]: object('SubjectAccessReviewStatus', {
    allowed: bool('Allowed is required. True if the action would be allowed, false otherwise.'),
    denied: bool('Denied is optional. True if the action would be denied, otherwise false.'),
    reason: str('Reason is optional.  It indicates why a request was allowed or denied.'),
    evaluationError: str('EvaluationError is an indication that some error occurred during the authorization check.'),
  }, ['allowed']),
  [`${PKG}.SelfSubjectRulesReviewSpec`]: object('SelfSubjectRulesReviewSpec defines the specification for SelfSubjectRulesReview.', {
    namespace: str('Namespace to evaluate rules for. Required.'),
  }),
  [`${PKG}.ResourceRule`]: object('ResourceRule is the list of actions the subject is allowed to perform on resources.', {
    verbs: strings('Verb is a list of kubernetes resource API verbs.'),
    apiGroups: strings('APIGroups is the name of the APIGroup that contains the resources.'),
    resources: strings('Resources is a list of resources this rule applies to.'),
    resourceNames: strings('ResourceNames is an optional white list of names that the rule applies to.'),
  }, ['verbs']),
  [`${PKG}.NonResourceRule`]: object('NonResourceRule holds information that describes a rule for the non-resource', {
    verbs: strings('Verb is a list of kubernetes non-resource API verbs.'),
    nonResourceURLs: strings('NonResourceURLs is a set of partial urls that a user should have access to.'),
  }, ['verbs']),
  [`${PKG}.SubjectRulesReviewStatus`]: object('SubjectRulesReviewStatus contains the result of a rules check.', {
    resourceRules: { type: 'array', description: 'ResourceRules is the list of actions the subject is allowed to perform on resources.', items: ref(`${PKG}.ResourceRule`, '') },
    nonResourceRules: { type: 'array', description: 'NonResourceRules is the list of actions the subject is allowed to perform on non-resources.', items: ref(`${PKG}.NonResourceRule`, '') },
    incomplete: bool('Incomplete is true when the rules returned by this call are incomplete.'),
    evaluationError: str('EvaluationError can appear in combination with Rules.'),
  }, ['resourceRules', 'nonResourceRules', 'incomplete']),
  [`${PKG}.SubjectAccessReview`]: envelope('SubjectAccessReview checks whether or not a user or group can perform an action.', 'SubjectAccessReviewSpec', 'SubjectAccessReviewStatus'),
  [`${PKG}.SelfSubjectAccessReview`]: envelope('SelfSubjectAccessReview checks whether or the current user can perform an action.', 'SelfSubjectAccessReviewSpec', 'SubjectAccessReviewStatus'),
  [`${PKG}.LocalSubjectAccessReview`]: envelope('LocalSubjectAccessReview checks whether or not a user or group can perform an action in a given namespace.', 'SubjectAccessReviewSpec', 'SubjectAccessReviewStatus'),
  [`${PKG}.SelfSubjectRulesReview`]: envelope('SelfSubjectRulesReview enumerates the set of actions the current user can perform within a namespace.', 'SelfSubjectRulesReviewSpec', 'SubjectRulesReviewStatus'),
};

const review = (kind: string, plural: string, namespaced = false): ResourceType => ({
  group: 'authorization.k8s.io', version: 'v1', kind, listKind: `${kind}List`, plural, singular: plural.replace(/s$/, ''),
  shortNames: [], categories: [], namespaced, verbs: ['create'], subresources: [], strategy: {}, columns: [],
  definition: `${PKG}.${kind}`, computed: true, schemas,
});

export const subjectaccessreviews = review('SubjectAccessReview', 'subjectaccessreviews');
export const selfsubjectaccessreviews = review('SelfSubjectAccessReview', 'selfsubjectaccessreviews');
export const localsubjectaccessreviews = review('LocalSubjectAccessReview', 'localsubjectaccessreviews', true);
export const selfsubjectrulesreviews = review('SelfSubjectRulesReview', 'selfsubjectrulesreviews');
export const authorizationResources: ResourceType[] = [localsubjectaccessreviews, selfsubjectaccessreviews, selfsubjectrulesreviews, subjectaccessreviews];
