/**
 * flowcontrol.apiserver.k8s.io/v1 FlowSchema and PriorityLevelConfiguration (API Priority and Fairness): stored
 * with upstream's v1 defaults (matchingPrecedence 1000; nominalConcurrencyShares 30, queues 64, handSize 8,
 * queueLengthLimit 50 for a limited level), validation (precedence 1..10000 and 1 only for `exempt`, rule and
 * subject shapes, the Exempt type only for `exempt`, queuing within shuffle sharding's 60 bits of entropy),
 * status subresources and `kubectl get`'s columns. The bootstrap configuration (the mandatory `exempt` and
 * `catch-all` objects and the suggested ones) is defined here; control/flowcontrol-bootstrap.ts writes it.
 *
 * The server enforces them (../flowcontrol/, hooked in by ../limits/): requests are classified by these objects
 * into priority levels whose seats are shares of --max-requests-inflight + --max-mutating-requests-inflight.
 */
import type { FieldError, KubeObject, ResourceType, Strategy, TableColumn } from '../resource.js';
import { forbidden, invalid, notSupported, required } from '../validation/errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/meta.js';
import { isDNS1123Label, isDNS1123Subdomain, nameIsDNSSubdomain } from '../validation/names.js';
import { ageColumn, column, path } from './printers/columns.js';
import { ensure, rec, records, setDefault, str, type Json } from './strategies/json.js';
import { ALL_VERBS } from './verbs.js';

export const FLOWCONTROL_GROUP = 'flowcontrol.apiserver.k8s.io';
const API_VERSION = `${FLOWCONTROL_GROUP}/v1`;
export const AUTO_UPDATE_ANNOTATION = 'apf.kubernetes.io/autoupdate-spec';
export const EXEMPT = 'exempt';
export const CATCH_ALL = 'catch-all';
const MAX_MATCHING_PRECEDENCE = 10_000;
const MAX_QUEUES = 10_000_000;
const MAX_HASH_BITS = 60;
const DISTINGUISHER_METHODS = ['ByNamespace', 'ByUser'];
const SUBJECT_KINDS = ['Group', 'ServiceAccount', 'User'];
const PL_TYPES = ['Exempt', 'Limited'];
const LIMIT_RESPONSE_TYPES = ['Queue', 'Reject'];
const RULE_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'proxy', 'update', 'watch'];

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

// ---- defaults (upstream's v1 SetDefaults_*) ----

function defaultFlowSchema(obj: KubeObject): void {
  const spec = ensure(obj, 'spec');
  if (!num(spec.matchingPrecedence)) spec.matchingPrecedence = 1000;
}

function defaultPriorityLevel(obj: KubeObject): void {
  const spec = ensure(obj, 'spec');
  const exempt = rec(spec.exempt);
  if (exempt) {
    setDefault(exempt, 'nominalConcurrencyShares', 0);
    setDefault(exempt, 'lendablePercent', 0);
  }
  const limited = rec(spec.limited);
  if (limited) {
    setDefault(limited, 'nominalConcurrencyShares', 30);
    setDefault(limited, 'lendablePercent', 0);
    const queuing = rec(rec(limited.limitResponse)?.queuing);
    if (queuing) {
      if (!num(queuing.handSize)) queuing.handSize = 8;
      if (!num(queuing.queues)) queuing.queues = 64;
      if (!num(queuing.queueLengthLimit)) queuing.queueLengthLimit = 50;
    }
  }
}

// ---- validation (upstream's pkg/apis/flowcontrol/validation) ----

const wildcardAlone = (field: string, values: string[], what: string): FieldError[] =>
  values.length > 1 && values.includes('*') ? [invalid(field, values, `if '*' is present, must not specify other ${what}`)] : [];

