/**
 * Upstream's audit Policy (audit.k8s.io/v1): ordered rules, the first that matches a request decides its level
 * (None, Metadata, Request, RequestResponse) and the stages left out; no match is None. Parsing names every bad
 * field; matching is pure.
 */
import { parse as parseYaml } from 'yaml';
import type { UserInfo } from '../auth/user.js';
import type { AuthorizationAttributes } from '../authz/types.js';
import { aggregateErrors } from '../../aggregate-errors.js';

export type AuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
export type AuditStage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

export const LEVELS: readonly AuditLevel[] = ['None', 'Metadata', 'Request', 'RequestResponse'];
export const STAGES: readonly AuditStage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

export interface GroupResources {
  /** '' is the core group. */
  group?: string;
  /** `pods`, `pods/log`, `*` (all), `pods/*` (any subresource of pods); `*` then `/scale`: that subresource of any. */
  resources?: string[];
  resourceNames?: string[];
}

export interface PolicyRule {
  level: AuditLevel;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  /** '' matches cluster-scoped requests. */
  namespaces?: string[];
  /** Paths; a trailing `*` matches a prefix. */
  nonResourceURLs?: string[];
  omitStages?: AuditStage[];
  omitManagedFields?: boolean;
}

export interface AuditPolicy {
  rules: PolicyRule[];
  omitStages?: AuditStage[];
  omitManagedFields?: boolean;
}

/** The policy used when only --audit-log-path is given: every request at Metadata. */
export const METADATA_POLICY: AuditPolicy = { rules: [{ level: 'Metadata' }] };

export type RequestAttributes = Omit<AuthorizationAttributes, 'user'>;

export interface PolicyDecision {
  level: AuditLevel;
  omitStages: ReadonlySet<AuditStage>;
  omitManagedFields: boolean;
}

const NONE: PolicyDecision = { level: 'None', omitStages: new Set(), omitManagedFields: false };

export class AuditPolicyError extends Error {
  constructor(source: string, readonly errors: string[]) {
    super(`${source}: ${aggregateErrors(errors)}`);
    this.name = 'AuditPolicyError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(v: unknown, field: string, errs: string[]): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    errs.push(`${field}: Invalid value: must be a list of strings`);
    return undefined;
  }
  return v as string[];
}

function stages(v: unknown, field: string, errs: string[]): AuditStage[] | undefined {
  const list = strings(v, field, errs);
  list?.forEach((s, i) => {
    if (!(STAGES as readonly string[]).includes(s)) errs.push(`${field}[${i}]: Unsupported value: ${JSON.stringify(s)}: supported values: ${STAGES.map((x) => `"${x}"`).join(', ')}`);
  });
  return list as AuditStage[] | undefined;
}

