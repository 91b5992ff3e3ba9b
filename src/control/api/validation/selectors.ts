/** metav1.LabelSelector: validation, matching and the selector string upstream prints (`app=web,tier in (a,b)`). */
import type { FieldError } from '../resource.js';
import { invalid, required, forbidden } from './errors.js';
import { validateLabels, isQualifiedName, isValidLabelValue } from './labels.js';

import type { LabelSelector, LabelSelectorRequirement } from '../../../client/types.js';

export type { LabelSelector, LabelSelectorRequirement };

// Request bodies are untyped JSON: read selector parts defensively so malformed input is an error, not a crash.
const labelsOf = (sel: LabelSelector): Array<[string, unknown]> =>
  typeof sel.matchLabels === 'object' && sel.matchLabels !== null && !Array.isArray(sel.matchLabels) ? Object.entries(sel.matchLabels) : [];
const expressionsOf = (sel: LabelSelector): LabelSelectorRequirement[] =>
  Array.isArray(sel.matchExpressions)
    ? sel.matchExpressions.filter((r): r is LabelSelectorRequirement => typeof r === 'object' && r !== null)
    : [];
const valuesOf = (r: LabelSelectorRequirement): string[] => (Array.isArray(r.values) ? r.values.map(String) : []);

export function validateLabelSelector(sel: unknown, field: string): FieldError[] {
  if (sel === undefined || sel === null) return [];
  if (typeof sel !== 'object' || Array.isArray(sel)) return [invalid(field, sel, 'must be a label selector object')];
  const s = sel as LabelSelector;
  const errs = validateLabels(s.matchLabels, `${field}.matchLabels`);
  if (s.matchExpressions !== undefined && !Array.isArray(s.matchExpressions)) {
    return [...errs, invalid(`${field}.matchExpressions`, s.matchExpressions, 'must be a list')];
  }
  (s.matchExpressions ?? []).forEach((r: unknown, i) => {
    const p = `${field}.matchExpressions[${i}]`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) { errs.push(invalid(p, r, 'must be a label selector requirement')); return; }
    const req = r as LabelSelectorRequirement;
    if (req.values !== undefined && req.values !== null && !Array.isArray(req.values)) {
      errs.push(invalid(`${p}.values`, req.values, 'must be a list of strings'));
    }
    const values = valuesOf(req);
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(`${p}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(forbidden(`${p}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\''));
        break;
      default:
        errs.push(invalid(`${p}.operator`, req.operator, 'not a valid selector operator'));
    }
    for (const m of isQualifiedName(String(req.key ?? ''))) errs.push(invalid(`${p}.key`, req.key, m));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(String(v))) errs.push(invalid(`${p}.values[${j}]`, v, m));
    });
  });
  return errs;
}

/** Whether a selector matches a label set; an empty selector matches everything, as upstream. */
export function selectorMatches(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = typeof labels === 'object' && labels !== null ? labels : {};
  for (const [k, v] of labelsOf(sel)) if (l[k] !== v) return false;
  for (const r of expressionsOf(sel)) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const vals = valuesOf(r);
    switch (r.operator) {
      case 'In': if (!has || !vals.includes(l[r.key]!)) return false; break;
      case 'NotIn': if (has && vals.includes(l[r.key]!)) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

export const selectorIsEmpty = (sel: LabelSelector): boolean =>
  labelsOf(sel).length === 0 && expressionsOf(sel).length === 0;

/** The selector string upstream prints: requirements sorted by key, values sorted. */
export function selectorString(sel: LabelSelector | undefined): string {
  if (!sel || typeof sel !== 'object') return '';
  const reqs: Array<[string, string]> = [];
  for (const [k, v] of labelsOf(sel)) reqs.push([k, `${k}=${String(v)}`]);
  for (const r of expressionsOf(sel)) {
    const vals = [...valuesOf(r)].sort().join(',');
    const text = r.operator === 'In' ? `${r.key} in (${vals})`
      : r.operator === 'NotIn' ? `${r.key} notin (${vals})`
        : r.operator === 'Exists' ? r.key
          : `!${r.key}`;
    reqs.push([r.key, text]);
  }
  return reqs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((r) => r[1]).join(',');
}

/** labels.FormatLabels: `k=v,k2=v2` sorted by key, `<none>` when empty. */
export function formatLabels(m: Record<string, string> | undefined): string {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return '<none>';
  const keys = Object.keys(m).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${m![k]}`).join(',');
}
