/**
 * API Priority and Fairness' configuration as the request path uses it, and classification (upstream's
 * apf_controller digest and pkg/util/flowcontrol's match.go): FlowSchemas sorted by matchingPrecedence then name,
 * each rule's subjects (User, Group, ServiceAccount) and resource/non-resource rules compiled to plain lookups;
 * priority levels with their nominal concurrency limit, ceil(serverCL * NCS / sum of every level's NCS). The
 * mandatory `exempt` and `catch-all` objects are imagined when storage lacks them, and a schema naming a missing
 * level is skipped, as upstream. All pure: a new configuration is a new value, with its own classification cache.
 */
import type { KubeObject } from '../resource.js';
import type { UserInfo } from '../auth/user.js';
import type { RequestInfo } from '../authz/request-info.js';
import { CATCH_ALL, EXEMPT, mandatoryFlowControlObjects } from '../kinds/flowcontrol.js';
import { flowHash } from './shuffle-shard.js';

type Json = Record<string, unknown>;
const rec = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const recs = (v: unknown): Json[] => (Array.isArray(v) ? v.map(rec).filter((x): x is Json => x !== undefined) : []);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/** How a limited level answers when it is full: queue (with shuffle sharding), or reject at once. */
export interface Queuing {
  queues: number;
  handSize: number;
  queueLengthLimit: number;
}

export interface PriorityLevel {
  name: string;
  uid: string;
  exempt: boolean;
  nominalConcurrencyShares: number;
  lendablePercent: number;
  /** null: no limit on borrowing. */
  borrowingLimitPercent: number | null;
  /** Seats of the server's total this level is given (NominalCL). */
  nominalCL: number;
  /** Bounds of its current limit: nominal less what it lends, nominal plus what it may borrow (Infinity: any). */
  minCL: number;
  maxCL: number;
  /** null: limitResponse Reject. */
  queuing: Queuing | null;
}

/** A "set of strings or everything" test, compiled once. */
type Matcher = ((s: string) => boolean);
const ANY: Matcher = () => true;
function setMatcher(values: string[]): Matcher {
  if (values.includes('*')) return ANY;
  if (values.length === 1) {
    const only = values[0]!;
    return (s) => s === only;
  }
  const set = new Set(values);
  return (s) => set.has(s);
}

interface CompiledRule {
  subject: (u: UserInfo) => boolean;
  resource: ((i: RequestInfo) => boolean) | null;
  nonResource: ((i: RequestInfo) => boolean) | null;
}

export interface FlowSchema {
  name: string;
  uid: string;
  matchingPrecedence: number;
  level: PriorityLevel;
  distinguisher: 'ByUser' | 'ByNamespace' | '';
  rules: CompiledRule[];
}

const SA_PREFIX = 'system:serviceaccount:';

function subjectMatcher(s: Json): ((u: UserInfo) => boolean) | null {
  switch (str(s.kind)) {
    case 'User': {
      const name = str(rec(s.user)?.name);
      return name === '*' ? () => true : (u) => u.name === name;
    }
    case 'Group': {
      const name = str(rec(s.group)?.name);
      return name === '*' ? () => true : (u) => u.groups.includes(name);
    }
    case 'ServiceAccount': {
      const sa = rec(s.serviceAccount);
      const ns = str(sa?.namespace);
      const name = str(sa?.name);
      if (name === '*') {
        const prefix = `${SA_PREFIX}${ns}:`;
        return (u) => u.name.startsWith(prefix);
      }
      const full = `${SA_PREFIX}${ns}:${name}`;
      return (u) => u.name === full;
    }
    default:
      return null;
  }
}

function resourceRuleMatcher(r: Json): (i: RequestInfo) => boolean {
  const verb = setMatcher(strs(r.verbs));
  const group = setMatcher(strs(r.apiGroups));
  const resource = setMatcher(strs(r.resources));
  const namespaces = strs(r.namespaces);
  const ns = setMatcher(namespaces);
  const clusterScope = r.clusterScope === true;
  return (i) => verb(i.verb) && group(i.apiGroup)
    && resource(i.subresource ? `${i.resource}/${i.subresource}` : i.resource)
    && (i.namespace === '' ? clusterScope : namespaces.length > 0 && ns(i.namespace));
}

