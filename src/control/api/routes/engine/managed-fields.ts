import type { KubeObject, ResourceType } from '../../resource.js';
import { groupVersion } from '../../resource.js';
import { managedFieldsAfterUpdate } from '../../patch/apply/index.js';
import type { EngineContext } from './context.js';

/**
 * Sets obj's metadata.managedFields to record an ordinary write (live null: a create) by `manager`. `r` is the
 * version the write was served in: for a converted version the objects (stored form) are compared as that version.
 */
export function track(
  ctx: Pick<EngineContext, 'now'>, r: ResourceType, live: KubeObject | null, obj: KubeObject, manager: string, subresource: string,
): void {
  const view = r.conversion?.fromStorage;
  const before = live && view ? view(live) : live;
  const after = view ? view(obj) : obj;
  const entries = managedFieldsAfterUpdate(before, after, manager, groupVersion(r), ctx.now(), { definition: r.definition, subresource });
  const meta = (obj.metadata ??= {});
  if (entries) meta.managedFields = entries;
  else delete meta.managedFields;
}
