import { describe, expect, it } from 'vitest';
import { reconcileSlices, type ReconcileInput } from '../../../src/control/controllers/endpointslice/reconciler.js';
import { endpointPorts, findPort, podToEndpoint } from '../../../src/control/controllers/endpointslice/pod-endpoint.js';
import { servicesToUpdateOnPodChange } from '../../../src/control/controllers/endpointslice/pod-changes.js';
import { TriggerTimeTracker, rfc3339Nano } from '../../../src/control/controllers/endpointslice/trigger-time.js';
import { EndpointSliceTracker } from '../../../src/control/controllers/endpointslice/tracker.js';
import type { EndpointSlice, Node, Pod, Service } from '../../../src/control/controllers/endpointslice/types.js';

const svc = (over: Partial<Service['spec']> = {}, labels: Record<string, string> = { app: 'web' }): Service => ({
  metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels },
  spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ipFamilies: ['IPv4'], ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...over },
});

const pod = (i: number, over: { ready?: boolean; port?: number; deleting?: boolean; ip?: string; node?: string; phase?: string } = {}): Pod => ({
  metadata: { name: `p${i}`, namespace: 'ns', uid: `uid-${i}`, labels: { app: 'web' }, ...(over.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  spec: { nodeName: over.node ?? 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: over.port ?? 8080, protocol: 'TCP' }] }] },
  status: {
    phase: over.phase ?? 'Running',
    podIP: over.ip ?? `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }],
  },
});

const nodes: Record<string, Node> = { n1: { metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1' } } }, n2: { metadata: { name: 'n2' } } };

const input = (pods: Pod[], existing: EndpointSlice[] = [], service = svc(), max = 100): ReconcileInput => ({
  service,
  pods,
  existingSlices: existing,
  node: (n) => nodes[n],
  maxEndpointsPerSlice: max,
});

/** Gives created slices names and uids as the API server would, so they can be fed back as existing state. */
let serial = 0;
function materialize(slices: EndpointSlice[]): EndpointSlice[] {
  return slices.map((s) => {
    serial++;
    return { ...s, metadata: { ...s.metadata, name: s.metadata.name ?? `${s.metadata.generateName}${serial}`, uid: s.metadata.uid ?? `slice-${serial}`, resourceVersion: String(serial) } };
  });
}

/** Applies a plan to the existing slices: the state after the writes. */
function applyPlan(existing: EndpointSlice[], plan: ReturnType<typeof reconcileSlices>): EndpointSlice[] {
  const gone = new Set(plan.delete.map((s) => s.metadata.name));
  const updated = new Map(plan.update.map((s) => [s.metadata.name, s]));
  return [...existing.filter((s) => !gone.has(s.metadata.name)).map((s) => updated.get(s.metadata.name) ?? s), ...materialize(plan.create)];
}

const ips = (s: EndpointSlice): string[] => (s.endpoints ?? []).map((e) => e.addresses[0]!);

describe('pod → endpoint', () => {
  it('resolves a named target port per pod and keeps numbers as they are', () => {
    expect(findPort(pod(1, { port: 9090 }), { port: 80, targetPort: 'http', protocol: 'TCP' })).toBe(9090);
    expect(findPort(pod(1), { port: 80, targetPort: 'http', protocol: 'UDP' })).toBeUndefined();
    expect(findPort(pod(1), { port: 80, targetPort: 7000 })).toBe(7000);
    expect(findPort(pod(1), { port: 80 })).toBe(80);
    expect(endpointPorts(svc(), pod(1))).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('sets conditions as upstream: terminating pods are serving but not ready, unless not-ready addresses are published', () => {
    const s = svc();
    expect(podToEndpoint(pod(1), nodes['n1'], s, 'IPv4')).toEqual({
      addresses: ['10.0.0.2'],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: 'ns', name: 'p1', uid: 'uid-1' },
      nodeName: 'n1',
      zone: 'z1',
    });
    expect(podToEndpoint(pod(1, { deleting: true }), nodes['n1'], s, 'IPv4').conditions).toEqual({ ready: false, serving: true, terminating: true });
    expect(podToEndpoint(pod(1, { ready: false }), nodes['n1'], s, 'IPv4').conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(podToEndpoint(pod(1, { ready: false }), nodes['n1'], svc({ publishNotReadyAddresses: true }), 'IPv4').conditions?.ready).toBe(true);
    expect(podToEndpoint(pod(1), nodes['n2'], s, 'IPv4').zone).toBeUndefined();
  });
});

describe('reconcileSlices', () => {
  it('creates one slice with labels, owner, ports and endpoints for a new service', () => {
    const plan = reconcileSlices({ ...input([pod(1), pod(2)]), triggerTime: '2024-01-01T00:00:00Z' });
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.create).toHaveLength(1);
    const s = plan.create[0]!;
    expect(s.metadata.generateName).toBe('web-');
    expect(s.metadata.labels).toEqual({ app: 'web', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(s.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
    expect(s.metadata.annotations).toEqual({ 'endpoints.kubernetes.io/last-change-trigger-time': '2024-01-01T00:00:00Z' });
    expect(s.addressType).toBe('IPv4');
    expect(s.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(ips(s)).toEqual(['10.0.0.2', '10.0.0.3']);
  });

  it('splits 250 pods into 3 slices of at most 100', () => {
    const pods = Array.from({ length: 250 }, (_, i) => pod(i));
    const plan = reconcileSlices(input(pods));
    expect(plan.create.map((s) => s.endpoints!.length)).toEqual([100, 100, 50]);
  });

  it('writes nothing when nothing changed', () => {
    const pods = Array.from({ length: 150 }, (_, i) => pod(i));
    const state = materialize(reconcileSlices(input(pods)).create);
    const plan = reconcileSlices(input(pods, state));
    expect(plan).toEqual({ create: [], update: [], delete: [], errors: [] });
  });

  it('updates the one slice holding a pod whose readiness changed, in place', () => {
    const pods = Array.from({ length: 150 }, (_, i) => pod(i));
    const state = materialize(reconcileSlices(input(pods)).create);
    pods[120] = pod(120, { ready: false });
    const plan = reconcileSlices(input(pods, state));
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update).toHaveLength(1);
    const ep = plan.update[0]!.endpoints!.find((e) => e.targetRef?.name === 'p120')!;
    expect(ep.conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(plan.update[0]!.metadata.name).toBe(state[1]!.metadata.name);
    expect(plan.update[0]!.metadata.resourceVersion).toBe(state[1]!.metadata.resourceVersion);
  });

  it('puts new pods into the slice being updated anyway, and deletes a slice left empty', () => {
    const pods = Array.from({ length: 150 }, (_, i) => pod(i));
    let state = materialize(reconcileSlices(input(pods)).create); // 100 + 50
    // Remove 10 pods from the second slice and add 5: the 5 go into that slice (already being updated).
    const next = [...pods.filter((_, i) => i < 100 || i >= 110), ...Array.from({ length: 5 }, (_, i) => pod(200 + i))];
    let plan = reconcileSlices(input(next, state));
    expect(plan.create).toEqual([]);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0]!.endpoints).toHaveLength(45);
    state = applyPlan(state, plan);
    // All of the second slice's pods go: that slice is deleted.
    const only = next.filter((p) => Number(p.metadata.name!.slice(1)) < 100);
    plan = reconcileSlices(input(only, state));
    expect(plan.update).toEqual([]);
    expect(plan.create).toEqual([]);
    expect(plan.delete.map((s) => s.metadata.name)).toEqual([state[1]!.metadata.name]);
  });

  it('fills the unchanged slice closest to full before creating one', () => {
    // Slices of 100, 60 and 90: 8 new endpoints fit best in the one with 90.
    const a = Array.from({ length: 100 }, (_, i) => pod(i));
    const b = Array.from({ length: 60 }, (_, i) => pod(100 + i));
    const c = Array.from({ length: 90 }, (_, i) => pod(300 + i));
    const state = [...materialize(reconcileSlices(input(a)).create), ...materialize(reconcileSlices(input(b)).create), ...materialize(reconcileSlices(input(c)).create)];
    const extra = Array.from({ length: 8 }, (_, i) => pod(500 + i));
    const plan = reconcileSlices(input([...a, ...b, ...c, ...extra], state));
    expect(plan.create).toEqual([]);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0]!.metadata.name).toBe(state[2]!.metadata.name);
    expect(plan.update[0]!.endpoints).toHaveLength(98);
  });

  it('groups pods by resolved port numbers: different container ports for one name give different slices', () => {
    const plan = reconcileSlices(input([pod(1, { port: 8080 }), pod(2, { port: 9090 }), pod(3, { port: 8080 })]));
    expect(plan.create).toHaveLength(2);
    const byPort = new Map(plan.create.map((s) => [s.ports![0]!.port, ips(s)]));
    expect(byPort.get(8080)).toEqual(['10.0.0.2', '10.0.0.4']);
    expect(byPort.get(9090)).toEqual(['10.0.0.3']);
  });

  it('includes terminating pods with the terminating condition, skips pods without IP, terminal pods and pods of unknown nodes', () => {
    const noIP = pod(4);
    noIP.status!.podIP = undefined;
    const plan = reconcileSlices(input([pod(1, { deleting: true }), noIP, pod(5, { phase: 'Succeeded' }), pod(6, { node: 'gone' }), pod(7)]));
    expect(plan.create).toHaveLength(1);
    expect(ips(plan.create[0]!)).toEqual(['10.0.0.2', '10.0.0.8']);
    expect(plan.create[0]!.endpoints![0]!.conditions).toEqual({ ready: false, serving: true, terminating: true });
    expect(plan.errors).toEqual(['skipping Pod p6 for Service ns/web: Node gone Not Found']);
  });

  it('keeps one empty placeholder slice when there are no endpoints, and recycles a slice rather than delete + create', () => {
    const first = reconcileSlices(input([]));
    expect(first.create).toHaveLength(1);
    expect(first.create[0]!.endpoints).toEqual([]);
    expect(first.create[0]!.ports).toEqual([]);
    let state = materialize(first.create);
    expect(reconcileSlices(input([], state))).toEqual({ create: [], update: [], delete: [], errors: [] });
    // Pods arrive: the placeholder (other port set) would be deleted and a slice created; it is updated instead.
    const plan = reconcileSlices(input([pod(1)], state));
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0]!.metadata.name).toBe(state[0]!.metadata.name);
    expect(plan.update[0]!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    state = applyPlan(state, plan);
    // And back to no pods: the slice becomes the placeholder again.
    const back = reconcileSlices(input([], state));
    expect(back.delete).toEqual([]);
    expect(back.update[0]!.endpoints).toEqual([]);
  });

  it('follows service label changes and marks headless services', () => {
    const state = materialize(reconcileSlices(input([pod(1)])).create);
    const plan = reconcileSlices(input([pod(1)], state, svc({}, { app: 'web', tier: 'front' })));
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0]!.metadata.labels!['tier']).toBe('front');
    const headless = reconcileSlices(input([pod(1)], [], svc({ clusterIP: 'None' })));
    expect(headless.create[0]!.metadata.labels!['service.kubernetes.io/headless']).toBe('');
  });

  it('deletes slices of another owner (a Service re-created under the same name) and of unsupported address types', () => {
    const state = materialize(reconcileSlices(input([pod(1)])).create);
    const v6: EndpointSlice = { ...state[0]!, metadata: { ...state[0]!.metadata, name: 'web-v6', uid: 'v6' }, addressType: 'IPv6' };
    const recreated = { ...svc(), metadata: { ...svc().metadata, uid: 'new-uid' } };
    const plan = reconcileSlices(input([pod(1)], [...state, v6], recreated));
    expect(plan.create).toHaveLength(1);
    expect(plan.create[0]!.metadata.ownerReferences![0]!.uid).toBe('new-uid');
    expect(plan.delete.map((s) => s.metadata.name).sort()).toEqual([state[0]!.metadata.name, 'web-v6'].sort());
  });

  it('drops hints from slices', () => {
    const state = materialize(reconcileSlices(input([pod(1)])).create);
    state[0]!.endpoints![0]!.hints = { forZones: [{ name: 'z1' }] };
    const plan = reconcileSlices(input([pod(1)], state));
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0]!.endpoints![0]!.hints).toBeUndefined();
  });

  it('creates nothing for a service being deleted', () => {
    const s = svc();
    s.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
    expect(reconcileSlices(input([pod(1)], [], s)).create).toEqual([]);
  });
});

describe('pod changes → services', () => {
  const selecting = (labels: Record<string, string> | undefined): Set<string> => new Set(labels?.['app'] === 'web' ? ['ns/web'] : labels?.['app'] === 'api' ? ['ns/api'] : []);
  const withRV = (p: Pod, rv: string): Pod => ({ ...p, metadata: { ...p.metadata, resourceVersion: rv } });

  it('ignores changes endpoints do not show, and reports readiness changes', () => {
    const a = withRV(pod(1), '1');
    const b = withRV({ ...pod(1), metadata: { ...pod(1).metadata, annotations: { x: 'y' } } }, '2');
    expect([...servicesToUpdateOnPodChange(a, b, selecting)]).toEqual([]);
    expect([...servicesToUpdateOnPodChange(a, withRV(pod(1, { ready: false }), '2'), selecting)]).toEqual(['ns/web']);
  });

  it('on a label move syncs the services left and joined', () => {
    const a = withRV(pod(1), '1');
    const b = withRV({ ...pod(1), metadata: { ...pod(1).metadata, labels: { app: 'api' } } }, '2');
    expect([...servicesToUpdateOnPodChange(a, b, selecting)].sort()).toEqual(['ns/api', 'ns/web']);
  });
});

describe('trackers', () => {
  it('computes the trigger time from the earliest new Ready transition, once', () => {
    const t = new TriggerTimeTracker();
    const s = svc();
    s.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
    const p = pod(1);
    p.status!.conditions![0]!.lastTransitionTime = '2024-01-01T00:00:05Z';
    expect(t.compute('ns/web', s, [p])).toBe('2024-01-01T00:00:00Z');
    expect(t.compute('ns/web', s, [p])).toBeUndefined();
    const q = pod(1, { ready: false });
    q.status!.conditions![0]!.lastTransitionTime = '2024-01-01T00:00:09.5Z';
    expect(t.compute('ns/web', s, [q])).toBe('2024-01-01T00:00:09.5Z');
    expect(rfc3339Nano(Date.parse('2024-01-01T00:00:10.120Z'))).toBe('2024-01-01T00:00:10.12Z');
  });

  it('calls the cache stale until it shows our own writes', () => {
    const owner = (s: EndpointSlice): string => `${s.metadata.namespace}/${s.metadata.labels?.['kubernetes.io/service-name']}`;
    const tr = new EndpointSliceTracker(owner);
    const [s] = materialize(reconcileSlices(input([pod(1)])).create);
    const written = { ...s!, metadata: { ...s!.metadata, resourceVersion: '10' } };
    tr.update(written);
    expect(tr.staleSlices('ns/web', [])).toBe(true);
    expect(tr.staleSlices('ns/web', [{ ...written, metadata: { ...written.metadata, resourceVersion: '9' } }])).toBe(true);
    expect(tr.staleSlices('ns/web', [written])).toBe(false);
    expect(tr.shouldSync(written)).toBe(false);
    expect(tr.shouldSync({ ...written, metadata: { ...written.metadata, resourceVersion: '11' } })).toBe(true);
    tr.expectDeletion(written);
    expect(tr.staleSlices('ns/web', [written])).toBe(true);
    expect(tr.handleDeletion(written)).toBe(true);
    expect(tr.staleSlices('ns/web', [])).toBe(false);
  });
});
