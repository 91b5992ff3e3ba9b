import { describe, expect, test } from 'vitest';
import { CidrSet, formatIpv4Cidr, parseIpv4Cidr } from '../../../src/control/controllers/cidr-set.js';
import { podCIDRPatch } from '../../../src/control/controllers/node-ipam.js';
import { observeHealth, silentNodeConditions } from '../../../src/control/controllers/node-lifecycle/health.js';
import { desiredManagedTaints, evictionTime, reconcileTaints, tolerates } from '../../../src/control/controllers/node-lifecycle/taints.js';
import { newNodeLifecycleController } from '../../../src/control/controllers/node-lifecycle/controller.js';
import { ZoneTainter } from '../../../src/control/controllers/node-lifecycle/zone-tainter.js';
import { computeZoneState, defaultEvictionRates, planDisruption, ZoneReadiness, zoneKey, type ZoneState } from '../../../src/control/controllers/node-lifecycle/zones.js';
import { SharedInformerFactory, type SharedInformer } from '../../../src/client/informer.js';
import { Leases } from '../../../src/client/resources.js';
import type { RestClient } from '../../../src/client/rest.js';
import type { ControllerContext } from '../../../src/control/controllers/context.js';

describe('CidrSet', () => {
  test('hands out /24s of 10.244.0.0/16 in order, skips occupied ones, reuses released ones, ends when full', () => {
    const s = new CidrSet(parseIpv4Cidr('10.244.0.0/16'), 24);
    expect(formatIpv4Cidr(s.allocateNext()!)).toBe('10.244.0.0/24');
    expect(s.occupy(parseIpv4Cidr('10.244.1.0/24'))).toBe(true);
    expect(formatIpv4Cidr(s.allocateNext()!)).toBe('10.244.2.0/24');
    s.release(parseIpv4Cidr('10.244.0.0/24'));
    expect(s.allocated).toBe(2);
    expect(s.occupy(parseIpv4Cidr('10.245.0.0/24'))).toBe(false);
    const small = new CidrSet(parseIpv4Cidr('10.0.0.0/30'), 31);
    expect(small.allocateNext()).not.toBeNull();
    expect(small.allocateNext()).not.toBeNull();
    expect(small.allocateNext()).toBeNull();
  });

  test('bad ranges are errors that say what was wrong', () => {
    expect(() => parseIpv4Cidr('10.244.0.0')).toThrow('invalid CIDR address: 10.244.0.0');
    expect(() => new CidrSet(parseIpv4Cidr('10.0.0.0/16'), 8)).toThrow('--node-cidr-mask-size 8 is shorter');
  });

  test('a node that was given a CIDR not yet in the cache gets the same one again', () => {
    const s = new CidrSet(parseIpv4Cidr('10.244.0.0/16'), 24);
    expect(podCIDRPatch({ metadata: { name: 'n' } }, s, undefined)).toEqual({ spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] } });
    expect(podCIDRPatch({ metadata: { name: 'n' } }, s, '10.244.0.0/24')).toEqual({ spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] } });
    expect(s.allocated).toBe(1);
    expect(podCIDRPatch({ metadata: { name: 'n' }, spec: { podCIDR: '10.244.0.0/24' } }, s, undefined)).toBeNull();
  });
});

const ready = (status: string, hb = '2026-12-03T10:00:00Z') => [{ type: 'Ready', status, reason: 'KubeletReady', lastHeartbeatTime: hb, lastTransitionTime: hb }, { type: 'MemoryPressure', status: 'False' }];