function validateSubject(s: Json, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const kind = str(s.kind);
  const notMine = (field: 'user' | 'group' | 'serviceAccount', label: string) =>
    (s[field] !== undefined && s[field] !== null ? [forbidden(`${at}.${field}`, `${field} is forbidden when subject kind is not '${label}'`)] : []);
  switch (kind) {
    case 'User': {
      const u = rec(s.user);
      if (!u) errs.push(required(`${at}.user`, "user is required when subject kind is 'User'"));
      else if (!str(u.name)) errs.push(required(`${at}.user.name`, 'username is required'));
      errs.push(...notMine('group', 'Group'), ...notMine('serviceAccount', 'ServiceAccount'));
      break;
    }
    case 'Group': {
      const g = rec(s.group);
      if (!g) errs.push(required(`${at}.group`, "group is required when subject kind is 'Group'"));
      else if (!str(g.name)) errs.push(required(`${at}.group.name`, 'group name is required'));
      errs.push(...notMine('user', 'User'), ...notMine('serviceAccount', 'ServiceAccount'));
      break;
    }
    case 'ServiceAccount': {
      const sa = rec(s.serviceAccount);
      if (!sa) errs.push(required(`${at}.serviceAccount`, "serviceAccount is required when subject kind is 'ServiceAccount'"));
      else {
        const name = str(sa.name);
        if (!name) errs.push(required(`${at}.serviceAccount.name`));
        else if (name !== '*') for (const m of isDNS1123Subdomain(name)) errs.push(invalid(`${at}.serviceAccount.name`, name, m));
        const ns = str(sa.namespace);
        if (!ns) errs.push(required(`${at}.serviceAccount.namespace`, 'must specify namespace for service account'));
        else for (const m of isDNS1123Label(ns)) errs.push(invalid(`${at}.serviceAccount.namespace`, ns, m));
      }
      errs.push(...notMine('user', 'User'), ...notMine('group', 'Group'));
      break;
    }
    default:
      errs.push(notSupported(`${at}.kind`, s.kind, SUBJECT_KINDS));
  }
  return errs;
}

function validateVerbs(field: string, verbs: string[], allowed: readonly string[] | null): FieldError[] {
  if (verbs.length === 0) return [required(field, 'verbs must contain at least one value')];
  const errs = wildcardAlone(field, verbs, 'verbs');
  if (allowed && !verbs.includes('*')) for (const v of verbs) if (!allowed.includes(v)) errs.push(notSupported(field, v, allowed));
  return errs;
}

