/**
 * admissionregistration.k8s.io/v1: webhook configurations and ValidatingAdmissionPolicies with their bindings,
 * stored with upstream's defaults (failurePolicy Fail, matchPolicy Equivalent, empty selectors, timeoutSeconds 10,
 * reinvocationPolicy Never, rule scope "*", service port 443) and validated as upstream's
 * pkg/apis/admissionregistration/validation. CEL expressions (matchConditions, validations) must parse; their
 * types are not checked (the webhook plugin evaluates matchConditions; policies are not evaluated).
 */
import type { FieldError, KubeObject, ResourceType, Strategy, TableColumn } from '../resource.js';
import { deepEqual, duplicate, forbidden, invalid, notSupported, required, tooMany } from '../validation/errors.js';
import { isQualifiedName } from '../validation/labels.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/meta.js';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isValidPathSegmentName, nameIsDNSSubdomain } from '../validation/names.js';
import { isValidPortNum } from '../validation/ports.js';
import { selectorString, validateLabelSelector, type LabelSelector } from '../validation/selectors.js';
import { ageColumn, column, path } from './printers/columns.js';
import { ensure, records, rec, setDefault, str, type Json } from './strategies/json.js';
import { celCompileError } from '../admission/match-conditions.js';
import { ALL_VERBS } from './verbs.js';

const GROUP = 'admissionregistration.k8s.io';
const clusterMeta = { namespaced: false, name: nameIsDNSSubdomain };

const FAILURE_POLICIES = ['Fail', 'Ignore'];
const MATCH_POLICIES = ['Equivalent', 'Exact'];
const NO_SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
const REINVOCATION_POLICIES = ['IfNeeded', 'Never'];
const SCOPES = ['*', 'Cluster', 'Namespaced'];
const REVIEW_VERSIONS = ['v1', 'v1beta1'];
const VALIDATION_ACTIONS = ['Audit', 'Deny', 'Warn'];
const POLICY_REASONS = ['Forbidden', 'Invalid', 'RequestEntityTooLarge'];

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => String(x)) : []);
const present = (v: unknown): boolean => v !== undefined && v !== null;

// ---- defaults (SetDefaults_* of admissionregistration/v1)

function defaultRules(rules: unknown): void {
  for (const r of records(rules)) setDefault(r, 'scope', '*');
}

function defaultWebhook(hook: Json, mutating: boolean): void {
  setDefault(hook, 'failurePolicy', 'Fail');
  setDefault(hook, 'matchPolicy', 'Equivalent');
  if (!present(hook.namespaceSelector)) hook.namespaceSelector = {};
  if (!present(hook.objectSelector)) hook.objectSelector = {};
  setDefault(hook, 'timeoutSeconds', 10);
  if (mutating) setDefault(hook, 'reinvocationPolicy', 'Never');
  defaultRules(hook.rules);
  const service = rec(rec(hook.clientConfig)?.service);
  if (service) setDefault(service, 'port', 443);
}

function defaultMatchResources(m: Json | undefined): void {
  if (!m) return;
  setDefault(m, 'matchPolicy', 'Equivalent');
  if (!present(m.namespaceSelector)) m.namespaceSelector = {};
  if (!present(m.objectSelector)) m.objectSelector = {};
  defaultRules(m.resourceRules);
  defaultRules(m.excludeResourceRules);
}

// ---- validation

const hasWildcard = (list: string[]): boolean => list.includes('*');

