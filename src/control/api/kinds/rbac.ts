/**
 * rbac.authorization.k8s.io/v1: Roles, ClusterRoles and their bindings, stored and validated as upstream's
 * pkg/apis/rbac/validation (names are only path segments, rules need verbs and either resources or non-resource
 * URLs, a binding's roleRef never changes); defaults as upstream's (roleRef.apiGroup, subjects' apiGroup).
 * Enforcing them is authorisation's job, not this file's.
 */
import type { FieldError, KubeObject, ResourceType, Strategy, TableColumn } from '../resource.js';
import { deepEqual, invalid, notSupported, required } from '../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate, type MetaRules } from '../validation/meta.js';
import { isValidPathSegmentName, nameIsDNSSubdomain } from '../validation/names.js';
import { validateLabelSelector } from '../validation/selectors.js';
import { ageColumn, column, path, wide } from './printers/columns.js';
import { isRecord, records, rec, str } from './strategies/json.js';
import { ALL_VERBS } from './verbs.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** Role and binding names are only checked as path segments (upstream's minimalNameRequirements). */
const minimalName = (name: string): string[] => isValidPathSegmentName(name);
const namespacedMeta: MetaRules = { namespaced: true, name: minimalName };
const clusterMeta: MetaRules = { namespaced: false, name: minimalName };

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => String(x)) : []);

