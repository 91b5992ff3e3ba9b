/**
 * authorization.k8s.io/v1, answered by the server's own authoriser: SubjectAccessReview (may this user do that?),
 * LocalSubjectAccessReview (the same, within one namespace), SelfSubjectAccessReview (may I? `kubectl auth
 * can-i`) and SelfSubjectRulesReview (what may I do in this namespace? `kubectl auth can-i --list`). All are
 * create-only and never stored.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FieldError } from '../resource.js';
import { badRequest, invalid, notAcceptable } from '../status.js';
import { ACCEPTED_MEDIA_TYPES, decodeBody, isPlainObject, negotiate, sendText } from '../content.js';
import { invalid as invalidField } from '../validation/errors.js';
import { userOf } from '../auth/request.js';
import type { UserInfo } from '../auth/user.js';
import type { AuthorizationAttributes, Authorizer, RuleResolver } from './types.js';

export const AUTHORIZATION_GROUP = 'authorization.k8s.io';
export const AUTHORIZATION_GROUP_VERSION = `${AUTHORIZATION_GROUP}/v1`;

type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function bodyOf(req: FastifyRequest): Obj {
  const raw = req.body as Buffer | undefined;
  if (!raw || raw.length === 0) return {};
  const obj = decodeBody(req.headers['content-type'], raw);
  return isPlainObject(obj) ? obj : {};
}

/**
 * Output negotiation before anything else, as upstream's create handler: these kinds have no TableConvertor, so
 * `as=Table` (or any Accept naming no served serializer) is 406.
 */
export function negotiateCreateOnly(req: FastifyRequest): void {
  if (!negotiate(req.headers.accept, { table: false })) throw notAcceptable(ACCEPTED_MEDIA_TYPES);
}

function created(reply: FastifyReply, obj: unknown): FastifyReply {
  sendText(reply, 201, 'application/json', JSON.stringify(obj));
  return reply;
}

/** The attributes a review's spec asks about (upstream's ResourceAttributesFrom / NonResourceAttributesFrom). */
export function reviewAttributes(user: UserInfo, spec: Obj): AuthorizationAttributes {
  const ra = isPlainObject(spec['resourceAttributes']) ? spec['resourceAttributes'] : undefined;
  if (ra) {
    return {
      user, verb: str(ra['verb']), resourceRequest: true, path: '', apiGroup: str(ra['group']), apiVersion: str(ra['version']),
      resource: str(ra['resource']), subresource: str(ra['subresource']), namespace: str(ra['namespace']), name: str(ra['name']),
    };
  }
  const nra = isPlainObject(spec['nonResourceAttributes']) ? spec['nonResourceAttributes'] : {};
  return { user, verb: str(nra['verb']), resourceRequest: false, path: str(nra['path']), apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '' };
}

/** Exactly one of resourceAttributes and nonResourceAttributes, as upstream's validation. */
function attributeErrors(spec: Obj): FieldError[] {
  const hasR = isPlainObject(spec['resourceAttributes']);
  const hasN = isPlainObject(spec['nonResourceAttributes']);
  if (hasR && hasN) return [invalidField('spec.nonResourceAttributes', spec['nonResourceAttributes'], 'cannot be specified in combination with resourceAttributes')];
  if (!hasR && !hasN) return [invalidField('spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified')];
  return [];
}

function status(authorizer: Authorizer, a: AuthorizationAttributes): Obj {
  try {
    const r = authorizer.authorize(a);
    return { allowed: r.decision === 'Allow', ...(r.decision === 'Deny' ? { denied: true } : {}), ...(r.reason ? { reason: r.reason } : {}) };
  } catch (err) {
    return { allowed: false, evaluationError: (err as Error).message };
  }
}

const metadataOf = (body: Obj): Obj => ({ ...(isPlainObject(body['metadata']) ? body['metadata'] : {}), creationTimestamp: null });

