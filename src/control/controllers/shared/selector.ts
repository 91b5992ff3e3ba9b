/**
 * metav1.LabelSelector as controllers use it (upstream's metav1.LabelSelectorAsSelector): matchLabels and
 * matchExpressions (In, NotIn, Exists, DoesNotExist) ANDed. A missing selector matches nothing; an empty one
 * ({}) matches everything. The compiled form is the scheduler's (src/control/scheduler/selector.ts), so the
 * two never disagree on what a selector selects.
 */
import { compileLabelSelector, isEmptySelector, matchesLabels, type LabelSelector } from '../../scheduler/selector.js';

export type { LabelSelector as CompiledSelector } from '../../scheduler/selector.js';

/** The wire form (metav1.LabelSelector). */
export type { LabelSelector as LabelSelectorSpec } from '../../../client/types.js';
import type { LabelSelector as LabelSelectorSpec } from '../../../client/types.js';

/** Compiles a LabelSelector object; nil or malformed (unknown operator, In without values, …) selects nothing. */
export function compileSelector(spec: LabelSelectorSpec | null | undefined): LabelSelector {
  return compileLabelSelector(spec);
}

/** A selector from a plain label map (ReplicationController's spec.selector, labels.SelectorFromSet). */
export function selectorFromSet(set: Record<string, string> | null | undefined): LabelSelector {
  return compileLabelSelector({ matchLabels: set ?? {} });
}

export function selectorMatches(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  return matchesLabels(sel, labels ?? {});
}

/** True for `{}`: upstream refuses to let a workload controller select every pod in a namespace. */
export function selectsEverything(sel: LabelSelector): boolean {
  return isEmptySelector(sel);
}

/** One-shot match of a LabelSelector object against labels (compile once and reuse in loops instead). */
export function labelSelectorMatches(spec: LabelSelectorSpec | null | undefined, labels: Record<string, string> | undefined): boolean {
  return matchesLabels(compileLabelSelector(spec), labels ?? {});
}

/**
 * The selector as a `labelSelector=` query string (labels.Selector.String()): `a=b,c in (d,e),!f`, keys sorted.
 * Nothing-selectors have no text form; callers must not list with them.
 */
export function selectorString(sel: LabelSelector): string {
  if (sel.nothing) throw new Error('a selector that selects nothing has no string form');
  return sel.reqs
    .map((r) => {
      switch (r.op) {
        case 'In': return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${[...r.values].sort().join(',')})`;
        case 'NotIn': return `${r.key} notin (${[...r.values].sort().join(',')})`;
        case 'Exists': return r.key;
        case 'DoesNotExist': return `!${r.key}`;
      }
    })
    .join(',');
}
