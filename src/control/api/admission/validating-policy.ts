/**
 * ValidatingAdmissionPolicy (upstream's in-process CEL admission): each binding whose policy exists applies when
 * the request matches the policy's matchConstraints and the binding's matchResources; the policy's
 * matchConditions must then all hold; its validations run over `object`, `oldObject`, `request`, `params` (the
 * binding's paramRef resolved against the policy's paramKind, once per matching param object),
 * `namespaceObject`, `variables` and `authorizer` (cel-authorizer.ts). A false validation is handled by the
 * binding's validationActions: Deny refuses the request (the validation's reason, Invalid by default, with
 * upstream's wording), Warn adds a Warning, Audit records it in the request's audit annotation
 * validation.policy.admission.k8s.io/validation_failure; a refusal comes after every binding was evaluated, as
 * upstream's. The policy's auditAnnotations become `<policy>/<key>` audit annotations (distinct values of several
 * bindings joined with ", "; null or "" omits one). Errors (a missing param, an expression that fails) obey the
 * policy's failurePolicy. Variables are evaluated eagerly in order (upstream evaluates them lazily: a failing
 * variable no expression uses fails nothing here either, but an expression using it reports a missing key instead
 * of the variable's error). Not done: type checking into the policy's status, cost limits, the authorizer's
 * fieldSelector/labelSelector checks.
 */
import { isCelError } from '@bufbuild/cel';
import type { LabelSelector } from '../../../client/types.js';
import { compileAdmission as compile, requestAuthorizer } from './cel-authorizer.js';
import type { KubeObject, ResourceType } from '../resource.js';
import { ApiError, qualified } from '../status.js';
import { selectorMatches } from '../validation/selectors.js';
import { toCel } from './match-conditions.js';
import { admissionReview } from './webhook-client.js';
import { cachedObjects, type CachingEngine } from '../watch/cached-objects.js';
import { ruleMatches, webhookMatches, type WebhookRule } from './webhook-rules.js';
import type { Admission, AdmissionAttributes, AdmissionTarget } from './types.js';
import type { Authorizer } from '../authz/types.js';

interface NamedRule extends WebhookRule { resourceNames?: string[] }
interface MatchResources {
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  resourceRules?: NamedRule[];
  excludeResourceRules?: NamedRule[];
}
interface Validation { expression?: string; message?: string; messageExpression?: string; reason?: string }
interface PolicySpec {
  failurePolicy?: string;
  paramKind?: { apiVersion?: string; kind?: string };
  matchConstraints?: MatchResources;
  validations?: Validation[];
  matchConditions?: Array<{ name?: string; expression?: string }>;
  variables?: Array<{ name?: string; expression?: string }>;
  auditAnnotations?: Array<{ key?: string; valueExpression?: string }>;
}
interface BindingSpec {
  policyName?: string;
  paramRef?: { name?: string; namespace?: string; selector?: LabelSelector; parameterNotFoundAction?: string };
  matchResources?: MatchResources;
  validationActions?: string[];
}

/** What the plugin reads: policies and bindings, a namespace, and param objects of a kind. */
export interface PolicySource {
  policies(): Promise<KubeObject[]>;
  bindings(): Promise<KubeObject[]>;
  namespace(name: string): Promise<KubeObject | undefined>;
  /** The served resource of a paramKind, or undefined when no such kind is served. */
  paramResource(apiVersion: string, kind: string): ResourceType | undefined;
  /** Objects of `r` in `namespace` ('' for all or cluster-scoped) named `name` or, without a name, all of them. */
  params(r: ResourceType, namespace: string, name: string | undefined): Promise<KubeObject[]>;
}

const EXEMPT_GROUP = 'admissionregistration.k8s.io';
const CODES: Record<string, number> = { Unauthorized: 401, Forbidden: 403, RequestEntityTooLarge: 413, Invalid: 422 };
/** Upstream's MaxEvaluatedMessageExpressionSizeBytes. */
const MAX_MESSAGE_BYTES = 5 * 1024;
/** Upstream's maxAuditAnnotationValueLength. */
const MAX_AUDIT_VALUE_BYTES = 10 * 1024;
const VALIDATION_FAILURE_ANNOTATION = 'validation.policy.admission.k8s.io/validation_failure';

