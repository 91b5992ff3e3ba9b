/**
 * Admission plugins in order, as kube-apiserver runs its --enable-admission-plugins: each mutating step sees the
 * previous one's object; validation asks each in turn and stops at the first refusal. Only the plugins that can
 * act on a write's kind, subresource and operation are asked (their `handles`, remembered per target): a lease
 * renewal or a pod create skips the plugins of other kinds instead of calling each to return at once.
 */
import type { KubeObject, ResourceType } from '../resource.js';
import type { Admission, AdmissionAttributes, AdmissionTarget } from './types.js';

interface Selected { admit: readonly Admission[]; validate: readonly Admission[] }

export class AdmissionChain implements Admission {
  /** The plugins asked, by kind (a CRD's new ResourceType starts afresh), then operation and subresource. */
  private readonly selected = new WeakMap<ResourceType, Map<string, Selected>>();

  constructor(readonly plugins: readonly Admission[]) {}

  /** The plugins that may act on this target, in chain order. */
  pluginsFor(a: AdmissionTarget): Selected {
    let byTarget = this.selected.get(a.resource);
    if (!byTarget) this.selected.set(a.resource, (byTarget = new Map()));
    const key = `${a.operation} ${a.subresource}`;
    let s = byTarget.get(key);
    if (!s) {
      const t: AdmissionTarget = { operation: a.operation, resource: a.resource, subresource: a.subresource };
      s = {
        admit: this.plugins.filter((p) => !p.handles || p.handles('admit', t)),
        validate: this.plugins.filter((p) => !p.handles || p.handles('validate', t)),
      };
      byTarget.set(key, s);
    }
    return s;
  }

  async admit(a: AdmissionAttributes): Promise<KubeObject | null> {
    let obj = a.object;
    for (const p of this.pluginsFor(a).admit) {
      // The attributes copied only once a plugin returned another object; a synchronous answer is not awaited.
      const r = p.admit(obj === a.object ? a : { ...a, object: obj });
      obj = r instanceof Promise ? await r : r;
    }
    return obj;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    for (const p of this.pluginsFor(a).validate) await p.validate(a);
  }

  handles(phase: 'admit' | 'validate', t: AdmissionTarget): boolean {
    return this.pluginsFor(t)[phase].length > 0;
  }
}
