/**
 * The attribute lists of @kubernetes/client-node's generated model classes, read from the package's files rather
 * than imported: importing its models/all.js evaluates ~720 modules (~0.45-0.6 s of CPU in every process that
 * loads the API server), while the catalog needs only each class's static `attributeTypeMap`, which every
 * generated file sets to a JSON array literal. A class is known when all.js exports it (the folder also holds
 * files of older models that all.js no longer exports). test/unit/api/openapi/model-attributes.test.ts checks
 * every class against the imported modules.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ModelAttribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

/** The folder of the package's model files. */
export const MODEL_DIR = dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node/dist/gen/models/all.js'));

let exported: Set<string> | undefined;
const attributes = new Map<string, ModelAttribute[] | undefined>();

/** The class names models/all.js re-exports (one class per file, named as its file). */
export function modelClassNames(): Set<string> {
  exported ??= new Set(Array.from(readFileSync(join(MODEL_DIR, 'all.js'), 'utf8').matchAll(/^export \* from '\.\.\/models\/(\w+)\.js';$/gm), (m) => m[1]!));
  return exported;
}

/** A model class's `attributeTypeMap`, or undefined when the package exports no such model. */
export function modelAttributes(cls: string): ModelAttribute[] | undefined {
  if (attributes.has(cls)) return attributes.get(cls);
  let found: ModelAttribute[] | undefined;
  if (/^\w+$/.test(cls) && modelClassNames().has(cls)) {
    const text = readFileSync(join(MODEL_DIR, `${cls}.js`), 'utf8');
    const literal = new RegExp(`\\n${cls}\\.attributeTypeMap = (\\[[\\s\\S]*?\\n\\]);\\n`).exec(text);
    if (literal) found = JSON.parse(literal[1]!) as ModelAttribute[];
  }
  attributes.set(cls, found);
  return found;
}