/**
 * Why a policy did not admit: a failed validation (with its reason, and its index among the policy's validations)
 * or an error (failurePolicy decides).
 */
interface Failure { message: string; reason: string; error: boolean; index?: number }

/** A policy's audit annotation values by key, as several bindings produce them (distinct values, in order). */
export type AuditValues = Map<string, string[]>;

function nameMatches(rule: NamedRule, name: string): boolean {
  return !rule.resourceNames?.length || rule.resourceNames.includes(name);
}

/** Whether `mr` selects the request (pure): a rule matches, no exclude rule does, and the selectors match. */
export function matchResourcesMatch(mr: MatchResources | undefined, a: AdmissionAttributes, nsLabels: Record<string, string> | undefined, requireRules: boolean): boolean {
  const rules = mr?.resourceRules ?? [];
  // A binding without matchResources (or without rules) matches everything its policy matches.
  const anyRule = rules.length === 0 && !requireRules
    ? [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'] }]
    : rules.filter((r) => nameMatches(r, a.name));
  if (!webhookMatches({ name: '', rules: anyRule, namespaceSelector: mr?.namespaceSelector, objectSelector: mr?.objectSelector }, a, nsLabels)) return false;
  return !(mr?.excludeResourceRules ?? []).some((r) => nameMatches(r, a.name) && ruleMatches(r, a));
}

type Bindings = Record<string, unknown>;
const nameOf = (o: KubeObject): string => o.metadata?.name ?? '';

function evaluate(expr: string | undefined, vars: Bindings): { value: unknown } | { error: string } {
  const program = compile(expr ?? '');
  if (program instanceof Error) return { error: `compilation failed: ${program.message}` };
  const out = program(vars);
  if (isCelError(out)) return { error: out.message };
  return { value: out };
}

/** The message of a false validation, as upstream picks it: messageExpression, message, or the expression. */
function messageOf(v: Validation, vars: Bindings): string {
  if (v.messageExpression) {
    const r = evaluate(v.messageExpression, vars);
    if ('value' in r && typeof r.value === 'string') {
      const m = r.value.trim();
      if (m && Buffer.byteLength(m) <= MAX_MESSAGE_BYTES && !m.includes('\n')) return m;
    }
  }
  return v.message?.trim() || `failed expression: ${(v.expression ?? '').trim()}`;
}

/**
 * Every failure of one policy for one set of bindings (pure apart from CEL): matchConditions first (any false:
 * no failures, no annotations; an error is a failure), then variables, each validation, and the auditAnnotations,
 * whose values go to `audit`.
 */
export function evaluatePolicy(spec: PolicySpec, base: Bindings, audit?: AuditValues): Failure[] {
  const vars: Bindings = { ...base, variables: {} };
  for (const c of spec.matchConditions ?? []) {
    const r = evaluate(c.expression, vars);
    if ('error' in r) return [{ message: `failed to evaluate match condition ${JSON.stringify(c.name ?? '')}: ${r.error}`, reason: 'Invalid', error: true }];
    if (r.value !== true) {
      if (typeof r.value !== 'boolean') return [{ message: `match condition ${JSON.stringify(c.name ?? '')} did not evaluate to a bool`, reason: 'Invalid', error: true }];
      return [];
    }
  }
  const variables: Record<string, unknown> = {};
  for (const v of spec.variables ?? []) {
    const r = evaluate(v.expression, { ...vars, variables });
    if ('value' in r && v.name) variables[v.name] = r.value;
  }
  vars['variables'] = variables;
  const failures: Failure[] = [];
  (spec.validations ?? []).forEach((v, index) => {
    const r = evaluate(v.expression, vars);
    if ('error' in r) failures.push({ message: `expression '${v.expression ?? ''}' resulted in error: ${r.error}`, reason: 'Invalid', error: true, index });
    else if (r.value !== true) failures.push({ message: messageOf(v, vars), reason: v.reason || 'Invalid', error: false, index });
  });
  for (const an of spec.auditAnnotations ?? []) {
    const r = evaluate(an.valueExpression, vars);
    const bad = 'error' in r ? r.error : r.value === null || typeof r.value === 'string' ? undefined : 'must evaluate to a string or null';
    if (bad !== undefined) {
      failures.push({ message: `valueExpression '${an.valueExpression ?? ''}' resulted in error: ${bad}`, reason: 'Invalid', error: true });
      continue;
    }
    const value = 'value' in r && typeof r.value === 'string' ? truncateBytes(r.value, MAX_AUDIT_VALUE_BYTES) : '';
    if (!value || !an.key || !audit) continue;
    const values = audit.get(an.key) ?? [];
    if (!values.includes(value)) audit.set(an.key, [...values, value]);
  }
  return failures;
}

function truncateBytes(s: string, max: number): string {
  const b = Buffer.from(s);
  return b.length <= max ? s : b.subarray(0, max).toString('utf8');
}

export class ValidatingAdmissionPolicyAdmission implements Admission {
  /** `authz`: the server's authoriser chain, for expressions' `authorizer` (absent: expressions cannot use it). */
  constructor(private readonly source: PolicySource, private readonly authz?: Authorizer) {}

  async admit(a: AdmissionAttributes): Promise<KubeObject | null> {
    return a.object;
  }

  /** Validation only (admit changes nothing), never of the policies' own group nor of CONNECT. */
  handles(phase: 'admit' | 'validate', t: AdmissionTarget): boolean {
    return phase === 'validate' && t.resource.group !== EXEMPT_GROUP && t.operation !== 'CONNECT';
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.resource.group === EXEMPT_GROUP || a.operation === 'CONNECT') return;
    const bindings = await this.source.bindings();
    if (bindings.length === 0) return;
    const policies = new Map((await this.source.policies()).map((p) => [nameOf(p), p]));
    let nsObject: KubeObject | undefined;
    let nsRead = false;
    const namespaceObject = async (): Promise<KubeObject | undefined> => {
      if (!nsRead && a.namespace && a.resource.namespaced) nsObject = await this.source.namespace(a.namespace);
      nsRead = true;
      return nsObject;
    };
    let base: Bindings | undefined;
    let denial: ApiError | undefined;
    const auditByPolicy = new Map<string, AuditValues>();
    for (const b of [...bindings].sort((x, y) => nameOf(x).localeCompare(nameOf(y)))) {
      const bspec = (b['spec'] ?? {}) as BindingSpec;
      const policy = policies.get(bspec.policyName ?? '');
      if (!policy) continue;
      const spec = (policy['spec'] ?? {}) as PolicySpec;
      const nsLabels = (await namespaceObject())?.metadata?.labels ?? undefined;
      const matchTarget = a.resource.group === '' && a.resource.plural === 'namespaces' ? undefined : nsLabels;
      if (!matchResourcesMatch(spec.matchConstraints, a, matchTarget, true)) continue;
      if (!matchResourcesMatch(bspec.matchResources, a, matchTarget, false)) continue;
      base ??= {
        object: toCel(a.object), oldObject: toCel(a.oldObject),
        request: toCel(admissionReview(a, '')['request']), namespaceObject: toCel((await namespaceObject()) ?? null),
        ...(this.authz ? { authorizer: requestAuthorizer(this.authz, a) } : {}),
      };
      const failures: Failure[] = [];
      const audit = auditByPolicy.get(nameOf(policy)) ?? new Map<string, string[]>();
      auditByPolicy.set(nameOf(policy), audit);
      const params = await this.paramsFor(spec, bspec, a);
      if ('error' in params) failures.push({ message: params.error, reason: 'Invalid', error: true });
      else for (const p of params.objects) failures.push(...evaluatePolicy(spec, { ...base, params: toCel(p) }, audit));
      const refusal = this.enforce(failures, spec, bspec, nameOf(policy), nameOf(b), a);
      denial ??= refusal;
    }
    for (const [policy, audit] of auditByPolicy) for (const [key, values] of audit) a.audit?.(`${policy}/${key}`, values.join(', '));
    if (denial) throw denial;
  }

  /** The param objects the binding evaluates against ([null] without paramKind), or why there are none. */
  private async paramsFor(spec: PolicySpec, b: BindingSpec, a: AdmissionAttributes): Promise<{ objects: (KubeObject | null)[] } | { error: string }> {
    if (!spec.paramKind) return { objects: [null] };
    const r = this.source.paramResource(spec.paramKind.apiVersion ?? '', spec.paramKind.kind ?? '');
    if (!r) return { error: `failed to configure policy: failed to find resource referenced by paramKind: '${spec.paramKind.apiVersion ?? ''}, Kind=${spec.paramKind.kind ?? ''}'` };
    const ref = b.paramRef;
    if (!ref) return { error: 'failed to configure binding: no paramRef specified' };
    let ns = '';
    if (r.namespaced) {
      ns = ref.namespace ?? (a.resource.namespaced ? a.namespace ?? '' : '');
      if (!ns) return { error: 'failed to configure binding: cannot use namespaced paramRef in policy binding that matches cluster-scoped resources' };
    }
    const found = ref.name
      ? await this.source.params(r, ns, ref.name)
      : (await this.source.params(r, ns, undefined)).filter((o) => selectorMatches(ref.selector ?? {}, o.metadata?.labels ?? {}));
    if (found.length > 0) return { objects: found };
    if (ref.parameterNotFoundAction === 'Allow') return { objects: [] };
    return { error: 'no params found for policy binding with `Deny` parameterNotFoundAction' };
  }

  /** Warnings and audit records of a binding's failures; its first refusal, if Deny is among its actions. */
  private enforce(failures: Failure[], spec: PolicySpec, b: BindingSpec, policy: string, binding: string, a: AdmissionAttributes): ApiError | undefined {
    const actions = b.validationActions ?? [];
    let denial: ApiError | undefined;
    for (const f of failures) {
      // failurePolicy Ignore drops errors; validations that were false are always enforced.
      if (f.error && spec.failurePolicy === 'Ignore') continue;
      if (actions.includes('Deny')) denial ??= policyDenial(a, policy, binding, f);
      if (actions.includes('Warn')) a.warnings?.push(`Validation failed for ValidatingAdmissionPolicy '${policy}' with binding '${binding}': ${f.message}`);
      if (actions.includes('Audit') && f.index !== undefined) {
        const value = [{ message: f.message, policy, binding, expressionIndex: f.index, validationActions: actions }];
        a.audit?.(VALIDATION_FAILURE_ANNOTATION, JSON.stringify(value));
      }
    }
    return denial;
  }
}

