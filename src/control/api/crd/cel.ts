/**
 * x-kubernetes-validations: CEL rules on custom objects, evaluated with @bufbuild/cel. `self` is the value at
 * the rule's schema node (integers as CEL ints), `oldSelf` the value at the same place in the object before an
 * update: a rule naming oldSelf is a transition rule and runs only when both exist (unless optionalOldSelf).
 * Old values are correlated by object keys and by list-map keys, as upstream's ratcheting does. A false result
 * is `<path>: Invalid value: "<type>": <message>` with the rule's reason as the cause type, as upstream reports.
 * The standard library, the strings extension and Kubernetes' lists library are there. Not enforced or not there: upstream's estimated and
 * runtime cost limits, and Kubernetes' other CEL libraries (sets, quantity, url, ip, regex find).
 */
import { celEnv, isCelError, parse, plan, type CelFunc, type CelResult } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { kubernetesLists } from './cel-lists.js';
import { celErrorText, undefinedFields } from './cel-check.js';
import type { FieldError } from '../resource.js';
import { invalid } from '../validation/errors.js';
import { child, index, isObject, itemsOf, type JSONSchemaProps, type ValidationRule } from './schema/types.js';

export type CelProgram = (bindings: Record<string, unknown>) => CelResult;
type Program = CelProgram;

/**
 * A compiler for Kubernetes' CEL environment (the strings extension: lowerAscii, split, join, replace, format, …,
 * and its lists library) plus `extra` functions (admission adds the authorizer library): each expression text is
 * planned once; an Error when it does not parse.
 */
export function celCompiler(extra: readonly CelFunc[] = []): (expr: string) => Program | Error {
  const env = celEnv({ funcs: [...strings, ...kubernetesLists, ...extra] });
  const programs = new Map<string, Program | Error>();
  return (expr) => {
    let p = programs.get(expr);
    if (!p) {
      try {
        p = plan(env, parse(expr)) as unknown as Program;
      } catch (err) {
        p = err instanceof Error ? err : new Error(String(err));
      }
      programs.set(expr, p);
    }
    return p;
  };
}

/** CRD validation rules' compiler. */
export const compile = celCompiler();

const REASONS = ['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'];
const usesOldSelf = (rule: string): boolean => /\boldSelf\b/.test(rule);

/** Compile errors of every rule in a CRD version's schema (upstream refuses such CRDs). */
export function validateRulesCompile(schema: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const walk = (s: unknown, p: string): void => {
    if (!isObject(s)) return;
    const js = s as JSONSchemaProps;
    (js['x-kubernetes-validations'] ?? []).forEach((r, i) => {
      const rp = `${p}.x-kubernetes-validations[${i}]`;
      if (!r || typeof r.rule !== 'string' || !r.rule.trim()) {
        errs.push({ type: 'FieldValueRequired', field: `${rp}.rule`, message: 'Required value' });
        return;
      }
      const c = compile(r.rule);
      if (c instanceof Error) errs.push(invalid(`${rp}.rule`, r.rule, `compilation failed: ERROR: ${c.message}`));
      else {
        const parsed = parse(r.rule);
        const positions = Object.fromEntries(Object.entries(parsed.sourceInfo?.positions ?? {}).map(([k, v]) => [k, Number(v)]));
        const missing = undefinedFields(parsed.expr, positions, js);
        if (missing.length) {
          const m = missing[0]!;
          errs.push(invalid(`${rp}.rule`, r.rule, `compilation failed: ${celErrorText(r.rule, m.offset, `undefined field '${m.field}'`)}`));
        }
      }
      if (r.messageExpression !== undefined) {
        const m = compile(r.messageExpression);
        if (m instanceof Error) errs.push(invalid(`${rp}.messageExpression`, r.messageExpression, `messageExpression compilation failed: ERROR: ${m.message}`));
      }
      if (r.reason !== undefined && !REASONS.includes(r.reason)) {
        errs.push({ type: 'FieldValueNotSupported', field: `${rp}.reason`, message: `Unsupported value: ${JSON.stringify(r.reason)}: supported values: ${REASONS.map((x) => JSON.stringify(x)).join(', ')}` });
      }
      if (r.optionalOldSelf && !usesOldSelf(r.rule)) {
        errs.push({ type: 'FieldValueInvalid', field: `${rp}.optionalOldSelf`, message: `Invalid value: true: may not be set if rule does not use oldSelf` });
      }
    });
    for (const [k, v] of Object.entries(js.properties ?? {})) walk(v, `${p}.properties[${k}]`);
    walk(itemsOf(js), `${p}.items`);
    if (isObject(js.additionalProperties)) walk(js.additionalProperties, `${p}.additionalProperties`);
  };
  walk(schema, path);
  return errs;
}

/** Whether a schema has any rule (so objects of CRDs without rules skip the walk). */
export function hasRules(s: JSONSchemaProps | undefined): boolean {
  if (!s) return false;
  if (s['x-kubernetes-validations']?.length) return true;
  if (Object.values(s.properties ?? {}).some(hasRules)) return true;
  if (hasRules(itemsOf(s))) return true;
  return isObject(s.additionalProperties) && hasRules(s.additionalProperties as JSONSchemaProps);
}