function validateResources(resources: string[], field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (resources.length === 0) errs.push(required(field, ''));
  const wildcardSub = new Set<string>();
  const wildcardRes = new Set<string>();
  let doubleWildcard = false;
  let singleWildcard = false;
  let plain = false;
  resources.forEach((rs, i) => {
    if (rs === '') {
      errs.push(required(`${field}[${i}]`, ''));
      return;
    }
    if (rs === '*/*') doubleWildcard = true;
    if (rs === '*') singleWildcard = true;
    const slash = rs.indexOf('/');
    if (slash < 0) {
      plain = rs !== '*';
      return;
    }
    const res = rs.slice(0, slash);
    const sub = rs.slice(slash + 1);
    if (wildcardSub.has(res)) errs.push(invalid(`${field}[${i}]`, rs, `if '${res}/*' is present, must not specify ${rs}`));
    if (wildcardRes.has(sub)) errs.push(invalid(`${field}[${i}]`, rs, `if '*/${sub}' is present, must not specify ${rs}`));
    if (sub === '*') wildcardSub.add(res);
    if (res === '*') wildcardRes.add(sub);
  });
  if (resources.length > 1 && doubleWildcard) errs.push(invalid(field, resources, "if '*/*' is present, must not specify other resources"));
  if (singleWildcard && plain) errs.push(invalid(field, resources, "if '*' is present, must not specify other resources without subresources"));
  return errs;
}

function validateRuleWithOperations(rule: Json, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const ops = strings(rule.operations);
  if (ops.length === 0) errs.push(required(`${field}.operations`, ''));
  if (ops.length > 1 && hasWildcard(ops)) errs.push(invalid(`${field}.operations`, ops, "if '*' is present, must not specify other operations"));
  ops.forEach((o, i) => {
    if (!OPERATIONS.includes(o)) errs.push(notSupported(`${field}.operations[${i}]`, o, OPERATIONS));
  });
  const groups = strings(rule.apiGroups);
  if (!Array.isArray(rule.apiGroups) || groups.length === 0) errs.push(required(`${field}.apiGroups`, ''));
  if (groups.length > 1 && hasWildcard(groups)) errs.push(invalid(`${field}.apiGroups`, groups, "if '*' is present, must not specify other API groups"));
  const versions = strings(rule.apiVersions);
  if (versions.length === 0) errs.push(required(`${field}.apiVersions`, ''));
  if (versions.length > 1 && hasWildcard(versions)) errs.push(invalid(`${field}.apiVersions`, versions, "if '*' is present, must not specify other API versions"));
  versions.forEach((v, i) => {
    if (v === '') errs.push(required(`${field}.apiVersions[${i}]`, ''));
  });
  errs.push(...validateResources(strings(rule.resources), `${field}.resources`));
  if (present(rule.scope) && !SCOPES.includes(str(rule.scope))) errs.push(notSupported(`${field}.scope`, rule.scope, SCOPES));
  return errs;
}

/** Upstream's IsFullyQualifiedName: a DNS subdomain of at least three labels. */
function validateFullyQualifiedName(name: string, field: string): FieldError[] {
  if (!name) return [required(field, '')];
  const msgs = isDNS1123Subdomain(name);
  if (msgs.length) return [invalid(field, name, msgs.join(','))];
  if (name.split('.').length < 3) return [invalid(field, name, 'should be a domain with at least three segments separated by dots')];
  return [];
}

const URL_FORM = '; desired format: https://host[/path]';

/** Upstream's ValidateWebhookURL (forceHttps); CRD conversion webhooks use it too. */
export function validateWebhookURL(raw: string, field: string): FieldError[] {
  let u: URL;
  try {
    u = new URL(raw);
  } catch (err) {
    return [required(field, `url must be a valid URL: ${(err as Error).message}${URL_FORM}`)];
  }
  const errs: FieldError[] = [];
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'https') errs.push(invalid(field, scheme, `'https' is the only allowed URL scheme${URL_FORM}`));
  if (!u.host) errs.push(invalid(field, u.host, `host must be specified${URL_FORM}`));
  if (u.username || u.password) errs.push(invalid(field, u.password ? `${u.username}:${u.password}` : u.username, 'user information is not permitted in the URL'));
  if (u.hash) errs.push(invalid(field, u.hash.slice(1), 'fragments are not permitted in the URL'));
  if (u.search) errs.push(invalid(field, u.search.slice(1), 'query parameters are not permitted in the URL'));
  return errs;
}