function nonResourceRuleMatcher(r: Json): (i: RequestInfo) => boolean {
  const verb = setMatcher(strs(r.verbs));
  const urls = strs(r.nonResourceURLs);
  const all = urls.includes('*');
  const exact = new Set(urls.filter((u) => !u.endsWith('*')));
  const prefixes = urls.filter((u) => u.endsWith('*') && u !== '*').map((u) => u.slice(0, -1));
  return (i) => verb(i.verb) && (all || exact.has(i.path) || prefixes.some((p) => i.path.startsWith(p)));
}

function compileRules(spec: Json): CompiledRule[] {
  return recs(spec.rules).map((rule) => {
    const subjects = recs(rule.subjects).map(subjectMatcher).filter((m): m is (u: UserInfo) => boolean => m !== null);
    const rrs = recs(rule.resourceRules).map(resourceRuleMatcher);
    const nrs = recs(rule.nonResourceRules).map(nonResourceRuleMatcher);
    return {
      subject: (u) => subjects.some((m) => m(u)),
      resource: rrs.length ? (i) => rrs.some((m) => m(i)) : null,
      nonResource: nrs.length ? (i) => nrs.some((m) => m(i)) : null,
    };
  });
}

/** Upstream's matchesFlowSchema: some rule whose subjects include the user and whose rules cover the request. */
export function schemaMatches(fs: FlowSchema, user: UserInfo, info: RequestInfo): boolean {
  for (const r of fs.rules) {
    if (!r.subject(user)) continue;
    const m = info.resourceRequest ? r.resource : r.nonResource;
    if (m && m(info)) return true;
  }
  return false;
}

export interface Classification {
  schema: FlowSchema;
  level: PriorityLevel;
  /** The flow within the level: the schema's name and the distinguisher, hashed for shuffle sharding. */
  flowHash: number;
  distinguisher: string;
  /** The flow's hand of queues, kept by the level's QueueSet for its deck and hand size (handKey). */
  hand?: number[];
  handKey?: number;
}

export interface FlowControlConfig {
  schemas: readonly FlowSchema[];
  levels: ReadonlyMap<string, PriorityLevel>;
  serverConcurrencyLimit: number;
  /** The schema and level for a request; cached per user and request shape. */
  classify(user: UserInfo, info: RequestInfo): Classification;
}

function digestLevel(o: KubeObject): Omit<PriorityLevel, 'nominalCL' | 'minCL' | 'maxCL'> {
  const spec = rec(o.spec) ?? {};
  const name = o.metadata?.name ?? '';
  const uid = o.metadata?.uid ?? '';
  if (str(spec.type) === 'Exempt') {
    const ex = rec(spec.exempt) ?? {};
    // An exempt level lends, but has no use for borrowed seats.
    return { name, uid, exempt: true, nominalConcurrencyShares: num(ex.nominalConcurrencyShares, 0), lendablePercent: num(ex.lendablePercent, 0), borrowingLimitPercent: 0, queuing: null };
  }
  const lim = rec(spec.limited) ?? {};
  const lr = rec(lim.limitResponse) ?? {};
  const q = rec(lr.queuing);
  return {
    name, uid, exempt: false,
    nominalConcurrencyShares: num(lim.nominalConcurrencyShares, 30),
    lendablePercent: num(lim.lendablePercent, 0),
    borrowingLimitPercent: typeof lim.borrowingLimitPercent === 'number' ? lim.borrowingLimitPercent : null,
    queuing: str(lr.type) === 'Queue' && q ? { queues: num(q.queues, 64), handSize: num(q.handSize, 8), queueLengthLimit: num(q.queueLengthLimit, 50) } : null,
  };
}

/** Requests' classifications remembered per configuration; more empties the map. */
const CACHE_ENTRIES = 4096;

/**
 * The configuration digested from the stored FlowSchemas and PriorityLevelConfigurations. `serverConcurrencyLimit`
 * is --max-requests-inflight + --max-mutating-requests-inflight, as upstream's.
 */
