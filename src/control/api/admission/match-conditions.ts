/**
 * A webhook's matchConditions: CEL expressions over `object`, `oldObject` and `request` (the AdmissionRequest),
 * all of which must be true for the webhook to be called, evaluated with the CEL library CRD validation uses
 * (@bufbuild/cel with the strings extension and Kubernetes' lists library). JSON integers are CEL ints, other
 * numbers doubles, and `authorizer` is there when the caller gives one (cel-authorizer.ts). Not there: upstream's
 * cost limits.
 */
import { isCelError } from '@bufbuild/cel';
import { compileAdmission as compile } from './cel-authorizer.js';

export interface MatchCondition {
  name?: string;
  expression?: string;
}

/** Why `expr` does not compile (upstream refuses such expressions when they are stored), or null. */
export function celCompileError(expr: string): string | null {
  const p = compile(expr);
  return p instanceof Error ? p.message : null;
}

/** JSON as CEL values: integral numbers become ints. */
export function toCel(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toCel(x)]));
  return v;
}

/**
 * True when every condition holds, false when one is false (the webhook is skipped); throws an Error naming the
 * condition when one does not compile, fails to evaluate or is not a bool (failurePolicy decides what follows).
 */
export function conditionsMatch(
  conditions: readonly MatchCondition[] | undefined, bindings: { object: unknown; oldObject: unknown; request: unknown; authorizer?: unknown },
): boolean {
  if (!conditions?.length) return true;
  const vars = {
    object: toCel(bindings.object), oldObject: toCel(bindings.oldObject), request: toCel(bindings.request),
    ...(bindings.authorizer !== undefined ? { authorizer: bindings.authorizer } : {}),
  };
  for (const c of conditions) {
    const name = c.name ?? '';
    const program = compile(c.expression ?? '');
    if (program instanceof Error) throw new Error(`compilation failed for match condition ${JSON.stringify(name)}: ${program.message}`);
    const out = program(vars);
    if (isCelError(out)) throw new Error(`failed to evaluate match condition ${JSON.stringify(name)}: ${out.message}`);
    if (typeof out !== 'boolean') throw new Error(`match condition ${JSON.stringify(name)} did not evaluate to a bool`);
    if (!out) return false;
  }
  return true;
}
