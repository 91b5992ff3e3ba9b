/**
 * Label selectors as apimachinery's labels.Parse reads them: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, comma-separated and ANDed. `!=` and `notin` also match objects
 * without the label, as upstream.
 */
import { badRequest } from '../status.js';

export type LabelOperator = 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  op: LabelOperator;
  values: string[];
}

export type LabelSelector = LabelRequirement[];

const KEY_RE = /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;
const VALUE_RE = /^([a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?)?$/;

function checkKey(key: string, text: string): void {
  if (!KEY_RE.test(key) || key.length > 317) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${text}"`);
}
function checkValue(v: string, text: string): void {
  if (!VALUE_RE.test(v) || v.length > 63) throw badRequest(`unable to parse requirement: invalid label value: "${v}" in selector "${text}"`);
}

/** Splits on commas that are not inside a parenthesised set. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text || !text.trim()) return [];
  const out: LabelSelector = [];
  for (const rawPart of splitTop(text)) {
    const part = rawPart.trim();
    if (!part) throw badRequest(`found '', expected: identifier in selector "${text}"`);
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^!\s*(\S+)$/))) {
      checkKey(m[1]!, text);
      out.push({ key: m[1]!, op: '!', values: [] });
    } else if ((m = part.match(/^(\S+?)\s+(in|notin)\s*\((.*)\)$/))) {
      checkKey(m[1]!, text);
      const values = m[3]!.split(',').map((v) => v.trim());
      if (m[3]!.trim() === '') throw badRequest(`found ')', expected: identifier in selector "${text}"`);
      values.forEach((v) => checkValue(v, text));
      out.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values });
    } else if ((m = part.match(/^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      checkKey(key, text);
      const v = value.trim();
      if (op === '>' || op === '<') {
        if (!/^-?\d+$/.test(v)) throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer in selector "${text}"`);
        out.push({ key, op: op === '>' ? 'gt' : 'lt', values: [v] });
      } else {
        checkValue(v, text);
        out.push({ key, op: op === '!=' ? 'notin' : 'in', values: [v] });
      }
    } else if ((m = part.match(/^(\S+)$/))) {
      checkKey(m[1]!, text);
      out.push({ key: m[1]!, op: 'exists', values: [] });
    } else {
      throw badRequest(`unable to parse requirement: couldn't parse the selector string "${text}"`);
    }
  }
  return out;
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const r of sel) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels![r.key]! : undefined;
    switch (r.op) {
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        if (r.op === 'gt' ? !(n > bound) : !(n < bound)) return false;
      }
    }
  }
  return true;
}

/** A metav1.LabelSelector object (matchLabels + matchExpressions). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function fromLabelSelectorObject(s: LabelSelectorObject): LabelSelector {
  const out: LabelSelector = [];
  for (const [key, v] of Object.entries(s.matchLabels ?? {})) out.push({ key, op: 'in', values: [v] });
  for (const e of s.matchExpressions ?? []) {
    const op = e.operator;
    if (op === 'In') out.push({ key: e.key, op: 'in', values: [...(e.values ?? [])] });
    else if (op === 'NotIn') out.push({ key: e.key, op: 'notin', values: [...(e.values ?? [])] });
    else if (op === 'Exists') out.push({ key: e.key, op: 'exists', values: [] });
    else if (op === 'DoesNotExist') out.push({ key: e.key, op: '!', values: [] });
  }
  return out;
}

/** labels.Selector.String(): requirements sorted by key, set values sorted, `=` for single-value in. */
export function formatLabelSelector(sel: LabelSelector): string {
  const sorted = [...sel].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return sorted
    .map((r) => {
      const vals = [...r.values].sort();
      switch (r.op) {
        case 'in':
          return vals.length === 1 ? `${r.key}=${vals[0]}` : `${r.key} in (${vals.join(',')})`;
        case 'notin':
          return vals.length === 1 ? `${r.key}!=${vals[0]}` : `${r.key} notin (${vals.join(',')})`;
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        case 'gt':
          return `${r.key}>${vals[0]}`;
        case 'lt':
          return `${r.key}<${vals[0]}`;
      }
    })
    .join(',');
}