function validateResourceRule(r: Json, at: string): FieldError[] {
  const errs = validateVerbs(`${at}.verbs`, strings(r.verbs), RULE_VERBS);
  const groups = strings(r.apiGroups);
  if (groups.length === 0) errs.push(required(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
  else errs.push(...wildcardAlone(`${at}.apiGroups`, groups, 'api groups'));
  const resources = strings(r.resources);
  if (resources.length === 0) errs.push(required(`${at}.resources`, 'resource rules must supply at least one resource'));
  else errs.push(...wildcardAlone(`${at}.resources`, resources, 'resources'));
  const namespaces = strings(r.namespaces);
  if (namespaces.length === 0 && r.clusterScope !== true) {
    errs.push(required(`${at}.namespaces`, 'resource rules that are not cluster scoped must supply at least one namespace'));
  } else if (namespaces.includes('*')) {
    errs.push(...wildcardAlone(`${at}.namespaces`, namespaces, 'namespaces'));
  } else {
    namespaces.forEach((ns, i) => {
      for (const m of isDNS1123Label(ns)) errs.push(invalid(`${at}.namespaces[${i}]`, ns, `each member of this list must be '*' or a DNS-1123 label; ${m}`));
    });
  }
  return errs;
}

function validateNonResourceURL(url: string): string | null {
  if (url === '') return 'must not be empty';
  if (url === '/' || url === '*') return null;
  if (!url.startsWith('/')) return 'must start with slash';
  if (url.includes('//')) return 'must not contain double slash';
  const star = url.indexOf('*');
  if (star >= 0 && (star !== url.length - 1 || !url.endsWith('/*'))) return 'wildcard can only do suffix glob matching';
  return null;
}

function validateNonResourceRule(r: Json, at: string): FieldError[] {
  const errs = validateVerbs(`${at}.verbs`, strings(r.verbs), null);
  const urls = strings(r.nonResourceURLs);
  if (urls.length === 0) errs.push(required(`${at}.nonResourceURLs`, 'nonResourceURLs must contain at least one value'));
  else {
    errs.push(...wildcardAlone(`${at}.nonResourceURLs`, urls, 'non-resource URLs'));
    urls.forEach((u, i) => {
      const why = validateNonResourceURL(u);
      if (why) errs.push(invalid(`${at}.nonResourceURLs[${i}]`, u, why));
    });
  }
  return errs;
}

function validateFlowSchemaSpec(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = obj.metadata?.name ?? '';
  const spec = rec(obj.spec) ?? {};
  const precedence = num(spec.matchingPrecedence) ?? 0;
  if (precedence <= 0) errs.push(invalid('spec.matchingPrecedence', precedence, 'must be a positive value'));
  if (precedence > MAX_MATCHING_PRECEDENCE) errs.push(invalid('spec.matchingPrecedence', precedence, `must not be greater than ${MAX_MATCHING_PRECEDENCE}`));
  if (precedence === 1 && name !== EXEMPT) errs.push(invalid('spec.matchingPrecedence', precedence, "only the schema named 'exempt' may have matchingPrecedence 1"));
  const dm = rec(spec.distinguisherMethod);
  if (dm && !DISTINGUISHER_METHODS.includes(str(dm.type))) errs.push(notSupported('spec.distinguisherMethod.type', dm.type, DISTINGUISHER_METHODS));
  const pl = str(rec(spec.priorityLevelConfiguration)?.name);
  if (!pl) errs.push(required('spec.priorityLevelConfiguration.name', 'must reference a priority level'));
  else for (const m of isDNS1123Subdomain(pl)) errs.push(invalid('spec.priorityLevelConfiguration.name', pl, m));
  records(spec.rules).forEach((rule, i) => {
    const at = `spec.rules[${i}]`;
    const subjects = records(rule.subjects);
    if (subjects.length === 0) errs.push(required(`${at}.subjects`, 'subjects must contain at least one value'));
    subjects.forEach((s, j) => errs.push(...validateSubject(s, `${at}.subjects[${j}]`)));
    const rr = records(rule.resourceRules);
    const nr = records(rule.nonResourceRules);
    if (rr.length === 0 && nr.length === 0) errs.push(required(at, 'at least one of resourceRules and nonResourceRules has to be non-empty'));
    rr.forEach((r, j) => errs.push(...validateResourceRule(r, `${at}.resourceRules[${j}]`)));
    nr.forEach((r, j) => errs.push(...validateNonResourceRule(r, `${at}.nonResourceRules[${j}]`)));
  });
  return errs;
}

function validateQueuing(q: Json, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const limit = num(q.queueLengthLimit) ?? 0;
  if (limit <= 0) errs.push(invalid(`${at}.queueLengthLimit`, limit, 'must be positive'));
  const queues = num(q.queues) ?? 0;
  if (queues <= 0) errs.push(invalid(`${at}.queues`, queues, 'must be positive'));
  else if (queues > MAX_QUEUES) errs.push(invalid(`${at}.queues`, queues, `must not be greater than ${MAX_QUEUES}`));
  const hand = num(q.handSize) ?? 0;
  if (hand <= 0) errs.push(invalid(`${at}.handSize`, hand, 'must be positive'));
  else if (queues > 0 && hand > queues) errs.push(invalid(`${at}.handSize`, hand, `should not be greater than queues (${queues})`));
  else if (queues > 0 && Math.ceil(hand * Math.log2(queues)) > MAX_HASH_BITS) {
    errs.push(invalid(`${at}.handSize`, hand, `required entropy bits of deckSize ${queues} and handSize ${hand} should not be greater than ${MAX_HASH_BITS}`));
  }
  return errs;
}

function validateShares(c: Json, at: string): FieldError[] {
  const errs: FieldError[] = [];
  const ncs = num(c.nominalConcurrencyShares);
  if (ncs !== undefined && ncs < 0) errs.push(invalid(`${at}.nominalConcurrencyShares`, ncs, 'must be a non-negative integer'));
  const lendable = num(c.lendablePercent);
  if (lendable !== undefined && (lendable < 0 || lendable > 100)) errs.push(invalid(`${at}.lendablePercent`, lendable, 'must be between 0 and 100, inclusive'));
  return errs;
}

function validatePriorityLevelSpec(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = obj.metadata?.name ?? '';
  const spec = rec(obj.spec) ?? {};
  const type = str(spec.type);
  if ((name === EXEMPT) !== (type === 'Exempt')) errs.push(invalid('spec.type', spec.type ?? '', "type must be 'Exempt' if and only if name is 'exempt'"));
  const present = (k: string) => spec[k] !== undefined && spec[k] !== null;
  switch (type) {
    case 'Exempt':
      if (present('limited')) errs.push(forbidden('spec.limited', 'must be nil if the type is not Limited'));
      if (rec(spec.exempt)) errs.push(...validateShares(rec(spec.exempt)!, 'spec.exempt'));
      break;
    case 'Limited': {
      if (present('exempt')) errs.push(forbidden('spec.exempt', 'must be nil if the type is Limited'));
      const limited = rec(spec.limited);
      if (!limited) {
        errs.push(required('spec.limited', 'must not be empty when type is Limited'));
        break;
      }
      errs.push(...validateShares(limited, 'spec.limited'));
      const borrowing = num(limited.borrowingLimitPercent);
      if (borrowing !== undefined && borrowing < 0) errs.push(invalid('spec.limited.borrowingLimitPercent', borrowing, 'if specified, must be a non-negative integer'));
      const lr = rec(limited.limitResponse) ?? {};
      const lrType = str(lr.type);
      if (lrType === 'Reject') {
        if (lr.queuing !== undefined && lr.queuing !== null) errs.push(forbidden('spec.limited.limitResponse.queuing', 'must be nil if limited.limitResponse.type is not Limited'));
      } else if (lrType === 'Queue') {
        const q = rec(lr.queuing);
        if (!q) errs.push(required('spec.limited.limitResponse.queuing', 'must not be empty if limited.limitResponse.type is Limited'));
        else errs.push(...validateQueuing(q, 'spec.limited.limitResponse.queuing'));
      } else {
        errs.push(notSupported('spec.limited.limitResponse.type', lr.type ?? '', LIMIT_RESPONSE_TYPES));
      }
      break;
    }
    default:
      errs.push(notSupported('spec.type', spec.type ?? '', PL_TYPES));
  }
  return errs;
}

const CONDITION_STATUSES = ['True', 'False', 'Unknown'];

function validateConditions(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  records(rec(obj.status)?.conditions).forEach((c, i) => {
    if (!str(c.type)) errs.push(required(`status.conditions[${i}].type`, 'must not be empty'));
    if (c.status !== undefined && !CONDITION_STATUSES.includes(str(c.status))) errs.push(notSupported(`status.conditions[${i}].status`, c.status, CONDITION_STATUSES));
  });
  return errs;
}

const meta = (obj: KubeObject) => validateObjectMeta(obj, { namespaced: false, name: nameIsDNSSubdomain });

export const flowSchemaStrategy: Strategy = {
  default: defaultFlowSchema,
  validate: (obj) => [...meta(obj), ...validateFlowSchemaSpec(obj)],
  validateUpdate: (obj, old, sub) => [...validateObjectMetaUpdate(obj, old), ...(sub === 'status' ? validateConditions(obj) : validateFlowSchemaSpec(obj))],
  hasGeneration: true,
  hasStatus: true,
};

export const priorityLevelStrategy: Strategy = {
  default: defaultPriorityLevel,
  validate: (obj) => [...meta(obj), ...validatePriorityLevelSpec(obj)],
  validateUpdate: (obj, old, sub) => [...validateObjectMetaUpdate(obj, old), ...(sub === 'status' ? validateConditions(obj) : validatePriorityLevelSpec(obj))],
  hasGeneration: true,
  hasStatus: true,
};

// ---- Table columns (upstream's printers.go: declared string, the numbers' cells are numbers) ----

const NONE = '<none>';

export const flowSchemaColumns: TableColumn[] = [
  column('PriorityLevel', 'string', '`name` is the name of the priority level configuration being referenced Required.',
    (o) => str(path(o, 'spec', 'priorityLevelConfiguration', 'name'))),
  column('MatchingPrecedence', 'string', '`matchingPrecedence` is used to choose among the FlowSchemas that match a given request.',
    (o) => num(path(o, 'spec', 'matchingPrecedence')) ?? 0),
  column('DistinguisherMethod', 'string', '`distinguisherMethod` defines how to compute the flow distinguisher for requests that match this schema.',
    (o) => str(path(o, 'spec', 'distinguisherMethod', 'type')) || NONE),
  ageColumn,
  column('MissingPL', 'string', 'references a broken or non-existent PriorityLevelConfiguration', (o) => {
    const dangling = records(path(o, 'status', 'conditions')).find((c) => c.type === 'Dangling');
    return dangling ? str(dangling.status) : '?';
  }),
];

export const priorityLevelColumns: TableColumn[] = [
  column('Type', 'string', '`type` indicates whether this priority level is subject to limitation on request execution.', (o) => str(path(o, 'spec', 'type'))),
  column('NominalConcurrencyShares', 'string', '`nominalConcurrencyShares` (NCS) contributes to the computation of the NominalConcurrencyLimit (NominalCL) of this level.', (o) => {
    const v = num(path(o, 'spec', 'limited', 'nominalConcurrencyShares'));
    return v === undefined ? NONE : v;
  }),
  ...(['Queues', 'HandSize', 'QueueLengthLimit'] as const).map((name) =>
    column(name, 'string', `\`${name[0]!.toLowerCase()}${name.slice(1)}\` of the level's queuing configuration.`, (o) => {
      const v = num(path(o, 'spec', 'limited', 'limitResponse', 'queuing', `${name[0]!.toLowerCase()}${name.slice(1)}`));
      return v === undefined ? NONE : v;
    })),
  ageColumn,
];

export const flowschemas: ResourceType = {
  group: FLOWCONTROL_GROUP, version: 'v1', kind: 'FlowSchema', listKind: 'FlowSchemaList', plural: 'flowschemas', singular: 'flowschema',
  shortNames: [], categories: [], namespaced: false, verbs: ALL_VERBS, subresources: ['status'],
  strategy: flowSchemaStrategy, columns: flowSchemaColumns, definition: 'io.k8s.api.flowcontrol.v1.FlowSchema',
};

export const prioritylevelconfigurations: ResourceType = {
  group: FLOWCONTROL_GROUP, version: 'v1', kind: 'PriorityLevelConfiguration', listKind: 'PriorityLevelConfigurationList',
  plural: 'prioritylevelconfigurations', singular: 'prioritylevelconfiguration', shortNames: [], categories: [], namespaced: false,
  verbs: ALL_VERBS, subresources: ['status'], strategy: priorityLevelStrategy, columns: priorityLevelColumns,
  definition: 'io.k8s.api.flowcontrol.v1.PriorityLevelConfiguration',
};

// ---- the bootstrap configuration (upstream's apis/flowcontrol/bootstrap, v1) ----

type Subject = Json;
const group = (name: string): Subject => ({ kind: 'Group', group: { name } });
const user = (name: string): Subject => ({ kind: 'User', user: { name } });
const kubeSystemSA = (name: string): Subject => ({ kind: 'ServiceAccount', serviceAccount: { name, namespace: 'kube-system' } });
const ALL_RESOURCES = { verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] };
const ALL_NON_RESOURCES = { verbs: ['*'], nonResourceURLs: ['*'] };
const everything = (subjects: Subject[]) => ({ subjects, resourceRules: [ALL_RESOURCES], nonResourceRules: [ALL_NON_RESOURCES] });
const rule = (verbs: string[], apiGroups: string[], resources: string[], namespaces: string[], clusterScope: boolean) =>
  ({ verbs, apiGroups, resources, clusterScope, namespaces });

function flowSchema(name: string, pl: string, matchingPrecedence: number, distinguisher: string, rules: Json[]): KubeObject {
  return {
    apiVersion: API_VERSION, kind: 'FlowSchema',
    metadata: { name, annotations: { [AUTO_UPDATE_ANNOTATION]: 'true' } },
    spec: { priorityLevelConfiguration: { name: pl }, matchingPrecedence, ...(distinguisher ? { distinguisherMethod: { type: distinguisher } } : {}), rules },
  };
}

function limitedLevel(name: string, nominalConcurrencyShares: number, lendablePercent: number, queuing: [number, number, number] | null): KubeObject {
  return {
    apiVersion: API_VERSION, kind: 'PriorityLevelConfiguration',
    metadata: { name, annotations: { [AUTO_UPDATE_ANNOTATION]: 'true' } },
    spec: {
      type: 'Limited',
      limited: {
        nominalConcurrencyShares, lendablePercent,
        limitResponse: queuing ? { type: 'Queue', queuing: { queues: queuing[0], handSize: queuing[1], queueLengthLimit: queuing[2] } } : { type: 'Reject' },
      },
    },
  };
}

const AUTHENTICATED_OR_NOT = [group('system:unauthenticated'), group('system:authenticated')];

/** The objects every server keeps (their spec is restored when changed; `exempt`'s spec.exempt may be tuned). */
export function mandatoryFlowControlObjects(): { priorityLevels: KubeObject[]; flowSchemas: KubeObject[] } {
  return {
    priorityLevels: [
      { apiVersion: API_VERSION, kind: 'PriorityLevelConfiguration', metadata: { name: EXEMPT, annotations: { [AUTO_UPDATE_ANNOTATION]: 'true' } }, spec: { type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } } },
      limitedLevel(CATCH_ALL, 5, 0, null),
    ],
    flowSchemas: [
      flowSchema(EXEMPT, EXEMPT, 1, '', [everything([group('system:masters')])]),
      flowSchema(CATCH_ALL, CATCH_ALL, 10_000, 'ByUser', [everything(AUTHENTICATED_OR_NOT)]),
    ],
  };
}