/** The spec's user (SubjectAccessReview and the local one ask about someone else). */
function specUser(spec: Obj): UserInfo {
  const extra = isPlainObject(spec['extra']) ? Object.fromEntries(Object.entries(spec['extra']).map(([k, v]) => [k, strings(v)])) : undefined;
  return { name: str(spec['user']), groups: strings(spec['groups']), ...(str(spec['uid']) ? { uid: str(spec['uid']) } : {}), ...(extra && Object.keys(extra).length ? { extra } : {}) };
}

export function registerAuthorizationApi(app: FastifyInstance, authorizer: Authorizer, resolver: RuleResolver | undefined): void {
  const base = `/apis/${AUTHORIZATION_GROUP_VERSION}`;
  const requester = (req: FastifyRequest): UserInfo => {
    const u = userOf(req);
    if (!u) throw badRequest('no user in the request');
    return u;
  };

  app.post(`${base}/selfsubjectaccessreviews`, async (req, reply) => {
    negotiateCreateOnly(req);
    const body = bodyOf(req);
    const spec = isPlainObject(body['spec']) ? body['spec'] : {};
    const errs = attributeErrors(spec);
    if (errs.length) throw invalid(AUTHORIZATION_GROUP, 'SelfSubjectAccessReview', '', errs);
    const st = status(authorizer, reviewAttributes(requester(req), spec));
    return created(reply, { kind: 'SelfSubjectAccessReview', apiVersion: AUTHORIZATION_GROUP_VERSION, metadata: metadataOf(body), spec, status: st });
  });

  const subjectReview = (kind: string, namespace?: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    negotiateCreateOnly(req);
    requester(req);
    const body = bodyOf(req);
    const spec = isPlainObject(body['spec']) ? body['spec'] : {};
    const errs = attributeErrors(spec);
    if (namespace !== undefined && isPlainObject(spec['nonResourceAttributes'])) errs.push(invalidField('spec.nonResourceAttributes', spec['nonResourceAttributes'], 'disallowed on this kind of request'));
    if (!str(spec['user']) && strings(spec['groups']).length === 0) errs.push(invalidField('spec.user', '', 'at least one of user or group must be specified'));
    if (errs.length) throw invalid(AUTHORIZATION_GROUP, kind, str(isPlainObject(body['metadata']) ? body['metadata']['name'] : ''), errs);
    const a = reviewAttributes(specUser(spec), spec);
    if (namespace !== undefined && a.namespace !== namespace) throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
    const metadata = metadataOf(body);
    if (namespace !== undefined) metadata['namespace'] = namespace;
    return created(reply, { kind, apiVersion: AUTHORIZATION_GROUP_VERSION, metadata, spec, status: status(authorizer, a) });
  };
  app.post(`${base}/subjectaccessreviews`, subjectReview('SubjectAccessReview'));
  app.post(`${base}/namespaces/:namespace/localsubjectaccessreviews`, async (req, reply) =>
    subjectReview('LocalSubjectAccessReview', (req.params as { namespace: string }).namespace)(req, reply));

  app.post(`${base}/selfsubjectrulesreviews`, async (req, reply) => {
    negotiateCreateOnly(req);
    const user = requester(req);
    const body = bodyOf(req);
    const spec = isPlainObject(body['spec']) ? body['spec'] : {};
    const namespace = str(spec['namespace']);
    if (!namespace) throw badRequest('no namespace on request');
    const rules = resolver
      ? resolver.rulesFor(user, namespace)
      : { resourceRules: [], nonResourceRules: [], incomplete: true };
    const st: Obj = { resourceRules: rules.resourceRules, nonResourceRules: rules.nonResourceRules, incomplete: rules.incomplete };
    if ('evaluationError' in rules && rules.evaluationError) st['evaluationError'] = rules.evaluationError;
    return created(reply, { kind: 'SelfSubjectRulesReview', apiVersion: AUTHORIZATION_GROUP_VERSION, metadata: metadataOf(body), spec, status: st });
  });
}