export function compileFlowControl(schemaObjs: readonly KubeObject[], levelObjs: readonly KubeObject[], serverConcurrencyLimit: number): FlowControlConfig {
  const mandatory = mandatoryFlowControlObjects();
  const byName = new Map<string, KubeObject>();
  for (const l of levelObjs) if (l.metadata?.name && !l.metadata.deletionTimestamp) byName.set(l.metadata.name, l);
  // The mandatory ones, imagined when missing (upstream's configuration controller does the same).
  for (const l of mandatory.priorityLevels) if (!byName.has(l.metadata!.name!)) byName.set(l.metadata!.name!, l);
  const digested = [...byName.values()].map(digestLevel);
  const shareSum = digested.reduce((s, l) => s + l.nominalConcurrencyShares, 0);
  const levels = new Map<string, PriorityLevel>();
  for (const l of digested) {
    const nominalCL = shareSum > 0 ? Math.ceil((serverConcurrencyLimit * l.nominalConcurrencyShares) / shareSum) : 0;
    const minCL = nominalCL - Math.round((nominalCL * l.lendablePercent) / 100);
    const maxCL = l.borrowingLimitPercent === null ? Infinity : nominalCL + Math.round((nominalCL * l.borrowingLimitPercent) / 100);
    levels.set(l.name, { ...l, nominalCL, minCL, maxCL });
  }

  const fsByName = new Map<string, KubeObject>();
  for (const f of schemaObjs) if (f.metadata?.name && !f.metadata.deletionTimestamp) fsByName.set(f.metadata.name, f);
  for (const f of mandatory.flowSchemas) if (!fsByName.has(f.metadata!.name!)) fsByName.set(f.metadata!.name!, f);
  const schemas: FlowSchema[] = [];
  for (const f of fsByName.values()) {
    const spec = rec(f.spec) ?? {};
    const level = levels.get(str(rec(spec.priorityLevelConfiguration)?.name));
    if (!level) continue; // dangling: its status says so, and it classifies nothing
    const dm = str(rec(spec.distinguisherMethod)?.type);
    schemas.push({
      name: f.metadata!.name!, uid: f.metadata?.uid ?? '', matchingPrecedence: num(spec.matchingPrecedence, 1000), level,
      distinguisher: dm === 'ByUser' || dm === 'ByNamespace' ? dm : '', rules: compileRules(spec),
    });
  }
  schemas.sort((a, b) => a.matchingPrecedence - b.matchingPrecedence || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const catchAll = schemas.find((s) => s.name === CATCH_ALL);

  // The cache: request shape (what classification reads of a request: not its object's name) -> user name ->
  // the user's groups when classified and the result. A few map lookups a request, no string built per request.
  const cache = new Map<string, Map<string, { groups: readonly string[]; c: Classification }>>();
  const shapes = new WeakMap<RequestInfo, string>();
  let entries = 0;
  const classifyUncached = (user: UserInfo, info: RequestInfo): Classification => {
    const schema = schemas.find((s) => schemaMatches(s, user, info)) ?? catchAll ?? schemas[schemas.length - 1]!;
    const distinguisher = schema.distinguisher === 'ByUser' ? user.name : schema.distinguisher === 'ByNamespace' ? info.namespace : '';
    return { schema, level: schema.level, distinguisher, flowHash: flowHash(schema.name, distinguisher) };
  };
  return {
    schemas,
    levels,
    serverConcurrencyLimit,
    classify(user, info) {
      let shape = shapes.get(info);
      if (shape === undefined) {
        shape = info.resourceRequest
          ? `${info.verb} ${info.apiGroup} ${info.resource}/${info.subresource} ${info.namespace}`
          : `${info.verb} ${info.path}`;
        if (Object.isFrozen(info)) shapes.set(info, shape);
      }
      let byUser = cache.get(shape);
      const hit = byUser?.get(user.name);
      if (hit && sameStrings(hit.groups, user.groups)) return hit.c;
      const c = classifyUncached(user, info);
      if (entries >= CACHE_ENTRIES) {
        cache.clear();
        entries = 0;
        byUser = undefined;
      }
      if (!byUser) cache.set(shape, (byUser = new Map()));
      if (!hit) entries++;
      byUser.set(user.name, { groups: [...user.groups], c });
      return c;
    },
  };
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export { CATCH_ALL, EXEMPT };
