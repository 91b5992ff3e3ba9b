/**
 * CustomResourceDefinitions: the built-in kind (kind.ts) and the controllers that serve each established CRD's
 * resource through the registry (controller.ts). The server starts them when it serves the CRD kind.
 */
import type { Registry } from '../registry.js';
import type { ObjectEngine } from '../routes/objects.js';
import { CRDController, type CRDControllerOptions } from './controller.js';
import { GROUP } from './definition.js';

export { customresourcedefinitions } from './kind.js';

/** Starts the CRD controllers when the registry serves CustomResourceDefinitions; resolves after their first pass. */
export async function startCustomResources(
  engine: ObjectEngine, registry: Registry, opts: CRDControllerOptions = {},
): Promise<CRDController | undefined> {
  const crdType = registry.lookup(GROUP, 'v1', 'customresourcedefinitions');
  if (!crdType) return undefined;
  const c = new CRDController(engine, registry, crdType, opts);
  await c.start();
  return c;
}
