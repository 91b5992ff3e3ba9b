/**
 * managedFieldsAfterUpdate starts from the sets it wrote when the live object's managedFields are the very array it
 * returned (an object from the watch cache): every step must give exactly what decoding those entries gives.
 */
import { describe, expect, it } from 'vitest';
import { managedFieldsAfterUpdate } from '../../../../../src/control/api/patch/apply/update.js';
import type { KubeObject } from '../../../../../src/control/api/resource.js';

const at = (s: number) => new Date(Date.parse('2026-11-25T12:00:00Z') + s * 1000);
const lease = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
  metadata: { name: 'n1', namespace: 'kube-node-lease', uid: 'u1', ...meta },
  spec,
});

/** Applies `steps` twice: live as returned (shared arrays) and live as a fresh decode (JSON copy); both must agree. */
function run(steps: { obj: KubeObject; manager: string }[]) {
  let shared: KubeObject | null = null;
  let copied: KubeObject | null = null;
  steps.forEach((step, i) => {
    const a = managedFieldsAfterUpdate(shared, step.obj, step.manager, 'coordination.k8s.io/v1', at(i * 70), { definition: 'io.k8s.api.coordination.v1.Lease' });
    const b = managedFieldsAfterUpdate(copied, step.obj, step.manager, 'coordination.k8s.io/v1', at(i * 70), { definition: 'io.k8s.api.coordination.v1.Lease' });
    expect(JSON.parse(JSON.stringify(a ?? null))).toEqual(JSON.parse(JSON.stringify(b ?? null)));
    shared = { ...step.obj, metadata: { ...step.obj.metadata, ...(a ? { managedFields: a } : {}) } };
    copied = JSON.parse(JSON.stringify(shared)) as KubeObject;
  });
  return shared as unknown as KubeObject;
}

describe('managedFieldsAfterUpdate from the sets it wrote', () => {
  it('a renewal of owned fields moves only the time, the rest as decoding gives', () => {
    const last = run([
      { obj: lease({ holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2026-11-25T12:00:00.000000Z' }), manager: 'kubelet' },
      { obj: lease({ holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2026-11-25T12:01:10.000000Z' }), manager: 'kubelet' },
      { obj: lease({ holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2026-11-25T12:02:20.000000Z' }), manager: 'kubelet' },
    ]);
    expect(last.metadata!.managedFields).toEqual([{
      manager: 'kubelet', operation: 'Update', apiVersion: 'coordination.k8s.io/v1', time: '2026-11-25T12:02:20Z', fieldsType: 'FieldsV1',
      fieldsV1: { 'f:spec': { 'f:holderIdentity': {}, 'f:leaseDurationSeconds': {}, 'f:renewTime': {} } },
    }]);
  });

  it('other managers taking, adding and removing fields, labels and owner references', () => {
    const base = { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2026-11-25T12:00:00.000000Z' };
    const owner = { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid' }] };
    const last = run([
      { obj: lease(base), manager: 'kubelet' },
      { obj: lease({ ...base, renewTime: 'x1' }, owner), manager: 'kubelet' },
      { obj: lease({ ...base, renewTime: 'x1', holderIdentity: 'other' }, owner), manager: 'kubectl' },
      { obj: lease({ ...base, renewTime: 'x2', holderIdentity: 'other' }, { ...owner, labels: { a: 'b' } }), manager: 'kubelet' },
      { obj: lease({ renewTime: 'x3', holderIdentity: 'other' }, { labels: { a: 'b' } }), manager: 'kubelet' },
      { obj: lease({ renewTime: 'x3', holderIdentity: 'n1', leaseTransitions: 1 }, { labels: { a: 'c' }, generation: 5 }), manager: 'kubectl' },
      { obj: lease({ renewTime: 'x4', holderIdentity: 'n1', leaseTransitions: 1 }, { labels: { a: 'c' } }), manager: 'kubelet' },
    ]);
    expect((last.metadata!.managedFields as { manager: string }[]).map((e) => e.manager).sort()).toEqual(['kubectl', 'kubelet']);
  });
});