/** Upstream's ValidateWebhookService; CRD conversion webhooks use it too. */
export function validateWebhookService(svc: Json, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(svc.name)) errs.push(required(`${field}.name`, 'service name is required'));
  if (!str(svc.namespace)) errs.push(required(`${field}.namespace`, 'service namespace is required'));
  const port = typeof svc.port === 'number' ? svc.port : 0;
  const portErrs = isValidPortNum(port);
  if (portErrs.length) errs.push(invalid(`${field}.port`, port, `port is not valid: ${portErrs.join(', ')}`));
  if (!present(svc.path)) return errs;
  const p = str(svc.path);
  if (p === '/' || p === '') return errs;
  if (p === '//') return [...errs, invalid(`${field}.path`, p, 'segment[0] may not be empty')];
  if (!p.startsWith('/')) errs.push(invalid(`${field}.path`, p, "must start with a '/'"));
  let check = p.slice(1);
  if (check.endsWith('/')) check = check.slice(0, -1);
  check.split('/').forEach((step, i) => {
    if (!step) errs.push(invalid(`${field}.path`, p, `segment[${i}] may not be empty`));
    else for (const m of isDNS1123Subdomain(step)) errs.push(invalid(`${field}.path`, p, `segment[${i}]: ${m}`));
  });
  return errs;
}

/** A CEL expression that does not parse is refused as upstream refuses it ("compilation failed: …"). */
function compiles(field: string, expr: string): FieldError[] {
  const err = celCompileError(expr);
  return err ? [invalid(field, expr, `compilation failed: ${err}`)] : [];
}

function validateMatchConditions(list: unknown, field: string): FieldError[] {
  const conds = records(list);
  const errs: FieldError[] = [];
  if (conds.length > 64) errs.push(tooMany(field, conds.length, 64));
  const names = new Set<string>();
  conds.forEach((c, i) => {
    const expr = str(c.expression).trim();
    if (!expr) errs.push(required(`${field}[${i}].expression`, ''));
    else errs.push(...compiles(`${field}[${i}].expression`, expr));
    const name = str(c.name);
    if (!name) errs.push(required(`${field}[${i}].name`, ''));
    else for (const m of isQualifiedName(name)) errs.push(invalid(`${field}[${i}].name`, name, m));
    if (name && names.has(name)) errs.push(duplicate(`${field}[${i}].name`, name));
    names.add(name);
  });
  return errs;
}

function validateReviewVersions(versions: string[], field: string): FieldError[] {
  if (versions.length === 0) return [required(field, `must specify one of ${REVIEW_VERSIONS.join(', ')}`)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    if (seen.has(v)) {
      errs.push(invalid(`${field}[${i}]`, v, 'duplicate version'));
      return;
    }
    seen.add(v);
    for (const m of isDNS1035Label(v)) errs.push(invalid(`${field}[${i}]`, v, m));
  });
  if (!versions.some((v) => REVIEW_VERSIONS.includes(v))) errs.push(invalid(field, versions, `must include at least one of ${REVIEW_VERSIONS.join(', ')}`));
  return errs;
}

