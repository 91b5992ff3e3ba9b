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

/**
 * A writer changing only leaves it alone owns skips the comparison (only its entry's time moves): each step must
 * give byte for byte what the full comparison gives, whether the shortcut applies or not.
 */
describe('managedFieldsAfterUpdate shortcut for a writer\'s own leaves', () => {
  const def = (obj: KubeObject) => `io.k8s.api.${obj.apiVersion!.includes('/') ? obj.apiVersion!.split('.')[0] : 'core'}.v1.${obj.kind}`;
  function same(steps: { obj: KubeObject; manager: string; sub?: string }[]) {
    let live: KubeObject | null = null;
    steps.forEach((step, i) => {
      const opts = { definition: def(step.obj), subresource: step.sub ?? '' };
      const gv = step.obj.apiVersion!;
      const fast = managedFieldsAfterUpdate(live, step.obj, step.manager, gv, at(i * 70), opts);
      const full = managedFieldsAfterUpdate(live, step.obj, step.manager, gv, at(i * 70), { ...opts, fullComparison: true });
      expect(JSON.stringify(fast ?? null)).toBe(JSON.stringify(full ?? null));
      live = { ...step.obj, metadata: { ...step.obj.metadata, ...(fast ? { managedFields: fast } : {}) } };
    });
    return live as unknown as KubeObject;
  }
  const base = { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2026-11-25T12:00:00.000000Z' };

  it('renewals, labels, a field another manager took, a removed field', () => {
    const last = same([
      { obj: lease(base), manager: 'kubelet' },
      { obj: lease({ ...base, renewTime: 'x1' }), manager: 'kubelet' },
      { obj: lease({ ...base, renewTime: 'x1' }, { labels: { a: 'b' } }), manager: 'kubectl' },
      { obj: lease({ ...base, renewTime: 'x2' }, { labels: { a: 'c' } }), manager: 'kubectl' },
      { obj: lease({ ...base, renewTime: 'x3' }, { labels: { a: 'd' } }), manager: 'kubelet' },
      { obj: lease({ ...base, renewTime: 'x4' }, { labels: { a: 'd' } }), manager: 'kubelet' },
      { obj: lease({ ...base, renewTime: 'x4', holderIdentity: 'other' }, { labels: { a: 'e' } }), manager: 'kubectl' },
      { obj: lease({ ...base, renewTime: 'x5', holderIdentity: 'other' }, { labels: { a: 'e' } }), manager: 'kubelet' },
      { obj: lease({ renewTime: 'x6', holderIdentity: 'other' }, { labels: { a: 'e' } }), manager: 'kubelet' },
      { obj: lease({ renewTime: 'x7', holderIdentity: 'other' }, { labels: { a: 'e' }, generation: 3 }), manager: 'kubelet' },
      { obj: lease({ renewTime: 'x8', holderIdentity: 'other' }, { labels: { a: 'e' }, resourceVersion: '9' }), manager: 'kubelet' },
    ]);
    const entries = last.metadata!.managedFields as { manager: string; time: string }[];
    expect(entries.find((e) => e.manager === 'kubelet')!.time).toBe(at(10 * 70).toISOString().replace('.000', ''));
  });

  it('a renewal moving the writer\'s entry past another manager\'s (entries sort by time)', () => {
    const last = same([
      { obj: lease(base), manager: 'kubelet' },
      { obj: lease({ ...base, renewTime: 'x1' }, { labels: { a: 'b' } }), manager: 'kubectl' },
      { obj: lease({ ...base, renewTime: 'x2' }, { labels: { a: 'b' } }), manager: 'kubelet' },
      { obj: lease({ ...base, renewTime: 'x3' }, { labels: { a: 'b' } }), manager: 'kubelet' },
    ]);
    expect((last.metadata!.managedFields as { manager: string }[]).map((e) => e.manager)).toEqual(['kubectl', 'kubelet']);
  });

  it('many updaters (the cap), atomic fields, list items, a status subresource write and the main resource over status', () => {
    const pod = (labels: Record<string, string>, image: string, phase: string, ready: string, sel: Record<string, string> = { disk: 'ssd' }): KubeObject => ({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'p', namespace: 'd', uid: 'u', labels },
      spec: { nodeSelector: sel, containers: [{ name: 'c', image }] },
      status: { phase, conditions: [{ type: 'Ready', status: ready }], podIP: '10.0.0.1' },
    });
    const steps = [{ obj: pod({ a: '1' }, 'i1', 'Pending', 'False'), manager: 'm0' }];
    for (let i = 1; i <= 12; i++) steps.push({ obj: pod({ a: '1', [`l${i}`]: 'x' }, 'i1', 'Pending', 'False'), manager: `m${i}` });
    const last = steps[steps.length - 1]!.obj;
    const labels = last.metadata!.labels!;
    steps.push(
      { obj: pod({ ...labels, l3: 'y' }, 'i1', 'Pending', 'False'), manager: 'm3' },
      { obj: pod({ ...labels, l3: 'z' }, 'i2', 'Pending', 'False'), manager: 'm3' },
      { obj: pod({ ...labels, l3: 'z' }, 'i3', 'Pending', 'False'), manager: 'm3' },
      { obj: pod({ ...labels, l3: 'z' }, 'i3', 'Pending', 'False', { disk: 'hdd' }), manager: 'm3' },
      { obj: pod({ ...labels, l3: 'z' }, 'i3', 'Pending', 'False', { disk: 'nvme' }), manager: 'm3' },
      { obj: pod({ ...labels, l3: 'z' }, 'i3', 'Running', 'True', { disk: 'nvme' }), manager: 'kubelet', sub: 'status' } as never,
      { obj: pod({ ...labels, l3: 'z' }, 'i3', 'Succeeded', 'True', { disk: 'nvme' }), manager: 'kubelet', sub: 'status' } as never,
      { obj: pod({ ...labels, l3: 'z' }, 'i3', 'Failed', 'True', { disk: 'nvme' }), manager: 'kubelet', sub: 'status' } as never,
      // Through /status, changes outside status (labels, spec, a field the kind does not declare) are reset fields:
      // compared on status alone, the result must be the full comparison's.
      { obj: pod({ ...labels, l3: 'w', l99: 'n' }, 'i4', 'Failed', 'False', { disk: 'hdd' }), manager: 'kubelet', sub: 'status' } as never,
      { obj: { ...pod({ ...labels, l3: 'w' }, 'i5', 'Failed', 'False'), undeclared: { a: 1 } }, manager: 'other', sub: 'status' } as never,
      { obj: { ...pod({ ...labels, l3: 'w' }, 'i5', 'Failed', 'True'), undeclared: { a: 2 } }, manager: 'kubelet', sub: 'status' } as never,
      { obj: pod({ ...labels, l3: 'q' }, 'i3', 'Unknown', 'True', { disk: 'nvme' }), manager: 'm3' },
    );
    same(steps);
  });

  it('a status heartbeat inside a map list (conditions by type), reordered, added and removed conditions', () => {
    const cond = (type: string, status: string, beat: string) => ({ type, status, lastHeartbeatTime: beat, reason: 'R' });
    const node = (conditions: object[], addresses: object[] = [{ type: 'InternalIP', address: '10.0.0.1' }]): KubeObject => ({
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u' }, spec: { podCIDR: '10.1.0.0/24' }, status: { conditions, addresses },
    });
    const steps = [
      { obj: node([cond('Ready', 'True', 't0'), cond('MemoryPressure', 'False', 't0')]), manager: 'kubelet', sub: 'status' },
      { obj: node([cond('Ready', 'True', 't1'), cond('MemoryPressure', 'False', 't1')]), manager: 'kubelet', sub: 'status' },
      { obj: node([cond('Ready', 'True', 't2'), cond('MemoryPressure', 'False', 't1')]), manager: 'kubelet', sub: 'status' },
      { obj: node([cond('Ready', 'False', 't3'), cond('MemoryPressure', 'False', 't1')]), manager: 'node-controller', sub: 'status' },
      { obj: node([cond('Ready', 'False', 't4'), cond('MemoryPressure', 'False', 't1')]), manager: 'kubelet', sub: 'status' },
      { obj: node([cond('MemoryPressure', 'False', 't5'), cond('Ready', 'True', 't5')]), manager: 'kubelet', sub: 'status' },
      { obj: node([cond('MemoryPressure', 'False', 't6'), cond('Ready', 'True', 't6'), cond('DiskPressure', 'False', 't6')]), manager: 'kubelet', sub: 'status' },
      { obj: node([cond('MemoryPressure', 'False', 't7'), cond('Ready', 'True', 't7')]), manager: 'kubelet', sub: 'status' },
      { obj: node([cond('MemoryPressure', 'False', 't8'), cond('Ready', 'True', 't8')], [{ type: 'InternalIP', address: '10.0.0.2' }]), manager: 'kubelet', sub: 'status' },
      { obj: node([cond('MemoryPressure', 'False', 't9'), cond('Ready', 'True', 't9')], [{ type: 'InternalIP', address: '10.0.0.2' }]), manager: 'kubelet', sub: 'status' },
      { obj: node([cond('MemoryPressure', 'False', 't9'), cond('Ready', 'True', 't10')], [{ type: 'InternalIP', address: '10.0.0.2' }]), manager: 'kubelet' },
    ];
    same(steps);
  });
});

