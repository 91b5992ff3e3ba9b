/**
 * The part of CEL's type check that CRD authors meet most: a rule that selects a field its schema does not
 * declare (`self.replicsa`) does not compile, as upstream's checker refuses it against the schema's declared
 * types ("undefined field 'replicsa'"). Fields are followed through self/oldSelf, nested objects, list items
 * (`[i]`, all/exists/map/filter variables) and map values; anything the schema leaves open (preserved unknown
 * fields, untyped values) is not checked.
 */
import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { isObject, itemsOf, type JSONSchemaProps } from './schema/types.js';

export interface UndefinedField {
  field: string;
  offset: number;
}

type Scope = ReadonlyMap<string, JSONSchemaProps | undefined>;

/** The schema of the value an expression yields, when it is a field path into the object; undefined otherwise. */
function resolve(e: Expr, scope: Scope, out: UndefinedField[], positions: Record<string, number>): JSONSchemaProps | undefined {
  const k = e.exprKind;
  switch (k.case) {
    case 'identExpr':
      return scope.get(k.value.name);
    case 'selectExpr': {
      const s = resolve(k.value.operand!, scope, out, positions);
      if (!s || s['x-kubernetes-preserve-unknown-fields'] || s['x-kubernetes-embedded-resource']) return undefined;
      const field = k.value.field;
      if (s.properties) {
        const p = s.properties[field];
        // The root also has apiVersion, kind and metadata whether or not the schema names them.
        if (!p && !['apiVersion', 'kind', 'metadata'].includes(field)) out.push({ field, offset: positions[String(e.id)] ?? 0 });
        return p;
      }
      if (isObject(s.additionalProperties)) return s.additionalProperties as JSONSchemaProps;
      return undefined;
    }
    case 'callExpr': {
      const target = k.value.target ? resolve(k.value.target, scope, out, positions) : undefined;
      const args = k.value.args.map((a) => resolve(a, scope, out, positions));
      if (k.value.function === '_[_]' && args[0]) {
        const on = args[0];
        if (on.type === 'array') return itemsOf(on);
        if (isObject(on.additionalProperties)) return on.additionalProperties as JSONSchemaProps;
      }
      void target;
      return undefined;
    }
    case 'comprehensionExpr': {
      const c = k.value;
      const range = resolve(c.iterRange!, scope, out, positions);
      const inner = new Map(scope);
      // Over a list the variable is an item; over a map it is a key (a string).
      inner.set(c.iterVar, range?.type === 'array' ? itemsOf(range) : undefined);
      if (c.iterVar2) inner.set(c.iterVar2, range?.type === 'array' ? itemsOf(range) : isObject(range?.additionalProperties) ? range!.additionalProperties as JSONSchemaProps : undefined);
      inner.set(c.accuVar, undefined);
      if (c.accuInit) resolve(c.accuInit, scope, out, positions);
      for (const part of [c.loopCondition, c.loopStep, c.result]) if (part) resolve(part, inner, out, positions);
      return undefined;
    }
    case 'listExpr':
      for (const el of k.value.elements) resolve(el, scope, out, positions);
      return undefined;
    case 'structExpr':
      for (const en of k.value.entries) {
        if (en.keyKind.case === 'mapKey') resolve(en.keyKind.value, scope, out, positions);
        if (en.value) resolve(en.value, scope, out, positions);
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Undefined fields a rule selects, with their offsets in the rule text. */
export function undefinedFields(expr: Expr, positions: Record<string, number>, self: JSONSchemaProps): UndefinedField[] {
  const out: UndefinedField[] = [];
  resolve(expr, new Map([['self', self], ['oldSelf', self]]), out, positions);
  return out;
}

/** cel-go's error text: `<input>:L:C: msg` and the source line with a caret under the column. */
export function celErrorText(source: string, offset: number, message: string): string {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - (before.lastIndexOf('\n') + 1);
  const text = source.split('\n')[line - 1] ?? '';
  return `ERROR: <input>:${line}:${col + 1}: ${message}\n | ${text}\n | ${'.'.repeat(col)}^`;
}