function validatePolicyRule(rule: Record<string, unknown>, namespaced: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (strings(rule.verbs).length === 0) errs.push(required(`${field}.verbs`, 'verbs must contain at least one value'));
  const urls = strings(rule.nonResourceURLs);
  if (urls.length > 0) {
    if (namespaced) errs.push(invalid(`${field}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'));
    if (strings(rule.apiGroups).length > 0 || strings(rule.resources).length > 0 || strings(rule.resourceNames).length > 0) {
      errs.push(invalid(`${field}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (strings(rule.apiGroups).length === 0) errs.push(required(`${field}.apiGroups`, 'resource rules must supply at least one api group'));
  const resources = strings(rule.resources);
  if (resources.length === 0) errs.push(required(`${field}.resources`, 'resource rules must supply at least one resource'));
  if (strings(rule.resourceNames).length > 0 && resources.length > 1) {
    errs.push(required(`${field}.resourceNames`, 'resource names cannot apply to multiple resources'));
  }
  return errs;
}

const validateRules = (obj: KubeObject, namespaced: boolean): FieldError[] =>
  records(obj['rules']).flatMap((r, i) => validatePolicyRule(r, namespaced, `rules[${i}]`));

function validateAggregationRule(obj: KubeObject): FieldError[] {
  const agg = obj['aggregationRule'];
  if (agg === undefined || agg === null) return [];
  const selectors = Array.isArray(rec(agg)?.clusterRoleSelectors) ? (rec(agg)!.clusterRoleSelectors as unknown[]) : [];
  if (selectors.length === 0) {
    return [required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil')];
  }
  return selectors.flatMap((s, i) => validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`));
}

/** A binding's subject, as upstream's validateRoleBindingSubject (ServiceAccounts in a cluster binding need a namespace). */
function validateSubject(s: Record<string, unknown>, namespaced: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(s.name);
  const apiGroup = str(s.apiGroup);
  if (!name) errs.push(required(`${field}.name`, ''));
  switch (s.kind) {
    case 'ServiceAccount':
      if (name) for (const m of nameIsDNSSubdomain(name, false)) errs.push(invalid(`${field}.name`, name, m));
      if (apiGroup) errs.push(notSupported(`${field}.apiGroup`, apiGroup, ['']));
      if (!namespaced && !str(s.namespace)) errs.push(required(`${field}.namespace`, ''));
      break;
    case 'User':
    case 'Group':
      if (!name) errs.push(invalid(`${field}.name`, name, `${s.kind === 'User' ? 'user' : 'group'} name cannot be empty`));
      if (apiGroup !== RBAC_GROUP) errs.push(notSupported(`${field}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(`${field}.kind`, str(s.kind), ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBinding(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = rec(obj['roleRef']) ?? {};
  const apiGroup = str(ref.apiGroup);
  if (apiGroup !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', apiGroup, [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref.kind))) errs.push(notSupported('roleRef.kind', str(ref.kind), kinds));
  const name = str(ref.name);
  if (!name) errs.push(required('roleRef.name', ''));
  else for (const m of minimalName(name)) errs.push(invalid('roleRef.name', name, m));
  records(obj['subjects']).forEach((s, i) => errs.push(...validateSubject(s, namespaced, `subjects[${i}]`)));
  return errs;
}

/** Upstream words the refusal with the whole new roleRef as its value. */
function roleRefUnchanged(obj: KubeObject, old: KubeObject): FieldError[] {
  if (deepEqual(obj['roleRef'], old['roleRef'])) return [];
  const ref = rec(obj['roleRef']) ?? {};
  return [invalid('roleRef', `{APIGroup:${str(ref.apiGroup)} Kind:${str(ref.kind)} Name:${str(ref.name)}}`, 'cannot change roleRef')];
}

/** SetDefaults_Subject and the bindings' roleRef.apiGroup default. */
function defaultBinding(obj: KubeObject): void {
  const ref = rec(obj['roleRef']);
  if (ref && !ref.apiGroup) ref.apiGroup = RBAC_GROUP;
  for (const s of records(obj['subjects'])) {
    // A ServiceAccount's group is the core one, "" (omitted from JSON, as upstream's omitempty does).
    if (!s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}

export const roleStrategy: Strategy = {
  validate: (obj) => [...validateObjectMeta(obj, namespacedMeta), ...validateRules(obj, true)],
  validateUpdate: (obj, old) => validateObjectMetaUpdate(obj, old),
};

export const clusterRoleStrategy: Strategy = {
  validate: (obj) => [...validateObjectMeta(obj, clusterMeta), ...validateRules(obj, false), ...validateAggregationRule(obj)],
  validateUpdate: (obj, old) => validateObjectMetaUpdate(obj, old),
};

export const roleBindingStrategy: Strategy = {
  default: defaultBinding,
  validate: (obj) => [...validateObjectMeta(obj, namespacedMeta), ...validateBinding(obj, true)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...roleRefUnchanged(obj, old)],
};

export const clusterRoleBindingStrategy: Strategy = {
  default: defaultBinding,
  validate: (obj) => [...validateObjectMeta(obj, clusterMeta), ...validateBinding(obj, false)],
  validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj, old), ...roleRefUnchanged(obj, old)],
};

/** Roles print as upstream's default table: name and creation time. */
const createdAtColumns: TableColumn[] = [
  column('Created At', 'date', 'CreationTimestamp is a timestamp representing the server time when this object was created.', (o) => o.metadata?.creationTimestamp ?? null),
];

/** Users, groups and service accounts (`namespace/name`) of a binding, as upstream's SubjectsStrings. */
function subjects(o: KubeObject, kind: string): string {
  return records(o['subjects']).filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${str(s.namespace)}/${str(s.name)}` : str(s.name))).join(', ');
}

const bindingColumns = (what: string): TableColumn[] => [
  column('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.', (o) =>
    `${str(path(o, 'roleRef', 'kind'))}/${str(path(o, 'roleRef', 'name'))}`),
  ageColumn,
  wide('Users', 'string', `Users in the ${what}`, (o) => subjects(o, 'User')),
  wide('Groups', 'string', `Groups in the ${what}`, (o) => subjects(o, 'Group')),
  wide('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, (o) => subjects(o, 'ServiceAccount')),
];

const rbac = { group: RBAC_GROUP, version: 'v1' } as const;

export const roles: ResourceType = {
  ...rbac, kind: 'Role', listKind: 'RoleList', plural: 'roles', singular: 'role', shortNames: [], categories: [],
  subresources: [], verbs: ALL_VERBS, namespaced: true, strategy: roleStrategy, columns: createdAtColumns,
  definition: 'io.k8s.api.rbac.v1.Role',
};

export const rolebindings: ResourceType = {
  ...rbac, kind: 'RoleBinding', listKind: 'RoleBindingList', plural: 'rolebindings', singular: 'rolebinding', shortNames: [],
  categories: [], subresources: [], verbs: ALL_VERBS, namespaced: true, strategy: roleBindingStrategy,
  columns: bindingColumns('roleBinding'), definition: 'io.k8s.api.rbac.v1.RoleBinding',
};

export const clusterroles: ResourceType = {
  ...rbac, kind: 'ClusterRole', listKind: 'ClusterRoleList', plural: 'clusterroles', singular: 'clusterrole', shortNames: [],
  categories: [], subresources: [], verbs: ALL_VERBS, namespaced: false, strategy: clusterRoleStrategy, columns: createdAtColumns,
  definition: 'io.k8s.api.rbac.v1.ClusterRole',
};

export const clusterrolebindings: ResourceType = {
  ...rbac, kind: 'ClusterRoleBinding', listKind: 'ClusterRoleBindingList', plural: 'clusterrolebindings',
  singular: 'clusterrolebinding', shortNames: [], categories: [], subresources: [], verbs: ALL_VERBS, namespaced: false,
  strategy: clusterRoleBindingStrategy, columns: bindingColumns('clusterRoleBinding'),
  definition: 'io.k8s.api.rbac.v1.ClusterRoleBinding',
};

/** The label selectors of a ClusterRole's aggregationRule (for the aggregation controller). */
export function aggregationSelectors(obj: KubeObject): unknown[] {
  const agg = obj['aggregationRule'];
  return isRecord(agg) && Array.isArray(agg.clusterRoleSelectors) ? agg.clusterRoleSelectors : [];
}
