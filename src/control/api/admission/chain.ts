/**
 * Admission plugins in order, as kube-apiserver runs its --enable-admission-plugins: each mutating step sees the
 * previous one's object; validation asks each in turn and stops at the first refusal.
 */
import type { KubeObject } from '../resource.js';
import type { Admission, AdmissionAttributes } from './types.js';

export class AdmissionChain implements Admission {
  constructor(readonly plugins: readonly Admission[]) {}

  async admit(a: AdmissionAttributes): Promise<KubeObject | null> {
    let obj = a.object;
    for (const p of this.plugins) obj = await p.admit({ ...a, object: obj });
    return obj;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) await p.validate(a);
  }
}
