/**
 * JSON Patch (RFC 6902) with JSON Pointer paths (RFC 6901). Operations apply in order to a private copy; the first
 * failure aborts the whole patch. Messages follow the json-patch library kube-apiserver uses.
 */
import { PatchError, cloneJson, isObject, jsonEqual } from './errors.js';

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
  hasValue: boolean;
}

/** Checks the document is a list of operations; malformed → 400. */
export function decodeJsonPatch(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) {
    throw new PatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  return patch.map((raw, i) => {
    if (!isObject(raw)) throw new PatchError(`json: cannot unmarshal operation ${i} into Go value of type jsonpatch.Operation`);
    const op = raw.op;
    if (typeof op !== 'string') throw new PatchError(`operation ${i}: missing or invalid "op"`);
    if (typeof raw.path !== 'string') throw new PatchError(`operation ${i} (${op}): missing or invalid "path"`);
    if ((op === 'move' || op === 'copy') && typeof raw.from !== 'string') {
      throw new PatchError(`operation ${i} (${op}): missing or invalid "from"`);
    }
    const hasValue = Object.prototype.hasOwnProperty.call(raw, 'value');
    if ((op === 'add' || op === 'replace' || op === 'test') && !hasValue) {
      throw new PatchError(`operation ${i} (${op}): missing "value"`);
    }
    return { op, path: raw.path, from: raw.from as string | undefined, value: raw.value, hasValue };
  });
}

/** Splits a JSON pointer into unescaped reference tokens. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`JSON pointer must be empty or start with a "/": ${pointer}`, 422);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

/** Walks to the parent of the pointer's target. */
function parentOf(doc: unknown, tokens: string[], op: string, pointer: string): { parent: Container; key: string } {
  let node = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i]!;
    if (Array.isArray(node)) {
      const idx = arrayIndex(t, node.length - 1, pointer);
      node = node[idx];
    } else if (isObject(node) && Object.prototype.hasOwnProperty.call(node, t)) {
      node = node[t];
    } else {
      throw new PatchError(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`, 422);
    }
  }
  if (!Array.isArray(node) && !isObject(node)) {
    throw new PatchError(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`, 422);
  }
  return { parent: node, key: tokens[tokens.length - 1]! };
}

function arrayIndex(token: string, max: number, pointer: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) {
    throw new PatchError(`Unable to access invalid index: ${token} in ${pointer}: invalid index referenced`, 422);
  }
  const idx = Number(token);
  if (idx > max) throw new PatchError(`Unable to access invalid index: ${idx}: invalid index referenced`, 422);
  return idx;
}

function get(doc: unknown, pointer: string, op: string): unknown {
  let node = doc;
  for (const t of parsePointer(pointer)) {
    if (Array.isArray(node)) node = node[arrayIndex(t, node.length - 1, pointer)];
    else if (isObject(node) && Object.prototype.hasOwnProperty.call(node, t)) node = node[t];
    else throw new PatchError(`${op} operation does not apply: doc is missing from path: ${pointer}: missing value`, 422);
  }
  return node;
}

/** Returns the new document (the root may be replaced by an operation on ""). */
function add(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, 'add', pointer);
  if (Array.isArray(parent)) {
    const idx = key === '-' ? parent.length : arrayIndex(key, parent.length, pointer);
    parent.splice(idx, 0, value);
  } else {
    parent[key] = value;
  }
  return doc;
}

function remove(doc: unknown, pointer: string, op = 'remove'): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new PatchError(`${op} operation does not apply: cannot remove the whole document`, 422);
  const { parent, key } = parentOf(doc, tokens, op, pointer);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(key, parent.length - 1, pointer), 1);
  } else {
    if (!Object.prototype.hasOwnProperty.call(parent, key)) {
      throw new PatchError(`Unable to remove nonexistent key: ${key}: missing value`, 422);
    }
    delete parent[key];
  }
  return doc;
}

function replace(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, 'replace', pointer);
  if (Array.isArray(parent)) {
    parent[arrayIndex(key, parent.length - 1, pointer)] = value;
  } else {
    if (!Object.prototype.hasOwnProperty.call(parent, key)) {
      throw new PatchError(`replace operation does not apply: doc is missing key: ${pointer}: missing value`, 422);
    }
    parent[key] = value;
  }
  return doc;
}

/** Applies the operations to a copy of `doc`; `doc` itself is never changed. */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  const ops = decodeJsonPatch(patch);
  let out = cloneJson(doc);
  for (const o of ops) {
    switch (o.op) {
      case 'add':
        out = add(out, o.path, cloneJson(o.value));
        break;
      case 'remove':
        out = remove(out, o.path);
        break;
      case 'replace':
        out = replace(out, o.path, cloneJson(o.value));
        break;
      case 'move': {
        if (o.path !== o.from && o.path.startsWith(`${o.from}/`)) {
          throw new PatchError(`move operation does not apply: "from" ${o.from} is a prefix of "path" ${o.path}`, 422);
        }
        const value = get(out, o.from!, 'move');
        out = remove(out, o.from!, 'move');
        out = add(out, o.path, value);
        break;
      }
      case 'copy':
        out = add(out, o.path, cloneJson(get(out, o.from!, 'copy')));
        break;
      case 'test': {
        let actual: unknown;
        try {
          actual = get(out, o.path, 'test');
        } catch {
          throw new PatchError(`testing value ${o.path} failed: test failed`, 422);
        }
        if (!jsonEqual(actual, o.value)) throw new PatchError(`testing value ${o.path} failed: test failed`, 422);
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${o.op}`);
    }
  }
  return out;
}
