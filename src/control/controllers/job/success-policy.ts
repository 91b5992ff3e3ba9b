/** successPolicy (Indexed Jobs): the first rule whose succeededIndexes / succeededCount are met wins. */
import type { SuccessPolicy } from 'kubernetes-types/batch/v1.js';
import { parseIndexes, totalIndexes, type Interval } from './indexes.js';

function overlapCount(rule: readonly Interval[], succeeded: readonly Interval[]): number {
  let n = 0;
  let i = 0;
  let j = 0;
  while (i < rule.length && j < succeeded.length) {
    const o = Math.min(rule[i]!.last, succeeded[j]!.last) - Math.max(rule[i]!.first, succeeded[j]!.first) + 1;
    if (o > 0) n += o;
    if (succeeded[j]!.last < rule[i]!.last) j++;
    else if (succeeded[j]!.last > rule[i]!.last) i++;
    else {
      i++;
      j++;
    }
  }
  return n;
}

/** The SuccessCriteriaMet message ("Matched rules at index N"), or null when no rule is met. */
export function matchSuccessPolicy(policy: SuccessPolicy | undefined, completions: number, succeeded: readonly Interval[]): string | null {
  if (!policy || succeeded.length === 0) return null;
  for (const [index, rule] of (policy.rules ?? []).entries()) {
    if (rule.succeededIndexes !== undefined) {
      const required = parseIndexes(rule.succeededIndexes, completions);
      if (required.length === 0) continue;
      const n = overlapCount(required, succeeded);
      if (n === totalIndexes(required) || (rule.succeededCount !== undefined && n >= rule.succeededCount)) return `Matched rules at index ${index}`;
    } else if (rule.succeededCount !== undefined && totalIndexes(succeeded) >= rule.succeededCount) {
      return `Matched rules at index ${index}`;
    }
  }
  return null;
}