/** Upstream's admission.NewForbidden wording, with the validation's reason and its code. */
function policyDenial(a: AdmissionAttributes, policy: string, binding: string, f: Failure): ApiError {
  const message = `ValidatingAdmissionPolicy '${policy}' with binding '${binding}' denied request: ${f.message}`;
  const name = a.name || a.object?.metadata?.name || '';
  const resource = qualified({ group: a.resource.group, resource: a.resource.plural });
  const text = name ? `${resource} ${JSON.stringify(name)} is forbidden: ${message}` : `${resource} is forbidden: ${message}`;
  return new ApiError(CODES[f.reason] ?? 422, f.reason, text, {
    ...(a.resource.group ? { group: a.resource.group } : {}), kind: a.resource.plural, ...(name ? { name } : {}), causes: [{ message }],
  });
}

/** The plugin's source from the API server's own watch caches (the webhooks' view of the engine, plus kinds by name). */
export interface PolicyEngineLike extends CachingEngine {
  readonly registry: CachingEngine['registry'] & { byApiVersionKind(apiVersion: string, kind: string): ResourceType | undefined };
}

export function enginePolicySource(engine: PolicyEngineLike): PolicySource {
  const namespaces = cachedObjects(engine, '', 'v1', 'namespaces');
  const policies = cachedObjects(engine, EXEMPT_GROUP, 'v1', 'validatingadmissionpolicies');
  const bindings = cachedObjects(engine, EXEMPT_GROUP, 'v1', 'validatingadmissionpolicybindings');
  return {
    policies: () => policies.all(),
    bindings: () => bindings.all(),
    namespace: (name) => namespaces.get(undefined, name),
    paramResource: (apiVersion, kind) => engine.registry.byApiVersionKind(apiVersion, kind),
    async params(r, namespace, name) {
      const objects = cachedObjects(engine, r.group, r.version, r.plural);
      if (name !== undefined) {
        const o = await objects.get(namespace || undefined, name);
        return o ? [o] : [];
      }
      return namespace ? objects.list(namespace) : objects.all();
    },
  };
}