/** The suggested configuration (created when missing; kept up to date while annotated autoupdate-spec: "true"). */
export function suggestedFlowControlObjects(): { priorityLevels: KubeObject[]; flowSchemas: KubeObject[] } {
  const leases = rule(['get', 'create', 'update'], ['coordination.k8s.io'], ['leases'], ['*'], false);
  return {
    priorityLevels: [
      limitedLevel('system', 30, 33, [64, 6, 50]),
      limitedLevel('node-high', 40, 25, [64, 6, 50]),
      limitedLevel('leader-election', 10, 0, [16, 4, 50]),
      limitedLevel('workload-high', 40, 50, [128, 6, 50]),
      limitedLevel('workload-low', 100, 90, [128, 6, 50]),
      limitedLevel('global-default', 20, 50, [128, 6, 50]),
    ],
    flowSchemas: [
      flowSchema('system-nodes', 'system', 500, 'ByUser', [everything([group('system:nodes')])]),
      flowSchema('system-node-high', 'node-high', 400, 'ByUser', [{
        subjects: [group('system:nodes')],
        resourceRules: [rule(['*'], [''], ['nodes', 'nodes/status'], ['*'], true), rule(['*'], ['coordination.k8s.io'], ['leases'], ['*'], false)],
      }]),
      flowSchema('probes', EXEMPT, 2, '', [{ subjects: AUTHENTICATED_OR_NOT, nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/readyz', '/livez'] }] }]),
      flowSchema('system-leader-election', 'leader-election', 100, 'ByUser', [{
        subjects: [user('system:kube-controller-manager'), user('system:kube-scheduler'), kubeSystemSA('*')],
        resourceRules: [rule(['get', 'create', 'update'], [''], ['endpoints', 'configmaps'], ['kube-system'], false), leases],
      }]),
      flowSchema('workload-leader-election', 'leader-election', 200, 'ByUser', [{
        subjects: [kubeSystemSA('*')],
        resourceRules: [rule(['get', 'create', 'update'], [''], ['endpoints', 'configmaps'], ['*'], false), leases],
      }]),
      flowSchema('endpoint-controller', 'workload-high', 150, 'ByUser', [{
        subjects: [user('system:kube-controller-manager'), kubeSystemSA('endpoint-controller'), kubeSystemSA('endpointslicemirroring-controller')],
        resourceRules: [rule(['get', 'create', 'update'], [''], ['endpoints'], ['*'], false)],
      }]),
      flowSchema('kube-controller-manager', 'workload-high', 800, 'ByNamespace', [everything([user('system:kube-controller-manager')])]),
      flowSchema('kube-scheduler', 'workload-high', 800, 'ByNamespace', [everything([user('system:kube-scheduler')])]),
      flowSchema('kube-system-service-accounts', 'workload-high', 900, 'ByNamespace', [everything([kubeSystemSA('*')])]),
      flowSchema('service-accounts', 'workload-low', 9000, 'ByUser', [everything([group('system:serviceaccounts')])]),
      flowSchema('global-default', 'global-default', 9900, 'ByUser', [everything(AUTHENTICATED_OR_NOT)]),
    ],
  };
}

/**
 * What the bootstrap does with one configuration object (upstream's ensurer): create it when missing; replace
 * the spec of a mandatory one that differs, and of a suggested one whose autoupdate-spec annotation is "true" (or,
 * without the annotation, one never changed since it was made: generation 1); otherwise leave it. The mandatory
 * `exempt` level keeps its spec.exempt, which administrators may tune. Returns the object to write, or null.
 */
export function flowControlEnsureAction(wanted: KubeObject, current: KubeObject | null, mandatory: boolean): { create: boolean; object: KubeObject } | null {
  if (!current) return { create: true, object: wanted };
  let spec = wanted.spec as Json;
  if (mandatory && wanted.kind === 'PriorityLevelConfiguration' && wanted.metadata?.name === EXEMPT) {
    const tuned = rec(rec(current.spec)?.exempt);
    if (tuned) spec = { ...spec, exempt: tuned };
  }
  const annotation = current.metadata?.annotations?.[AUTO_UPDATE_ANNOTATION];
  const autoUpdate = mandatory || (annotation !== undefined ? annotation === 'true' : current.metadata?.generation === 1);
  if (!autoUpdate) return null;
  const same = JSON.stringify(sorted(current.spec)) === JSON.stringify(sorted(withDefaults(wanted, spec)));
  if (same && annotation === 'true') return null;
  return {
    create: false,
    object: {
      ...current,
      metadata: { ...current.metadata, annotations: { ...current.metadata?.annotations, [AUTO_UPDATE_ANNOTATION]: 'true' } },
      spec,
    },
  };
}

/** The spec as stored after defaulting, for comparing with what is stored. */
function withDefaults(wanted: KubeObject, spec: Json): unknown {
  const copy: KubeObject = { ...wanted, spec: structuredClone(spec) };
  (wanted.kind === 'FlowSchema' ? defaultFlowSchema : defaultPriorityLevel)(copy);
  return copy.spec;
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Json)[k])]));
  return v;
}

/** The Dangling condition the APF controller keeps on a FlowSchema: whether its priority level exists. */
export function danglingCondition(fs: KubeObject, levelExists: boolean, now: string): Json {
  const pl = str(path(fs, 'spec', 'priorityLevelConfiguration', 'name'));
  return levelExists
    ? { type: 'Dangling', status: 'False', lastTransitionTime: now, reason: 'Found', message: `This FlowSchema references the PriorityLevelConfiguration object named "${pl}" and it exists` }
    : { type: 'Dangling', status: 'True', lastTransitionTime: now, reason: 'NotFound', message: `This FlowSchema references the PriorityLevelConfiguration object named "${pl}" but there is no such object` };
}