function validateWebhook(hook: Json, mutating: boolean, field: string): FieldError[] {
  const errs = validateFullyQualifiedName(str(hook.name), `${field}.name`);
  records(hook.rules).forEach((r, i) => errs.push(...validateRuleWithOperations(r, `${field}.rules[${i}]`)));
  if (present(hook.failurePolicy) && !FAILURE_POLICIES.includes(str(hook.failurePolicy))) errs.push(notSupported(`${field}.failurePolicy`, hook.failurePolicy, FAILURE_POLICIES));
  if (present(hook.matchPolicy) && !MATCH_POLICIES.includes(str(hook.matchPolicy))) errs.push(notSupported(`${field}.matchPolicy`, hook.matchPolicy, MATCH_POLICIES));
  if (!present(hook.sideEffects)) errs.push(required(`${field}.sideEffects`, `must specify one of ${NO_SIDE_EFFECTS.join(', ')}`));
  else if (!NO_SIDE_EFFECTS.includes(str(hook.sideEffects))) errs.push(notSupported(`${field}.sideEffects`, hook.sideEffects, NO_SIDE_EFFECTS));
  const t = hook.timeoutSeconds;
  if (typeof t === 'number' && (t > 30 || t < 1)) errs.push(invalid(`${field}.timeoutSeconds`, t, 'the timeout value must be between 1 and 30 seconds'));
  if (present(hook.namespaceSelector)) errs.push(...validateLabelSelector(hook.namespaceSelector, `${field}.namespaceSelector`));
  if (present(hook.objectSelector)) errs.push(...validateLabelSelector(hook.objectSelector, `${field}.objectSelector`));
  if (mutating && present(hook.reinvocationPolicy) && !REINVOCATION_POLICIES.includes(str(hook.reinvocationPolicy))) {
    errs.push(notSupported(`${field}.reinvocationPolicy`, hook.reinvocationPolicy, REINVOCATION_POLICIES));
  }
  const cc = rec(hook.clientConfig) ?? {};
  if (present(cc.url) === present(cc.service)) errs.push(required(`${field}.clientConfig`, 'exactly one of url or service is required'));
  else if (present(cc.url)) errs.push(...validateWebhookURL(str(cc.url), `${field}.clientConfig.url`));
  else errs.push(...validateWebhookService(rec(cc.service) ?? {}, `${field}.clientConfig.service`));
  errs.push(...validateMatchConditions(hook.matchConditions, `${field}.matchConditions`));
  return errs;
}

function validateWebhookConfiguration(obj: KubeObject, mutating: boolean): FieldError[] {
  const errs = validateObjectMeta(obj, clusterMeta);
  const names = new Set<string>();
  records(obj['webhooks']).forEach((hook, i) => {
    const field = `webhooks[${i}]`;
    errs.push(...validateWebhook(hook, mutating, field));
    errs.push(...validateReviewVersions(strings(hook.admissionReviewVersions), `${field}.admissionReviewVersions`));
    const name = str(hook.name);
    if (name && names.has(name)) errs.push(duplicate(`${field}.name`, name));
    names.add(name);
  });
  return errs;
}

function webhookStrategy(mutating: boolean): Strategy {
  return {
    default(obj) {
      for (const hook of records(obj['webhooks'])) defaultWebhook(hook, mutating);
    },
    validate: (obj) => validateWebhookConfiguration(obj, mutating),
    validateUpdate: (obj, old) => validateObjectMetaUpdate(obj, old),
    // Upstream bumps generation when the webhooks change (these kinds have no spec).
    prepareForUpdate(obj, old) {
      if (!deepEqual(obj['webhooks'], old['webhooks'])) obj.metadata!.generation = (old.metadata?.generation ?? 1) + 1;
    },
    hasGeneration: true,
  };
}

function validateParamKind(pk: Json, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const apiVersion = str(pk.apiVersion);
  if (!apiVersion) errs.push(required(`${field}.apiVersion`, ''));
  else {
    const slashes = apiVersion.split('/').length - 1;
    if (slashes > 1) errs.push(invalid(`${field}.apiVersion`, apiVersion, `unexpected GroupVersion string: ${apiVersion}`));
    else {
      const [group, version] = slashes === 1 ? apiVersion.split('/') as [string, string] : ['', apiVersion];
      if (group) {
        const m = isDNS1123Subdomain(group);
        if (m.length) errs.push(invalid(`${field}.apiVersion`, group, m.join(',')));
      }
      if (!version) errs.push(invalid(`${field}.apiVersion`, apiVersion, 'version must be specified'));
      else {
        const m = isDNS1035Label(version);
        if (m.length) errs.push(invalid(`${field}.apiVersion`, version, m.join(',')));
      }
    }
  }
  const kind = str(pk.kind);
  if (!kind) errs.push(required(`${field}.kind`, ''));
  else {
    const m = isDNS1035Label(kind.toLowerCase());
    if (m.length) errs.push(invalid(`${field}.kind`, kind, `may have mixed case, but should otherwise match: ${m.join(',')}`));
  }
  return errs;
}

