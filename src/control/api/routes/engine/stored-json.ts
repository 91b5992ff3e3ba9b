import type { KubeObject } from '../../resource.js';
import { withResourceVersion } from '../../watch/cache.js';

/**
 * The JSON of objects create and update just stored (their bytes with resourceVersion spliced in), so the
 * response need not serialise them again; only while the object still carries that resourceVersion.
 */
export class StoredJson {
  private readonly texts = new WeakMap<KubeObject, { text: string; rv: string }>();

  remember(obj: KubeObject, stored: string, revision: number): void {
    const text = withResourceVersion(stored, revision);
    if (text !== null) this.texts.set(obj, { text, rv: String(revision) });
  }

  /** `obj`'s JSON as stored by the create or update that returned it; undefined for any other object. */
  of(obj: KubeObject): string | undefined {
    const s = this.texts.get(obj);
    return s && obj.metadata?.resourceVersion === s.rv ? s.text : undefined;
  }
}
