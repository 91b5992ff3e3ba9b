/**
 * Label selectors and node selector terms as the scheduler evaluates them, parsed once per object.
 * Semantics follow apimachinery's labels.Selector (metav1.LabelSelectorAsSelector) and component-helpers'
 * nodeaffinity: a nil selector matches nothing, an empty one everything; a node selector term with no
 * requirements, or with an invalid one, matches nothing.
 */

export type SelectorOp = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
export interface LabelRequirement { key: string; op: SelectorOp; values: string[] }

/** A compiled label selector. `nothing` is labels.Nothing() (nil or invalid selector). */
export interface LabelSelector { nothing: boolean; reqs: LabelRequirement[] }

export const NOTHING: LabelSelector = { nothing: true, reqs: [] };

interface RawSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key?: string; operator?: string; values?: string[] }[];
}

export function compileLabelSelector(raw: unknown): LabelSelector {
  if (raw === null || raw === undefined || typeof raw !== 'object') return NOTHING;
  const sel = raw as RawSelector;
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key, op: 'In', values: [String(value)] });
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator;
    const values = (e.values ?? []).map(String);
    if (typeof e.key !== 'string') return NOTHING;
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) return NOTHING;
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length !== 0) return NOTHING;
    } else return NOTHING;
    reqs.push({ key: e.key, op, values });
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.op < b.op ? -1 : a.op > b.op ? 1 : 0));
  return { nothing: false, reqs };
}

export function isEmptySelector(s: LabelSelector): boolean {
  return !s.nothing && s.reqs.length === 0;
}

export function matchesLabels(s: LabelSelector, labels: Record<string, string>): boolean {
  if (s.nothing) return false;
  for (const r of s.reqs) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case 'In': if (!has || !r.values.includes(labels[r.key]!)) return false; break;
      case 'NotIn': if (has && r.values.includes(labels[r.key]!)) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
    }
  }
  return true;
}

/** A stable text form, used to intern selectors and to share per-node match counts between pods. */
export function selectorKey(s: LabelSelector): string {
  if (s.nothing) return '!';
  return s.reqs.map((r) => `${r.key}\u0001${r.op}\u0001${[...r.values].sort().join('\u0002')}`).join('\u0003');
}

/** Adds matchLabelKeys (In) and mismatchLabelKeys (NotIn) requirements from the pod's own labels. */
export function withLabelKeys(
  s: LabelSelector, labels: Record<string, string>, match: unknown, mismatch: unknown,
): LabelSelector {
  if (s.nothing) return s;
  const extra: LabelRequirement[] = [];
  for (const k of Array.isArray(match) ? match : []) {
    if (typeof k === 'string' && Object.prototype.hasOwnProperty.call(labels, k)) extra.push({ key: k, op: 'In', values: [labels[k]!] });
  }
  for (const k of Array.isArray(mismatch) ? mismatch : []) {
    if (typeof k === 'string' && Object.prototype.hasOwnProperty.call(labels, k)) extra.push({ key: k, op: 'NotIn', values: [labels[k]!] });
  }
  if (extra.length === 0) return s;
  const reqs = [...s.reqs, ...extra];
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.op < b.op ? -1 : a.op > b.op ? 1 : 0));
  return { nothing: false, reqs };
}

// ---- node selector terms (node affinity) ----

export type NodeOp = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
export interface NodeRequirement {
  /** 'label' reads node labels; 'field' reads metadata.name (the only field upstream supports). */
  kind: 'label' | 'field';
  key: string;
  op: NodeOp;
  values: string[];
  /** Gt/Lt bound, parsed as an int64. */
  bound: number;
}
/** Requirements ANDed; `valid: false` or no requirements means the term matches no node. */
export interface NodeTerm { valid: boolean; reqs: NodeRequirement[] }

const INT = /^[+-]?\d+$/;

/** Parses an integer label value as Go's strconv.ParseInt(v, 10, 64); NaN when it is not one. */
export function parseIntLabel(v: string): number {
  return INT.test(v) ? Number(v) : NaN;
}

interface RawNodeTerm {
  matchExpressions?: { key?: string; operator?: string; values?: string[] }[];
  matchFields?: { key?: string; operator?: string; values?: string[] }[];
}

function compileNodeRequirement(
  e: { key?: string; operator?: string; values?: string[] }, kind: 'label' | 'field',
): NodeRequirement | null {
  const op = e.operator;
  const values = (e.values ?? []).map(String);
  if (typeof e.key !== 'string') return null;
  if (kind === 'field') {
    if (e.key !== 'metadata.name' || (op !== 'In' && op !== 'NotIn') || values.length !== 1) return null;
    return { kind, key: e.key, op, values, bound: 0 };
  }
  switch (op) {
    case 'In': case 'NotIn':
      if (values.length === 0) return null;
      return { kind, key: e.key, op, values, bound: 0 };
    case 'Exists': case 'DoesNotExist':
      if (values.length !== 0) return null;
      return { kind, key: e.key, op, values, bound: 0 };
    case 'Gt': case 'Lt': {
      if (values.length !== 1) return null;
      const bound = parseIntLabel(values[0]!);
      if (Number.isNaN(bound)) return null;
      return { kind, key: e.key, op, values, bound };
    }
    default: return null;
  }
}

export function compileNodeTerm(raw: unknown): NodeTerm {
  if (raw === null || typeof raw !== 'object') return { valid: false, reqs: [] };
  const t = raw as RawNodeTerm;
  const reqs: NodeRequirement[] = [];
  let valid = true;
  for (const e of t.matchExpressions ?? []) {
    const r = compileNodeRequirement(e, 'label');
    if (r) reqs.push(r); else valid = false;
  }
  for (const e of t.matchFields ?? []) {
    const r = compileNodeRequirement(e, 'field');
    if (r) reqs.push(r); else valid = false;
  }
  return { valid: valid && reqs.length > 0, reqs };
}

export function matchesNodeTerm(t: NodeTerm, name: string, labels: Record<string, string>): boolean {
  if (!t.valid) return false;
  for (const r of t.reqs) {
    if (r.kind === 'field') {
      const inSet = r.values.includes(name);
      if (r.op === 'In' ? !inSet : inSet) return false;
      continue;
    }
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels[r.key]! : '';
    switch (r.op) {
      case 'In': if (!has || !r.values.includes(v)) return false; break;
      case 'NotIn': if (has && r.values.includes(v)) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      case 'Gt': case 'Lt': {
        if (!has) return false;
        const n = parseIntLabel(v);
        if (Number.isNaN(n)) return false;
        if (r.op === 'Gt' ? !(n > r.bound) : !(n < r.bound)) return false;
        break;
      }
    }
  }
  return true;
}