/**
 * Entries too big to remember (a Node's status, here ~60 field-set nodes): the next write decodes them and keeps
 * each unchanged set's fieldsV1 as written. Every step must give what the same write gives over a JSON copy of the
 * live object (whose entries it has never seen, so it encodes every set afresh).
 */
describe('managedFieldsAfterUpdate over entries it wrote but did not remember', () => {
  const cond = (type: string, status: string, beat: string) => ({ type, status, lastHeartbeatTime: beat, lastTransitionTime: 't0', reason: `R${type}`, message: `m ${type}` });
  const labels = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`label-${i}`, `v${i}`]));
  const node = (beat: string, extra: Record<string, string> = {}, ready = 'True'): KubeObject => ({
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u', labels: { ...labels, ...extra } }, spec: { podCIDR: '10.1.0.0/24' },
    status: {
      capacity: { cpu: '8', memory: '32Gi', pods: '110' }, allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
      conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((t) => cond(t, 'False', beat)).concat([cond('Ready', ready, beat)]),
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n1' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'x', architecture: 'amd64', operatingSystem: 'linux' },
    },
  });
  it('heartbeats, a label from another manager, a condition taken by the node controller, a removed label', () => {
    const steps = [
      { obj: node('t1'), manager: 'kubelet', sub: '' },
      { obj: node('t2'), manager: 'kubelet', sub: 'status' },
      { obj: node('t3'), manager: 'kubelet', sub: 'status' },
      { obj: node('t3', { team: 'a' }), manager: 'kubectl', sub: '' },
      { obj: node('t4', { team: 'a' }), manager: 'kubelet', sub: 'status' },
      { obj: node('t4', { team: 'a' }, 'Unknown'), manager: 'node-controller', sub: 'status' },
      { obj: node('t5', { team: 'a' }), manager: 'kubelet', sub: 'status' },
      { obj: node('t6', { team: 'b' }), manager: 'kubectl', sub: '' },
      { obj: node('t7'), manager: 'kubectl', sub: '' },
      { obj: node('t8'), manager: 'kubelet', sub: 'status' },
    ];
    let shared: KubeObject | null = null;
    let copied: KubeObject | null = null;
    type Entry = { manager: string; subresource?: string; fieldsV1: object };
    const mainOf = (o: KubeObject | null) => (o?.metadata?.managedFields as Entry[] | undefined)?.find((e) => e.manager === 'kubelet' && !e.subresource);
    let reused = 0;
    steps.forEach((step, i) => {
      const opts = { definition: 'io.k8s.api.core.v1.Node', subresource: step.sub };
      const a = managedFieldsAfterUpdate(shared, step.obj, step.manager, 'v1', at(i * 70), opts);
      const b = managedFieldsAfterUpdate(copied, step.obj, step.manager, 'v1', at(i * 70), opts);
      expect(JSON.stringify(a ?? null)).toBe(JSON.stringify(b ?? null));
      // A set the write left as it was keeps its fieldsV1 object (not encoded again).
      const before = mainOf(shared);
      const next = { ...step.obj, metadata: { ...step.obj.metadata, ...(a ? { managedFields: a } : {}) } };
      const after = mainOf(next);
      if (before && after && JSON.stringify(after.fieldsV1) === JSON.stringify(before.fieldsV1)) {
        expect(after.fieldsV1, `step ${i}`).toBe(before.fieldsV1);
        reused++;
      }
      shared = next;
      copied = JSON.parse(JSON.stringify(shared)) as KubeObject;
    });
    expect(reused).toBeGreaterThanOrEqual(4);
    const managers = (shared as unknown as KubeObject).metadata!.managedFields as Entry[];
    expect(managers.map((e) => `${e.manager}/${e.subresource ?? ''}`).sort()).toEqual(['kubelet/', 'kubelet/status']);
  });
});