/** A JSON value as CEL sees it under `s`: integer-typed numbers become ints. */
function toCel(v: unknown, s: JSONSchemaProps | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') {
    const integral = s?.type === 'integer' || (s?.['x-kubernetes-int-or-string'] && Number.isInteger(v));
    return integral && Number.isInteger(v) ? BigInt(v) : v;
  }
  if (Array.isArray(v)) return v.map((x) => toCel(x, s ? itemsOf(s) : undefined));
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    const additional = s && isObject(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined;
    for (const [k, x] of Object.entries(v)) out[k] = toCel(x, s?.properties?.[k] ?? additional);
    return out;
  }
  return v;
}

/** The structural schema's type, as upstream prints it in a rule's error (int-or-string has none). */
const schemaType = (s: JSONSchemaProps): string => (s['x-kubernetes-int-or-string'] ? '' : s.type ?? '');

/** upstream's ruleErrorString: the rule's message when it has one, else the rule. */
const ruleText = (rule: ValidationRule): string => (rule.message?.trim() || rule.rule.trim());

/** Evaluates every rule against `value` (and `old`, for transition rules); errors are appended. */
export function evaluateRules(
  s: JSONSchemaProps | undefined, value: unknown, old: unknown, path: string, errs: FieldError[], warnings?: string[],
): void {
  if (!s || value === undefined || value === null) return;
  const rules = s['x-kubernetes-validations'];
  if (rules?.length) {
    let self: unknown;
    let oldSelf: unknown;
    for (const rule of rules) {
      const transition = usesOldSelf(rule.rule);
      if (transition && (old === undefined || old === null) && !rule.optionalOldSelf) continue;
      self ??= toCel(value, s);
      const bindings: Record<string, unknown> = { self };
      if (transition) bindings['oldSelf'] = old === undefined || old === null ? null : (oldSelf ??= toCel(old, s));
      runRule(rule, bindings, s, path, errs, warnings);
    }
  }
  if (Array.isArray(value)) {
    const items = itemsOf(s);
    if (!items) return;
    const oldItems = Array.isArray(old) ? old : [];
    const keys = s['x-kubernetes-list-type'] === 'map' ? s['x-kubernetes-list-map-keys'] ?? [] : undefined;
    value.forEach((v, i) => {
      // Items correlate with old ones by their map keys (list-type map) only; other lists have no oldSelf per item.
      const o = keys && isObject(v) ? oldItems.find((x) => isObject(x) && keys.every((k) => x[k] === v[k])) : undefined;
      evaluateRules(items, v, o, index(path, i), errs, warnings);
    });
    return;
  }
  if (isObject(value)) {
    const oldObj = isObject(old) ? old : undefined;
    const additional = isObject(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined;
    for (const [k, v] of Object.entries(value)) {
      const prop = s.properties?.[k] ?? additional;
      if (prop) evaluateRules(prop, v, oldObj?.[k], child(path, k), errs, warnings);
    }
  }
}

function runRule(
  rule: ValidationRule, bindings: Record<string, unknown>, s: JSONSchemaProps, path: string, errs: FieldError[], warnings?: string[],
): void {
  const program = compile(rule.rule);
  const field = rule.fieldPath ? joinFieldPath(path, rule.fieldPath) : path;
  const type = (rule.reason && REASONS.includes(rule.reason) ? rule.reason : 'FieldValueInvalid');
  const fail = (message: string): void => {
    if (type === 'FieldValueRequired') errs.push({ type, field, message: `Required value: ${message}` });
    else if (type === 'FieldValueForbidden') errs.push({ type, field, message: `Forbidden: ${message}` });
    else if (type === 'FieldValueDuplicate') errs.push({ type, field, message: `Duplicate value: ${JSON.stringify(schemaType(s))}` });
    else errs.push(invalid(field, schemaType(s), message));
  };
  if (program instanceof Error) {
    fail(`compilation failed: ${program.message}`);
    return;
  }
  const result = program(bindings);
  if (isCelError(result)) {
    // cel-go's words for a missing map key, which is what an absent field of a custom object is there.
    const text = result.message.replace(/^field not found: /, 'no such key: ');
    errs.push(invalid(field, schemaType(s), `${text} evaluating rule: ${ruleText(rule)}`));
    return;
  }
  if (result === true) return;
  if (result !== false) {
    errs.push(invalid(field, schemaType(s), `rule did not evaluate to a bool evaluating rule: ${ruleText(rule)}`));
    return;
  }
  let message = rule.message?.trim() || `failed rule: ${rule.rule.trim()}`;
  if (rule.messageExpression !== undefined) {
    const m = compile(rule.messageExpression);
    const out = m instanceof Error ? m : m(bindings);
    if (typeof out === 'string' && out.trim() !== '' && !out.includes('\n')) message = out;
    else warnings?.push(`${path}: messageExpression evaluation failed`);
  }
  fail(message);
}

/** A rule's fieldPath (`.spec.x`, `['a.b']`) relative to the node the rule sits on. */
function joinFieldPath(base: string, rel: string): string {
  const parts = rel.replace(/\[['"]([^'"]+)['"]\]/g, '.$1').split('.').filter(Boolean);
  return parts.reduce((p, k) => child(p, k), base);
}
