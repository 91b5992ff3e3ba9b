/**
 * RBAC's PolicyRule and how one matches a request, as upstream's rbac/v1 helpers: `*` matches any verb, group or
 * resource; `*​/status` any resource's status subresource; resourceNames (when given) must hold the request's name;
 * a non-resource URL ending in `*` matches every path it prefixes.
 */
import type { AuthorizationAttributes } from './types.js';

export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** A stored rule (any JSON) as a PolicyRule with every list present. */
export function policyRule(raw: unknown): PolicyRule {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return {
    verbs: strings(r['verbs']),
    apiGroups: strings(r['apiGroups']),
    resources: strings(r['resources']),
    resourceNames: strings(r['resourceNames']),
    nonResourceURLs: strings(r['nonResourceURLs']),
  };
}

export const policyRules = (raw: unknown): PolicyRule[] => (Array.isArray(raw) ? raw.map(policyRule) : []);

/** A PolicyRule as JSON, empty lists left out (upstream's omitempty). */
export function ruleJson(r: PolicyRule): Record<string, string[]> {
  const out: Record<string, string[]> = { verbs: r.verbs };
  if (r.apiGroups.length || r.resources.length) out['apiGroups'] = r.apiGroups;
  if (r.resources.length) out['resources'] = r.resources;
  if (r.resourceNames.length) out['resourceNames'] = r.resourceNames;
  if (r.nonResourceURLs.length) out['nonResourceURLs'] = r.nonResourceURLs;
  return out;
}

export const verbMatches = (r: PolicyRule, verb: string): boolean => r.verbs.includes('*') || r.verbs.includes(verb);
export const apiGroupMatches = (r: PolicyRule, group: string): boolean => r.apiGroups.includes('*') || r.apiGroups.includes(group);

export function resourceMatches(r: PolicyRule, combined: string, subresource: string): boolean {
  for (const res of r.resources) {
    if (res === '*' || res === combined) return true;
    if (subresource !== '' && res.length === subresource.length + 2 && res.startsWith('*/') && res.endsWith(subresource)) return true;
  }
  return false;
}

export const resourceNameMatches = (r: PolicyRule, name: string): boolean => r.resourceNames.length === 0 || r.resourceNames.includes(name);

export function nonResourceURLMatches(r: PolicyRule, path: string): boolean {
  for (const u of r.nonResourceURLs) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))) return true;
  }
  return false;
}

type Request = Pick<AuthorizationAttributes, 'verb' | 'resourceRequest' | 'path' | 'apiGroup' | 'resource' | 'subresource' | 'name'>;

export function ruleAllows(a: Request, r: PolicyRule): boolean {
  if (!verbMatches(r, a.verb)) return false;
  if (!a.resourceRequest) return nonResourceURLMatches(r, a.path);
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return apiGroupMatches(r, a.apiGroup) && resourceMatches(r, combined, a.subresource) && resourceNameMatches(r, a.name);
}