/** Parses and validates a Policy file's text (YAML or JSON). */
export function parseAuditPolicy(text: string, source = 'audit policy'): AuditPolicy {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new AuditPolicyError(source, [`not valid YAML or JSON: ${(err as Error).message}`]);
  }
  if (!isObject(doc)) throw new AuditPolicyError(source, ['expected a Policy object']);
  const errs: string[] = [];
  if (doc.kind !== 'Policy') errs.push(`kind: Invalid value: ${JSON.stringify(doc.kind ?? '')}: must be Policy`);
  if (doc.apiVersion !== 'audit.k8s.io/v1') errs.push(`apiVersion: Invalid value: ${JSON.stringify(doc.apiVersion ?? '')}: must be audit.k8s.io/v1`);
  const policy: AuditPolicy = { rules: [] };
  const omit = stages(doc.omitStages, 'omitStages', errs);
  if (omit) policy.omitStages = omit;
  if (doc.omitManagedFields !== undefined) policy.omitManagedFields = doc.omitManagedFields === true;
  if (!Array.isArray(doc.rules)) errs.push('rules: Required value: a policy needs a list of rules');
  else doc.rules.forEach((r: unknown, i: number) => {
    const at = `rules[${i}]`;
    if (!isObject(r)) return void errs.push(`${at}: Invalid value: expected an object`);
    if (!(LEVELS as readonly unknown[]).includes(r.level)) return void errs.push(`${at}.level: ${r.level === undefined ? 'Required value' : `Unsupported value: ${JSON.stringify(r.level)}`}: supported values: ${LEVELS.map((x) => `"${x}"`).join(', ')}`);
    const rule: PolicyRule = { level: r.level as AuditLevel };
    for (const f of ['users', 'userGroups', 'verbs', 'namespaces', 'nonResourceURLs'] as const) {
      const v = strings(r[f], `${at}.${f}`, errs);
      if (v) rule[f] = v;
    }
    if (r.resources !== undefined) {
      if (!Array.isArray(r.resources)) errs.push(`${at}.resources: Invalid value: must be a list`);
      else rule.resources = r.resources.map((g: unknown, j: number) => {
        const gat = `${at}.resources[${j}]`;
        if (!isObject(g)) {
          errs.push(`${gat}: Invalid value: expected an object`);
          return {};
        }
        const out: GroupResources = {};
        if (g.group !== undefined) {
          if (typeof g.group !== 'string') errs.push(`${gat}.group: Invalid value: must be a string`);
          else out.group = g.group;
        }
        const res = strings(g.resources, `${gat}.resources`, errs);
        if (res) out.resources = res;
        const names = strings(g.resourceNames, `${gat}.resourceNames`, errs);
        if (names) out.resourceNames = names;
        return out;
      });
    }
    if (rule.nonResourceURLs && (rule.resources || rule.namespaces)) errs.push(`${at}.nonResourceURLs: Invalid value: rules cannot apply to both regular resources and non-resource URLs`);
    const o = stages(r.omitStages, `${at}.omitStages`, errs);
    if (o) rule.omitStages = o;
    if (r.omitManagedFields !== undefined) rule.omitManagedFields = r.omitManagedFields === true;
    policy.rules.push(rule);
  });
  if (errs.length) throw new AuditPolicyError(source, errs);
  return policy;
}

function matchesResource(g: GroupResources, a: RequestAttributes): boolean {
  if ((g.group ?? '') !== a.apiGroup) return false;
  if (g.resources?.length) {
    const full = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const ok = g.resources.some((p) => p === full || p === '*'
      || (p === `${a.resource}/*` && a.subresource !== '')
      || (p.startsWith('*/') && a.subresource !== '' && p.slice(2) === a.subresource));
    if (!ok) return false;
  }
  if (g.resourceNames?.length && !g.resourceNames.includes(a.name)) return false;
  return true;
}

function ruleMatches(rule: PolicyRule, user: UserInfo | undefined, a: RequestAttributes): boolean {
  if (rule.users?.length && !(user && rule.users.includes(user.name))) return false;
  if (rule.userGroups?.length && !(user && user.groups.some((g) => rule.userGroups!.includes(g)))) return false;
  if (rule.verbs?.length && !rule.verbs.includes(a.verb)) return false;
  if (rule.namespaces || rule.resources) {
    // Rules about resources never match non-resource requests (and the other way round).
    if (!a.resourceRequest) return false;
    if (rule.namespaces?.length && !rule.namespaces.includes(a.namespace)) return false;
    if (rule.resources?.length && !rule.resources.some((g) => matchesResource(g, a))) return false;
  }
  if (rule.nonResourceURLs) {
    if (a.resourceRequest) return false;
    if (rule.nonResourceURLs.length && !rule.nonResourceURLs.some((p) => (p.endsWith('*') ? a.path.startsWith(p.slice(0, -1)) : a.path === p))) return false;
  }
  return true;
}

/** The first matching rule's level and stages to leave out (the rule's and the policy's); None when none matches. */
export function decide(policy: AuditPolicy, user: UserInfo | undefined, a: RequestAttributes): PolicyDecision {
  for (const rule of policy.rules) {
    if (!ruleMatches(rule, user, a)) continue;
    if (rule.level === 'None') return NONE;
    return {
      level: rule.level,
      omitStages: new Set([...(policy.omitStages ?? []), ...(rule.omitStages ?? [])]),
      omitManagedFields: rule.omitManagedFields ?? policy.omitManagedFields ?? false,
    };
  }
  return NONE;
}
