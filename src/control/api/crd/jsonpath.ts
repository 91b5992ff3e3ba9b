/**
 * The JSONPath subset additionalPrinterColumns and scale paths use, evaluated as kubectl's jsonpath would with
 * the path wrapped in `{…}`: `.a.b`, `['a.b']`, `[0]`, `[-1]`, `[*]`, `..` is not supported, and filters
 * `[?(@.type=="Ready")]` (==, != on strings, numbers and booleans; or a bare `@.x` for presence).
 */
import { isObject } from './schema/types.js';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: Step[]; op?: '==' | '!='; value?: unknown };

export class JSONPathError extends Error {}

/** Parses `.spec.replicas` (or `{.spec.replicas}`) into steps; throws JSONPathError when it cannot. */
export function parseJSONPath(text: string): Step[] {
  let s = text.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  if (s.startsWith('$')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new JSONPathError(`invalid JSONPath ${JSON.stringify(text)}: ${why}`);
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '.') {
      if (s[i + 1] === '.') fail('recursive descent is not supported');
      let j = i + 1;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      const name = s.slice(i + 1, j);
      if (name === '*') steps.push({ kind: 'all' });
      else if (name) steps.push({ kind: 'field', name });
      i = j;
    } else if (c === '[') {
      const end = matchingBracket(s, i);
      if (end < 0) fail('unterminated [');
      const inner = s.slice(i + 1, end).trim();
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1).trim(), fail));
      else fail(`unsupported subscript [${inner}]`);
      i = end + 1;
    } else {
      // A leading bare name (`spec.replicas`).
      let j = i;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      steps.push({ kind: 'field', name: s.slice(i, j) });
      i = j;
    }
  }
  return steps;
}

function matchingBracket(s: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i;
  }
  return -1;
}

function parseFilter(expr: string, fail: (why: string) => never): Step {
  const m = /^@((?:\.[^.=!\s]+)+)\s*(?:(==|!=)\s*(.+))?$/.exec(expr);
  if (!m) return fail(`unsupported filter ?(${expr})`);
  const path = parseJSONPath(m[1]!);
  if (!m[2]) return { kind: 'filter', path };
  const raw = m[3]!.trim();
  let value: unknown;
  if (/^'.*'$|^".*"$/.test(raw)) value = raw.slice(1, -1);
  else if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (!Number.isNaN(Number(raw))) value = Number(raw);
  else return fail(`unsupported filter value ${raw}`);
  return { kind: 'filter', path, op: m[2] as '==' | '!=', value };
}

/** Every value the path selects, in document order (none when a step finds nothing). */
export function findResults(obj: unknown, steps: Step[]): unknown[] {
  let cur: unknown[] = [obj];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (step.kind) {
        case 'field':
          if (isObject(v) && Object.hasOwn(v, step.name)) next.push(v[step.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const i = step.index < 0 ? v.length + step.index : step.index;
            if (i >= 0 && i < v.length) next.push(v[i]);
          }
          break;
        case 'all':
          if (Array.isArray(v)) next.push(...v);
          else if (isObject(v)) next.push(...Object.values(v));
          break;
        case 'filter':
          if (Array.isArray(v)) {
            for (const item of v) {
              const found = findResults(item, step.path);
              if (step.op === undefined ? found.length > 0 : found.length > 0 && (step.op === '==') === (found[0] === step.value)) next.push(item);
            }
          }
          break;
      }
    }
    cur = next;
  }
  return cur;
}

/** kubectl's jsonpath printing of one value: strings bare, other scalars as text, objects and lists as JSON. */
export function printValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