function validateNamedRule(rule: Json, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  strings(rule.resourceNames).forEach((n, i) => {
    for (const m of isValidPathSegmentName(n)) errs.push(invalid(`${field}.resourceNames[${i}]`, n, m));
    if (seen.has(n)) errs.push(duplicate(`${field}.resourceNames[${i}]`, n));
    seen.add(n);
  });
  return [...errs, ...validateRuleWithOperations(rule, field)];
}

function validateMatchResources(m: Json | undefined, field: string): FieldError[] {
  if (!m) return [];
  const errs: FieldError[] = [];
  if (!present(m.matchPolicy)) errs.push(required(`${field}.matchPolicy`, ''));
  else if (!MATCH_POLICIES.includes(str(m.matchPolicy))) errs.push(notSupported(`${field}.matchPolicy`, m.matchPolicy, MATCH_POLICIES));
  if (!present(m.namespaceSelector)) errs.push(required(`${field}.namespaceSelector`, ''));
  else errs.push(...validateLabelSelector(m.namespaceSelector, `${field}.namespaceSelector`));
  // Upstream names the object selector's path "labelSelector".
  if (!present(m.objectSelector)) errs.push(required(`${field}.labelSelector`, ''));
  else errs.push(...validateLabelSelector(m.objectSelector, `${field}.labelSelector`));
  records(m.resourceRules).forEach((r, i) => errs.push(...validateNamedRule(r, `${field}.resourceRules[${i}]`)));
  records(m.excludeResourceRules).forEach((r, i) => errs.push(...validateNamedRule(r, `${field}.excludeResourceRules[${i}]`)));
  return errs;
}