describe('node health', () => {
  test('the probe time moves when the lease renews or the heartbeat changes, on the controller clock', () => {
    let h = observeHealth(undefined, ready('True'), 'r1', 1000);
    expect(h.probeTimestamp).toBe(1000);
    h = observeHealth(h, ready('True'), 'r1', 5000);
    expect(h.probeTimestamp).toBe(1000);
    h = observeHealth(h, ready('True'), 'r2', 9000);
    expect(h.probeTimestamp).toBe(9000);
  });

  test('silent past the grace period: kubelet conditions turn Unknown with upstream reasons; never-posted ones are added', () => {
    const h = observeHealth(undefined, ready('True'), 'r1', 0);
    expect(silentNodeConditions(ready('True'), h, 40_000, 40_000, 60_000, 'T')).toBeNull();
    const c = silentNodeConditions(ready('True'), h, 40_001, 40_000, 60_000, 'T')!;
    expect(c.find((x) => x.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: 'T', lastHeartbeatTime: '2026-12-03T10:00:00Z' });
    expect(c.find((x) => x.type === 'DiskPressure')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' });
    expect(silentNodeConditions(c, h, 90_000, 40_000, 60_000, 'T')).toBeNull();
    // A node that never posted Ready gets the startup grace period.
    expect(silentNodeConditions([], h, 50_000, 40_000, 60_000, 'T')).toBeNull();
    expect(silentNodeConditions([], h, 60_001, 40_000, 60_000, 'T')).not.toBeNull();
  });
});

describe('taints', () => {
  test('conditions call for NoSchedule taints; Ready False/Unknown also NoExecute when the node may have it now', () => {
    expect(desiredManagedTaints(ready('True'), false, true)).toEqual([]);
    expect(desiredManagedTaints(ready('Unknown'), false, true)).toEqual([
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
    ]);
    expect(desiredManagedTaints(ready('False'), true, false)).toEqual([
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
    ]);
  });

  test('reconcile keeps foreign taints and timeAdded, stamps new NoExecute ones, and is null when nothing changes', () => {
    const own = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    const ne = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: 'T0' };
    const want = desiredManagedTaints(ready('Unknown'), false, true);
    expect(reconcileTaints([own], want, 'T1')).toEqual([own, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }, { ...ne, timeAdded: 'T1' }]);
    expect(reconcileTaints([own, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }, ne], want, 'T2')).toBeNull();
    expect(reconcileTaints([own, ne], [], 'T2')).toEqual([own]);
  });

  test('tolerations match as v1 ToleratesTaint', () => {
    const t = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
    expect(tolerates({ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }, t)).toBe(true);
    expect(tolerates({ operator: 'Exists' }, t)).toBe(true);
    expect(tolerates({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, t)).toBe(false);
    expect(tolerates({ key: 'a', value: 'x' }, { key: 'a', value: 'x', effect: 'NoSchedule' })).toBe(true);
    expect(tolerates({ key: 'a', value: 'y' }, { key: 'a', value: 'x', effect: 'NoSchedule' })).toBe(false);
  });

  test('eviction: now when untolerated, taint time + smallest tolerationSeconds, never when tolerated forever', () => {
    const taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2026-12-03T10:00:00Z' };
    const t0 = Date.parse('2026-12-03T10:00:00Z');
    expect(evictionTime([], [taint], t0 + 5)).toBe(t0 + 5);
    expect(evictionTime([{ key: taint.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { operator: 'Exists', tolerationSeconds: 30 }], [taint], t0 + 5)).toBe(t0 + 30_000);
    expect(evictionTime([{ operator: 'Exists' }], [taint], t0)).toBeNull();
    expect(evictionTime([], [{ key: 'x', effect: 'NoSchedule' }], t0)).toBeNull();
  });

});

