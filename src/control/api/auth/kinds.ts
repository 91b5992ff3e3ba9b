/**
 * authentication.k8s.io/v1 in the registry, so discovery, OpenAPI and kubectl's REST mapping know the reviews
 * (`kubectl create -f tokenreview.yaml`, `kubectl api-resources`): cluster-scoped, create only, never stored
 * (computed: nothing is written or watched). reviews.ts answers their creates.
 */
import type { ResourceType } from '../resource.js';
import type { Definitions, Schema } from '../schema/types.js';

const PKG = 'io.k8s.api.authentication.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (definition: string, description: string): Schema => ({ $ref: `#/definitions/${definition}`, description });
const str = (description: string): Schema => ({ type: 'string', description });
const strings = (description: string): Schema => ({ type: 'array', description, items: { type: 'string' }, 'x-kubernetes-list-type': 'atomic' });

const object = (description: string, properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object', description, properties, ...(required.length ? { required } : {}),
});
const envelope = (kind: string, description: string, spec?: string): Schema =>
  object(description, {
    apiVersion: str('The versioned schema of this representation of an object (APIVersion).'),
    kind: str('The REST resource this object represents, in CamelCase (Kind).'),
    metadata: ref(`${META}.ObjectMeta`, "Standard object's metadata."),
    ...(spec ? { spec: ref(`${PKG}.${spec}`, 'Spec holds information about the request being evaluated.') } : {}),
    status: ref(`${PKG}.${kind}Status`, 'Status is filled in by the server.'),
  }, spec ? ['spec'] : []);

const schemas: Definitions = {
  [`${PKG}.UserInfo`]: object('UserInfo holds the information about the user needed to implement the user.Info interface.', {
    username: str('The name that uniquely identifies this user among all active users.'),
    uid: str('A unique value that identifies this user across time.'),
    groups: strings('The names of groups this user is a part of.'),
    extra: { type: 'object', description: 'Any additional information provided by the authenticator.', additionalProperties: { type: 'array', items: { type: 'string' } } },
  }),
  [`${PKG}.SelfSubjectReview`]: envelope('SelfSubjectReview', 'SelfSubjectReview contains the user information that the kube-apiserver has about the user making this request.'),
  [`${PKG}.SelfSubjectReviewStatus`]: object('SelfSubjectReviewStatus is filled by the kube-apiserver and sent back to a user.', {
    userInfo: ref(`${PKG}.UserInfo`, 'User attributes of the user making this request.'),
  }),
  [`${PKG}.TokenReview`]: envelope('TokenReview', 'TokenReview attempts to authenticate a token to a known user.', 'TokenReviewSpec'),
  [`${PKG}.TokenReviewSpec`]: object('TokenReviewSpec is a description of the token authentication request.', {
    token: str('Token is the opaque bearer token.'),
    audiences: strings('Audiences is a list of the identifiers that the resource server presented with the token identifies as.'),
  }),
  [`${PKG}.TokenReviewStatus`]: object('TokenReviewStatus is the result of the token authentication request.', {
    authenticated: { type: 'boolean', description: 'Authenticated indicates that the token was associated with a known user.' },
    user: ref(`${PKG}.UserInfo`, 'User is the UserInfo associated with the provided token.'),
    audiences: strings('Audiences are audience identifiers chosen by the authenticator that are compatible with both the TokenReview and token.'),
    error: str("Error indicates that the token couldn't be checked"),
  }),
};

const review = (kind: string, plural: string): ResourceType => ({
  group: 'authentication.k8s.io', version: 'v1', kind, listKind: `${kind}List`, plural, singular: plural.replace(/s$/, ''),
  shortNames: [], categories: [], namespaced: false, verbs: ['create'], subresources: [], strategy: {}, columns: [],
  definition: `${PKG}.${kind}`, computed: true, schemas,
});

export const selfsubjectreviews = review('SelfSubjectReview', 'selfsubjectreviews');
export const tokenreviews = review('TokenReview', 'tokenreviews');
export const authenticationResources: ResourceType[] = [selfsubjectreviews, tokenreviews];