function validatePolicy(obj: KubeObject): FieldError[] {
  const errs = validateObjectMeta(obj, clusterMeta);
  const spec = rec(obj['spec']) ?? {};
  if (!present(spec.failurePolicy)) errs.push(required('spec.failurePolicy', ''));
  else if (!FAILURE_POLICIES.includes(str(spec.failurePolicy))) errs.push(notSupported('spec.failurePolicy', spec.failurePolicy, FAILURE_POLICIES));
  const paramKind = rec(spec.paramKind);
  if (paramKind) errs.push(...validateParamKind(paramKind, 'spec.paramKind'));
  const mc = rec(spec.matchConstraints);
  if (!mc) errs.push(required('spec.matchConstraints', ''));
  else {
    errs.push(...validateMatchResources(mc, 'spec.matchConstraints'));
    if (records(mc.resourceRules).length === 0) errs.push(required('spec.matchConstraints.resourceRules', ''));
  }
  errs.push(...validateMatchConditions(spec.matchConditions, 'spec.matchConditions'));
  const validations = records(spec.validations);
  const audits = records(spec.auditAnnotations);
  if (validations.length === 0 && audits.length === 0) {
    errs.push(required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
    errs.push(required('spec.auditAnnotations', 'validations or auditAnnotations must contain at least one item'));
  }
  validations.forEach((v, i) => {
    const f = `spec.validations[${i}]`;
    const expr = str(v.expression).trim();
    if (!expr) errs.push(required(`${f}.expression`, 'expression is not specified'));
    else errs.push(...compiles(`${f}.expression`, str(v.expression)));
    const me = str(v.messageExpression);
    if (me.length > 0 && !me.trim()) errs.push(invalid(`${f}.messageExpression`, me, 'must be non-empty if specified'));
    else if (me.trim()) errs.push(...compiles(`${f}.messageExpression`, me));
    const msg = str(v.message);
    if (msg.length > 0 && !msg.trim()) errs.push(invalid(`${f}.message`, msg, 'message must be non-empty if specified'));
    else if (/[\n\r]/.test(msg.trim())) errs.push(invalid(`${f}.message`, msg, 'message must not contain line breaks'));
    if (present(v.reason) && !POLICY_REASONS.includes(str(v.reason))) errs.push(notSupported(`${f}.reason`, v.reason, POLICY_REASONS));
  });
  if (audits.length > 20) errs.push(invalid('spec.auditAnnotations', audits, 'must not have more than 20 auditAnnotations'));
  const keys = new Set<string>();
  audits.forEach((a, i) => {
    const f = `spec.auditAnnotations[${i}]`;
    const key = str(a.key);
    const name = obj.metadata?.name ?? '';
    if (name) for (const m of isQualifiedName(`${name}/${key}`)) errs.push(invalid(`${f}.key`, `${name}/${key}`, m));
    else errs.push(invalid(`${f}.key`, key, 'requires metadata.name be non-empty'));
    const ve = str(a.valueExpression).trim();
    if (!ve) errs.push(required(`${f}.valueExpression`, 'valueExpression is not specified'));
    else if (ve.length > 5 * 1024) errs.push(required(`${f}.valueExpression`, `must not exceed ${5 * 1024} bytes in length`));
    else errs.push(...compiles(`${f}.valueExpression`, str(a.valueExpression)));
    if (keys.has(key)) errs.push(duplicate(`${f}.key`, key));
    keys.add(key);
  });
  return errs;
}

function validateParamRef(pr: Json | undefined, field: string): FieldError[] {
  if (!pr) return [];
  const errs: FieldError[] = [];
  const name = str(pr.name);
  const hasSelector = present(pr.selector);
  if (name) {
    for (const m of isValidPathSegmentName(name)) errs.push(invalid(`${field}.name`, name, m));
    if (hasSelector) errs.push(forbidden(`${field}.name`, 'name and selector are mutually exclusive'));
  }
  const ns = str(pr.namespace);
  if (ns) for (const m of isDNS1123Label(ns)) errs.push(invalid(`${field}.namespace`, ns, m));
  if (hasSelector) {
    errs.push(...validateLabelSelector(pr.selector, `${field}.selector`));
    if (name) errs.push(forbidden(`${field}.selector`, 'name and selector are mutually exclusive'));
  }
  if (!name && !hasSelector) errs.push(required(field, 'one of name or selector must be specified'));
  const action = str(pr.parameterNotFoundAction);
  if (!action) errs.push(required(`${field}.parameterNotFoundAction`, ''));
  else if (action !== 'Deny' && action !== 'Allow') errs.push(notSupported(`${field}.parameterNotFoundAction`, action, ['Deny', 'Allow']));
  return errs;
}

function validateBinding(obj: KubeObject): FieldError[] {
  const errs = validateObjectMeta(obj, clusterMeta);
  const spec = rec(obj['spec']) ?? {};
  const policy = str(spec.policyName);
  if (!policy) errs.push(required('spec.policyName', ''));
  else for (const m of nameIsDNSSubdomain(policy, false)) errs.push(invalid('spec.policyName', policy, m));
  errs.push(...validateParamRef(rec(spec.paramRef), 'spec.paramRef'));
  // Upstream's path is spelled "matchResouces".
  errs.push(...validateMatchResources(rec(spec.matchResources), 'spec.matchResouces'));
  const actions = strings(spec.validationActions);
  const seen = new Set<string>();
  actions.forEach((a, i) => {
    if (!VALIDATION_ACTIONS.includes(a)) errs.push(notSupported(`spec.validationActions[${i}]`, a, VALIDATION_ACTIONS));
    if (seen.has(a)) errs.push(duplicate(`spec.validationActions[${i}]`, a));
    seen.add(a);
  });
  if (seen.has('Deny') && seen.has('Warn')) {
    errs.push(invalid('spec.validationActions', actions, 'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)'));
  }
  if (seen.size === 0) errs.push(required('spec.validationActions', 'at least one validation action is required'));
  return errs;
}

export const mutatingWebhookStrategy = webhookStrategy(true);
export const validatingWebhookStrategy = webhookStrategy(false);

export const policyStrategy: Strategy = {
  default(obj) {
    const spec = ensure(obj, 'spec');
    setDefault(spec, 'failurePolicy', 'Fail');
    defaultMatchResources(rec(spec.matchConstraints));
  },
  validate: validatePolicy,
  validateUpdate: (obj, old) => validateObjectMetaUpdate(obj, old),
  hasStatus: true,
  hasGeneration: true,
};

export const policyBindingStrategy: Strategy = {
  default(obj) {
    const spec = ensure(obj, 'spec');
    defaultMatchResources(rec(spec.matchResources));
    const pr = rec(spec.paramRef);
    if (pr) setDefault(pr, 'parameterNotFoundAction', 'Deny');
  },
  validate: validateBinding,
  validateUpdate: (obj, old) => validateObjectMetaUpdate(obj, old),
  hasGeneration: true,
};

const webhookColumns: TableColumn[] = [
  column('Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration', (o) => records(o['webhooks']).length),
  ageColumn,
];

export const policyColumns: TableColumn[] = [
  column('Validations', 'integer', 'Validations indicates the number of validation rules defined in this configuration', (o) =>
    records(path(o, 'spec', 'validations')).length),
  column('ParamKind', 'string', 'ParamKind specifies the kind of resources used to parameterize this policy', (o) => {
    const pk = rec(path(o, 'spec', 'paramKind'));
    return pk ? `${str(pk.apiVersion)}/${str(pk.kind)}` : '<unset>';
  }),
  ageColumn,
];

export const policyBindingColumns: TableColumn[] = [
  column('PolicyName', 'string', 'PolicyName indicates the policy definition which the policy binding binded to', (o) => str(path(o, 'spec', 'policyName'))),
  column('ParamRef', 'string', 'ParamRef indicates the param resource which sets the configration param', (o) => {
    const pr = rec(path(o, 'spec', 'paramRef'));
    if (!pr) return '<unset>';
    // Without a namespace the parameter may be cluster-scoped or in the request's namespace: upstream prints "*".
    if (str(pr.name)) return `${str(pr.namespace) || '*'}/${str(pr.name)}`;
    if (pr.selector !== undefined && pr.selector !== null) return selectorString(rec(pr.selector) as LabelSelector | undefined) || '<none>';
    return '<unset>';
  }),
  ageColumn,
];

// Upstream lists these (with CRDs and APIServices) in the api-extensions category.
const cluster = { group: GROUP, version: 'v1', shortNames: [] as string[], categories: ['api-extensions'], namespaced: false, verbs: ALL_VERBS };

export const mutatingwebhookconfigurations: ResourceType = {
  ...cluster,
  kind: 'MutatingWebhookConfiguration', listKind: 'MutatingWebhookConfigurationList', plural: 'mutatingwebhookconfigurations',
  singular: 'mutatingwebhookconfiguration', subresources: [], strategy: mutatingWebhookStrategy, columns: webhookColumns,
  definition: 'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration',
};

export const validatingwebhookconfigurations: ResourceType = {
  ...cluster,
  kind: 'ValidatingWebhookConfiguration', listKind: 'ValidatingWebhookConfigurationList', plural: 'validatingwebhookconfigurations',
  singular: 'validatingwebhookconfiguration', subresources: [], strategy: validatingWebhookStrategy, columns: webhookColumns,
  definition: 'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration',
};

export const validatingadmissionpolicies: ResourceType = {
  ...cluster,
  kind: 'ValidatingAdmissionPolicy', listKind: 'ValidatingAdmissionPolicyList', plural: 'validatingadmissionpolicies',
  singular: 'validatingadmissionpolicy', subresources: ['status'], strategy: policyStrategy, columns: policyColumns,
  definition: 'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicy',
};

export const validatingadmissionpolicybindings: ResourceType = {
  ...cluster,
  kind: 'ValidatingAdmissionPolicyBinding', listKind: 'ValidatingAdmissionPolicyBindingList',
  plural: 'validatingadmissionpolicybindings', singular: 'validatingadmissionpolicybinding', subresources: [],
  strategy: policyBindingStrategy, columns: policyBindingColumns,
  definition: 'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBinding',
};