describe('zones and eviction rates (upstream handleDisruption)', () => {
  const rates = defaultEvictionRates;
  test('zone states: none Ready is full disruption; more than 2 unready and at least 55% is partial', () => {
    expect(computeZoneState(0, 1, 0.55)).toBe('FullDisruption');
    expect(computeZoneState(0, 0, 0.55)).toBe('Normal');
    expect(computeZoneState(1, 2, 0.55)).toBe('Normal'); // 67% but only 2 unready
    expect(computeZoneState(2, 3, 0.55)).toBe('PartialDisruption'); // 60%
    expect(computeZoneState(3, 3, 0.55)).toBe('Normal'); // 50%
  });

  test('readiness counts follow node updates, zones keyed by region and zone, excluded nodes left out', () => {
    const r = new ZoneReadiness();
    const z = (zone: string) => ({ 'topology.kubernetes.io/zone': zone });
    r.set('a1', z('a'), 'True');
    r.set('a2', z('a'), 'Unknown');
    r.set('b1', z('b'), 'False');
    r.set('x', { ...z('b'), 'node.kubernetes.io/exclude-disruption': '' }, 'True');
    r.set('n', undefined, undefined);
    expect(Object.fromEntries(r.states(0.55))).toEqual({
      [zoneKey(z('a'))]: { state: 'Normal', size: 2 },
      [zoneKey(z('b'))]: { state: 'FullDisruption', size: 1 },
      '': { state: 'FullDisruption', size: 1 },
    });
    r.set('b1', z('b'), 'True');
    r.delete('n');
    r.set('a1', z('a'), 'False');
    expect(Object.fromEntries(r.states(0.55))).toEqual({
      [zoneKey(z('a'))]: { state: 'FullDisruption', size: 2 },
      [zoneKey(z('b'))]: { state: 'Normal', size: 1 },
    });
    expect(zoneKey({ 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'a' })).not.toBe(zoneKey(z('a')));
  });

  test('rates: a new or changed zone gets its rate; partial disruption slows large zones and stops small ones', () => {
    const seen = (...zs: [string, ZoneState, number][]) => new Map(zs.map(([z, state, size]) => [z, { state, size }]));
    let p = planDisruption(new Map(), seen(['a', 'Normal', 10], ['b', 'FullDisruption', 3]), rates);
    expect(p.mode).toBe('zones');
    expect(Object.fromEntries(p.rates)).toEqual({ a: 0.1, b: 0.1 }); // one lost zone among others: the normal rate
    p = planDisruption(p.states, seen(['a', 'PartialDisruption', 51], ['b', 'FullDisruption', 3]), rates);
    expect(Object.fromEntries(p.rates)).toEqual({ a: 0.01 });
    p = planDisruption(p.states, seen(['a', 'PartialDisruption', 50], ['b', 'FullDisruption', 3]), rates);
    expect(p).toMatchObject({ mode: 'none' }); // same states: limiters untouched
    expect(planDisruption(new Map([['a', 'Normal']]), seen(['a', 'PartialDisruption', 50]), rates).rates.get('a')).toBe(0);
  });

  test('every zone lost: tainting stops everywhere; some node back: every zone resumes at its rate', () => {
    const seen = (...zs: [string, ZoneState][]) => new Map(zs.map(([z, state]) => [z, { state, size: 5 }]));
    const enter = planDisruption(new Map([['a', 'Normal'], ['b', 'FullDisruption']]), seen(['a', 'FullDisruption'], ['b', 'FullDisruption']), rates);
    expect(enter.mode).toBe('enter');
    expect(Object.fromEntries(enter.rates)).toEqual({ a: 0, b: 0 });
    expect(planDisruption(enter.states, seen(['a', 'FullDisruption'], ['b', 'FullDisruption']), rates).mode).toBe('none');
    const exit = planDisruption(enter.states, seen(['a', 'Normal'], ['b', 'FullDisruption']), rates);
    expect(exit.mode).toBe('exit');
    expect(Object.fromEntries(exit.rates)).toEqual({ a: 0.1, b: 0.1 });
    // A first look at a cluster whose every node is unready enters the mode too (no zone was in a state yet).
    expect(planDisruption(new Map(), seen(['a', 'FullDisruption']), rates).mode).toBe('enter');
  });

  test('the tainter gives each zone one node at once, then one per 1/rate seconds, in arrival order; rate 0 none', () => {
    let now = 0;
    const t = new ZoneTainter({ now: () => now }, 0.1);
    for (const n of ['a1', 'a2', 'a3']) t.add('a', n);
    t.add('b', 'b1');
    t.add('a', 'a1'); // already queued: keeps its place
    expect(t.take()).toEqual(['a1', 'b1']);
    now = 9_999;
    expect(t.take()).toEqual([]);
    now = 10_000;
    expect(t.take()).toEqual(['a2']);
    t.remove('a3'); // came back Ready
    now = 60_000;
    expect(t.take()).toEqual([]);
    expect(t.pending()).toBe(0);
    t.add('a', 'a4');
    t.add('a', 'a5');
    t.setRate('a', 0);
    now = 120_000;
    expect(t.take()).toEqual([]);
    t.setRate('a', 0.01); // a new limiter starts with its one token
    expect(t.take()).toEqual(['a4']);
    now += 99_000;
    expect(t.take()).toEqual([]);
    now += 1_000;
    expect(t.take()).toEqual(['a5']);
  });
});

describe('node lifecycle controller informers', () => {
  test('reads leases from the cluster-wide lease informer, the one the garbage collector asks for: one lease watch, not two', () => {
    // Nothing here reaches the client: informers only talk to it once started.
    const factory = new SharedInformerFactory({} as RestClient);
    const given: SharedInformer[] = [];
    const informers = {
      forResource: (ref: Parameters<SharedInformerFactory['forResource']>[0], opts?: Parameters<SharedInformerFactory['forResource']>[1]) => {
        const inf = factory.forResource(ref, opts);
        if (ref.plural === 'leases') given.push(inf);
        return inf;
      },
    };
    newNodeLifecycleController({ informers, options: {}, queue: () => ({ add: () => {} }) } as unknown as ControllerContext);
    expect(given).toHaveLength(1);
    // The garbage collector's monitor: forResource of the discovered resource, no options.
    expect(factory.forResource({ ...Leases })).toBe(given[0]);
  });
});
