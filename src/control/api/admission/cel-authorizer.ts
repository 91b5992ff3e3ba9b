/**
 * Kubernetes' CEL authorizer library (k8s.io/apiserver/pkg/cel/library/authz), for ValidatingAdmissionPolicy
 * expressions: `authorizer.group('apps').resource('deployments').namespace('ns').name('d').check('update').allowed()`,
 * `authorizer.path('/healthz').check('get')`, `authorizer.serviceAccount('ns', 'sa')...`, and
 * `authorizer.requestResource` (the request's own resource) with `.check(verb)`; a decision answers allowed(),
 * reason(), errored() and error(). Checks go to the server's authoriser chain as the request's user.
 * The values are CEL maps whose meaning lives in a WeakMap beside them: the library's methods act only on the
 * maps it made, and fail on any other.
 */
import { celError, celMap, celMethod, CelScalar, mapType, type CelFunc, type CelMap, type CelValue } from '@bufbuild/cel';
import type { AuthorizationAttributes, Authorizer } from '../authz/types.js';
import type { UserInfo } from '../auth/user.js';
import { celCompiler } from '../crd/cel.js';
import type { AdmissionAttributes } from './types.js';

interface ResourceTarget { group: string; resource: string; subresource: string; namespace: string; name: string }

type AuthzValue =
  | { kind: 'authorizer'; authz: Authorizer; user: UserInfo }
  | { kind: 'group'; authz: Authorizer; user: UserInfo; group: string }
  | { kind: 'resource'; authz: Authorizer; user: UserInfo; target: ResourceTarget }
  | { kind: 'path'; authz: Authorizer; user: UserInfo; path: string }
  | { kind: 'decision'; allowed: boolean; reason: string };

const STATE = new WeakMap<CelMap, AuthzValue>();

function make(v: AuthzValue, fields: ReadonlyMap<string, CelValue> = new Map()): CelMap {
  const m = celMap(fields);
  STATE.set(m, v);
  return m;
}

const MAP = mapType(CelScalar.STRING, CelScalar.DYN);

/** A method of the library on one of its kinds: any other map gets upstream's "no such overload". */
function method<K extends AuthzValue['kind']>(
  name: string, kind: K, args: readonly (typeof CelScalar.STRING)[], impl: (v: Extract<AuthzValue, { kind: K }>, ...a: string[]) => CelValue,
): CelFunc {
  return celMethod(name, MAP, args, CelScalar.DYN, function (this: CelMap, ...a: string[]) {
    const v = STATE.get(this);
    if (!v || v.kind !== kind) return celError(`no such overload: ${name}`) as never;
    return impl(v as Extract<AuthzValue, { kind: K }>, ...a) as never;
  } as never);
}

function decide(authz: Authorizer, a: AuthorizationAttributes): CelMap {
  const r = authz.authorize(a);
  return make({ kind: 'decision', allowed: r.decision === 'Allow', reason: r.reason });
}

const resourceCheck = (authz: Authorizer, user: UserInfo, target: ResourceTarget): CelMap => make({ kind: 'resource', authz, user, target });
const withTarget = (field: keyof ResourceTarget) => (v: { authz: Authorizer; user: UserInfo; target: ResourceTarget }, value: string) =>
  resourceCheck(v.authz, v.user, { ...v.target, [field]: value });

/** upstream's serviceaccount.UserInfo: the account's user name and its two groups. */
const serviceAccountUser = (namespace: string, name: string): UserInfo => ({
  name: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
});

export const authorizerLibrary: CelFunc[] = [
  method('path', 'authorizer', [CelScalar.STRING], (v, path) => make({ kind: 'path', authz: v.authz, user: v.user, path: path! })),
  method('group', 'authorizer', [CelScalar.STRING], (v, group) => make({ kind: 'group', authz: v.authz, user: v.user, group: group! })),
  method('serviceAccount', 'authorizer', [CelScalar.STRING, CelScalar.STRING], (v, ns, name) => authorizerValue(v.authz, serviceAccountUser(ns!, name!))),
  method('resource', 'group', [CelScalar.STRING], (v, resource) => resourceCheck(v.authz, v.user, { group: v.group, resource: resource!, subresource: '', namespace: '', name: '' })),
  method('subresource', 'resource', [CelScalar.STRING], withTarget('subresource')),
  method('namespace', 'resource', [CelScalar.STRING], withTarget('namespace')),
  method('name', 'resource', [CelScalar.STRING], withTarget('name')),
  // One method for both checks: the library dispatches on the receiver's CEL type, a map for both.
  celMethod('check', MAP, [CelScalar.STRING], CelScalar.DYN, function (this: CelMap, verb: string) {
    const v = STATE.get(this);
    if (v?.kind === 'resource') {
      return decide(v.authz, {
        user: v.user, verb, resourceRequest: true, path: '', apiGroup: v.target.group, apiVersion: '*',
        resource: v.target.resource, subresource: v.target.subresource, namespace: v.target.namespace, name: v.target.name,
      }) as never;
    }
    if (v?.kind === 'path') {
      return decide(v.authz, { user: v.user, verb, resourceRequest: false, path: v.path, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '' }) as never;
    }
    return celError('no such overload: check') as never;
  } as never),
  method('allowed', 'decision', [], (v) => v.allowed),
  method('reason', 'decision', [], (v) => v.reason),
  // The authoriser chain answers without errors here.
  method('errored', 'decision', [], () => false),
  method('error', 'decision', [], () => ''),
];

/**
 * The `authorizer` variable for `user`; with the request's resource it also holds `authorizer.requestResource`.
 */
export function authorizerValue(authz: Authorizer, user: UserInfo, request?: ResourceTarget): CelMap {
  const fields = new Map<string, CelValue>(request ? [['requestResource', resourceCheck(authz, user, request)]] : []);
  return make({ kind: 'authorizer', authz, user }, fields);
}

/** The `authorizer` of an admission request: its user (none for the server's own writes) and its resource. */
export function requestAuthorizer(authz: Authorizer, a: AdmissionAttributes): CelMap {
  return authorizerValue(authz, a.user ?? { name: '', groups: [] }, {
    group: a.resource.group, resource: a.resource.plural, subresource: a.subresource, namespace: a.namespace ?? '', name: a.name,
  });
}

/** Admission's CEL (ValidatingAdmissionPolicy, webhook matchConditions): CRD rules' environment plus this library. */
export const compileAdmission = celCompiler(authorizerLibrary);
