/**
 * Golden cases modelled on kube-scheduler's plugin unit tests (resource fit, taints, node affinity, spread
 * skew, inter-pod affinity, scoring), restated in our own words and numbers. Every case runs against both the
 * TypeScript reference and the WASM core, and both must give the stated answer.
 */
import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import type { ScheduleHints } from '../../../../src/control/scheduler/core.js';
import { numFeasibleNodesToFind, type ExplainableCore } from '../../../../src/control/scheduler/plugins.js';
import { parseQuantityScaled } from '../../../../src/control/scheduler/quantity.js';
import { createReferenceCore } from '../../../../src/control/scheduler/reference/index.js';
import type { CoreOptions } from '../../../../src/control/scheduler/scoring.js';
import { createWasmCore } from '../../../../src/control/scheduler/wasm-core.js';

const GI = 2 ** 30;
const MI = 2 ** 20;

interface NodeSpec {
  cpu?: string; memory?: string; pods?: string; extra?: Record<string, string>;
  labels?: Record<string, string>; taints?: { key: string; value?: string; effect: string }[];
  unschedulable?: boolean; images?: { names: string[]; sizeBytes: number }[];
}
function node(name: string, s: NodeSpec = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(s.labels ?? {}) } },
    spec: { taints: s.taints ?? [], unschedulable: s.unschedulable ?? false },
    status: {
      allocatable: { cpu: s.cpu ?? '4', memory: s.memory ?? '8Gi', pods: s.pods ?? '110', ...(s.extra ?? {}) },
      images: s.images ?? [],
    },
  };
}
function pod(name: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  const requests = (spec.requests as Record<string, string> | undefined) ?? {};
  const rest = { ...spec };
  delete rest.requests;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', ...meta },
    spec: { containers: [{ name: 'c', image: 'app:1', resources: { requests } }], ...rest },
  };
}
const bound = (p: KubeObject, nodeName: string): KubeObject => ({ ...p, spec: { ...(p.spec as object), nodeName } });

const CONFIG: CoreOptions = { percentageOfNodesToScore: 100, scoringStrategy: 'LeastAllocated', seed: 7 };

/** Builds the same cluster in both cores. */
async function cores(nodes: KubeObject[], pods: KubeObject[] = [], config: CoreOptions = CONFIG): Promise<[string, ExplainableCore][]> {
  const list: [string, ExplainableCore][] = [['reference', createReferenceCore(config)], ['wasm', await createWasmCore(config)]];
  for (const [, c] of list) {
    for (const n of nodes) c.upsertNode(n);
    for (const p of pods) c.addPod(p);
  }
  return list;
}

async function reasons(nodes: KubeObject[], pods: KubeObject[], incoming: KubeObject, config?: CoreOptions): Promise<Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [name, c] of await cores(nodes, pods, config)) {
    out[name] = Object.fromEntries(c.explain(incoming).map((e) => [e.node, e.reasons]));
  }
  expect(out.wasm).toEqual(out.reference);
  return out.reference!;
}

async function scores(nodes: KubeObject[], pods: KubeObject[], incoming: KubeObject, plugin: string, config?: CoreOptions): Promise<Record<string, number | null>> {
  const out: Record<string, Record<string, number | null>> = {};
  for (const [name, c] of await cores(nodes, pods, config)) {
    out[name] = Object.fromEntries(c.explain(incoming).map((e) => [e.node, e.scores ? e.scores[plugin as 'ImageLocality'] : null]));
  }
  expect(out.wasm).toEqual(out.reference);
  return out.reference!;
}

describe('quantities', () => {
  test('cpu in millicores, others in bytes, rounded up', () => {
    expect(parseQuantityScaled('100m', 3)).toBe(100);
    expect(parseQuantityScaled('0.1', 3)).toBe(100);
    expect(parseQuantityScaled('2', 3)).toBe(2000);
    expect(parseQuantityScaled('1.5Gi', 0)).toBe(1.5 * GI);
    expect(parseQuantityScaled('1e3', 0)).toBe(1000);
    expect(parseQuantityScaled('129M', 0)).toBe(129_000_000);
    expect(parseQuantityScaled('1m', 0)).toBe(1);
    expect(parseQuantityScaled('0.5m', 3)).toBe(1);
    expect(parseQuantityScaled('12x', 0)).toBeNull();
  });
});

describe('NodeResourcesFit filter', () => {
  test('insufficient cpu and memory are both reported', async () => {
    const r = await reasons([node('n1', { cpu: '2', memory: '2Gi' })], [bound(pod('e', { requests: { cpu: '1500m', memory: '1Gi' } }), 'n1')],
      pod('p', { requests: { cpu: '1', memory: '1500Mi' } }));
    expect(r.n1).toEqual(['Insufficient cpu', 'Insufficient memory']);
  });
  test('init containers count as the max, restartable sidecars add up, overhead adds on top', async () => {
    const n = [node('n1', { cpu: '3' })];
    // containers 1 cpu; init container 3 cpu: effective 3, fits in 3
    expect((await reasons(n, [], pod('a', {
      requests: { cpu: '1' }, initContainers: [{ name: 'i', image: 'x', resources: { requests: { cpu: '3' } } }],
    }))).n1).toEqual([]);
    // sidecar 1 cpu runs beside containers (1+1) and beside the later init container (2+1): effective 3, plus 100m overhead
    expect((await reasons(n, [], pod('b', {
      requests: { cpu: '1' },
      initContainers: [
        { name: 's', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '1' } } },
        { name: 'i', image: 'x', resources: { requests: { cpu: '2' } } },
      ],
      overhead: { cpu: '100m' },
    }))).n1).toEqual(['Insufficient cpu']);
  });
  test('pod count, extended resources, and zero-request pods', async () => {
    const nodes = [node('full', { pods: '1' }), node('gpu', { extra: { 'example.com/gpu': '1' } }), node('plain')];
    const existing = [bound(pod('e'), 'full')];
    const r = await reasons(nodes, existing, pod('p', { requests: { 'example.com/gpu': '1' } }));
    expect(r).toEqual({ full: ['Too many pods', 'Insufficient example.com/gpu'], gpu: [], plain: ['Insufficient example.com/gpu'] });
    const z = await reasons(nodes, existing, pod('z'));
    expect(z).toEqual({ full: ['Too many pods'], gpu: [], plain: [] });
  });
});

describe('filters with fixed reasons', () => {
  test('unschedulable, node name, taints, node ports', async () => {
    const nodes = [
      node('cordoned', { unschedulable: true }),
      node('tainted', { taints: [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }, { key: 'soft', effect: 'PreferNoSchedule' }] }),
      node('ok'),
    ];
    const used = [bound(pod('web', { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }] }), 'ok')];
    const r = await reasons(nodes, used, pod('p', { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1' }] }] }));
    expect(r).toEqual({
      cordoned: ['node(s) were unschedulable'],
      tainted: ['node(s) had untolerated taint {dedicated: user1}'],
      ok: ["node(s) didn't have free ports for the requested pod ports"],
    });
    const udp = await reasons(nodes, used, pod('u', {
      containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }] }],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'user1', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
    }));
    expect(udp).toEqual({ cordoned: [], tainted: [], ok: [] });
    const named = await reasons(nodes, [], pod('n', { nodeName: 'ok' }));
    expect(named.tainted).toEqual(["node(s) didn't match the requested node name"]);
    expect(named.ok).toEqual([]);
  });

  test('an empty-key Exists toleration tolerates every taint', async () => {
    const r = await reasons([node('t', { taints: [{ key: 'a', value: 'b', effect: 'NoExecute' }] })], [], pod('p', { tolerations: [{ operator: 'Exists' }] }));
    expect(r.t).toEqual([]);
  });
});

describe('NodeAffinity', () => {
  const nodes = [
    node('a', { labels: { zone: 'z1', disk: 'ssd', gen: '3' } }),
    node('b', { labels: { zone: 'z2', gen: '10' } }),
    node('c', { labels: { zone: 'z3', gen: 'x' } }),
  ];
  const MISMATCH = "node(s) didn't match Pod's node affinity/selector";
  test('nodeSelector, terms ORed, expressions ANDed, Gt/Lt on integers, matchFields', async () => {
    expect(await reasons(nodes, [], pod('s', { nodeSelector: { disk: 'ssd' } }))).toEqual({ a: [], b: [MISMATCH], c: [MISMATCH] });
    const terms = (t: unknown[]) => pod('t', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: t } } } });
    expect(await reasons(nodes, [], terms([
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1', 'z2'] }, { key: 'disk', operator: 'DoesNotExist' }] },
      { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z3'] }] },
    ]))).toEqual({ a: [MISMATCH], b: [], c: [] });
    expect(await reasons(nodes, [], terms([{ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['4'] }] }])))
      .toEqual({ a: [MISMATCH], b: [], c: [MISMATCH] });
    expect(await reasons(nodes, [], terms([{ matchExpressions: [{ key: 'gen', operator: 'Lt', values: ['4'] }] }])))
      .toEqual({ a: [], b: [MISMATCH], c: [MISMATCH] });
    expect(await reasons(nodes, [], terms([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['c'] }] }])))
      .toEqual({ a: [MISMATCH], b: [MISMATCH], c: [] });
    // An empty term matches nothing.
    expect(await reasons(nodes, [], terms([{}]))).toEqual({ a: [MISMATCH], b: [MISMATCH], c: [MISMATCH] });
  });
  test('preferred terms: weight sums normalised to 0–100', async () => {
    const p = pod('p', { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 2, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] } },
      { weight: 5, preference: { matchExpressions: [{ key: 'gen', operator: 'Exists' }] } },
    ] } } });
    // a: 7, b: 5, c: 5 → 100, 71, 71
    expect(await scores(nodes, [], p, 'NodeAffinity')).toEqual({ a: 100, b: 71, c: 71 });
  });
});

describe('resource scores', () => {
  const nodes = [node('n1', { cpu: '4', memory: '8Gi' }), node('n2', { cpu: '2', memory: '8Gi' })];
  const p = pod('p', { requests: { cpu: '1', memory: '2Gi' } });
  test('LeastAllocated and BalancedAllocation', async () => {
    // n1: cpu 75, memory 75 → 75; n2: cpu 50, memory 75 → 62 (integer division)
    expect(await scores(nodes, [], p, 'NodeResourcesFit')).toEqual({ n1: 75, n2: 62 });
    // n1 fractions 0.25/0.25 → 100; n2 0.5/0.25 → (1 - 0.125) * 100 → 87
    expect(await scores(nodes, [], p, 'NodeResourcesBalancedAllocation')).toEqual({ n1: 100, n2: 87 });
  });
  test('MostAllocated and RequestedToCapacityRatio', async () => {
    expect(await scores(nodes, [], p, 'NodeResourcesFit', { ...CONFIG, scoringStrategy: 'MostAllocated' })).toEqual({ n1: 25, n2: 37 });
    // bin-packing shape (0→0, 100→10): utilisation 25%/25% → 25; 50%/25% → round(37.5) → 38
    expect(await scores(nodes, [], p, 'NodeResourcesFit', { ...CONFIG, scoringStrategy: 'RequestedToCapacityRatio' })).toEqual({ n1: 25, n2: 38 });
  });
  test('missing requests score as 100m / 200Mi; best-effort pods skip BalancedAllocation', async () => {
    // cpu (4000-100)*100/4000 = 97, memory (8192-200)*100/8192 = 97
    expect((await scores(nodes, [], pod('be'), 'NodeResourcesFit')).n1).toBe(97);
    expect(await scores(nodes, [], pod('be'), 'NodeResourcesBalancedAllocation')).toEqual({ n1: 0, n2: 0 });
  });
  test('TaintToleration counts untolerated PreferNoSchedule taints, reversed', async () => {
    const t = (k: string) => ({ key: k, effect: 'PreferNoSchedule' });
    const n = [node('none'), node('one', { taints: [t('a')] }), node('two', { taints: [t('a'), t('b')] })];
    expect(await scores(n, [], pod('p'), 'TaintToleration')).toEqual({ none: 100, one: 50, two: 0 });
    expect(await scores(n, [], pod('q', { tolerations: [{ key: 'b', operator: 'Exists' }] }), 'TaintToleration'))
      .toEqual({ none: 100, one: 0, two: 0 });
  });
  test('ImageLocality scales image size by how many nodes have it', async () => {
    const n = [node('has', { images: [{ names: ['app:1'], sizeBytes: 500 * MI }] }), node('lacks')];
    // 500 MiB × 1/2 nodes = 250 MiB; (250 - 23) / (1000 - 23) × 100 → 23
    expect(await scores(n, [], pod('p'), 'ImageLocality')).toEqual({ has: 23, lacks: 0 });
  });
});

describe('PodTopologySpread', () => {
  const zoneNodes = [
    node('a1', { labels: { zone: 'z1' } }), node('a2', { labels: { zone: 'z1' } }),
    node('b1', { labels: { zone: 'z2' } }), node('b2', { labels: { zone: 'z2' } }),
    node('nolabel'),
  ];
  const web = (name: string) => pod(name, {}, { labels: { app: 'web' } });
  const existing = [bound(web('w1'), 'a1'), bound(web('w2'), 'a1'), bound(web('w3'), 'a2'), bound(web('w4'), 'b1')];
  const spreading = (c: Record<string, unknown>) => pod('p', { topologySpreadConstraints: [{
    maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...c,
  }] }, { labels: { app: 'web' } });
  const SKEW = "node(s) didn't match pod topology spread constraints";
  test('skew = matching pods in the domain + self - global minimum', async () => {
    // z1 has 3, z2 has 1: z1 → 3 + 1 - 1 = 3 > 1; z2 → 1 + 1 - 1 = 1
    expect(await reasons(zoneNodes, existing, spreading({}))).toEqual({
      a1: [SKEW], a2: [SKEW], b1: [], b2: [], nolabel: [`${SKEW} (missing required label)`],
    });
  });
  test('minDomains above the number of domains makes the minimum 0', async () => {
    const r = await reasons(zoneNodes, existing, spreading({ minDomains: 3 }));
    expect(r.b1).toEqual([SKEW]);
  });
  test('ScheduleAnyway on hostname: fewer matching pods score higher', async () => {
    const n = [node('h0'), node('h1'), node('h2')];
    const pods = [bound(web('x1'), 'h1'), bound(web('x2'), 'h2'), bound(web('x3'), 'h2')];
    const p = pod('p', { topologySpreadConstraints: [{
      maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } },
    }] }, { labels: { app: 'web' } });
    // weight log(3 + 2); raw 0, round(1.61) = 2, round(3.22) = 3; normalised 100·(3 + 0 - s)/3
    expect(await scores(n, pods, p, 'PodTopologySpread')).toEqual({ h0: 100, h1: 33, h2: 0 });
  });
});

describe('PodTopologySpread system defaults (pods without constraints)', () => {
  const ZONE = 'topology.kubernetes.io/zone';
  const n = [
    node('a1', { labels: { [ZONE]: 'zA' } }), node('a2', { labels: { [ZONE]: 'zA' } }),
    node('b1', { labels: { [ZONE]: 'zB' } }), node('c1', { labels: { [ZONE]: 'zC' } }), node('nz'),
  ];
  const at = (name: string, nodeName: string, labels: Record<string, string>, namespace = 'default'): KubeObject =>
    bound(pod(name, {}, { labels, namespace }), nodeName);
  // Matching app=web in default: a1 2, a2 1, b1 1 (zone zA 3, zB 1, zC 0). The others must not count.
  const existing = [
    at('w1', 'a1', { app: 'web' }), at('w2', 'a1', { app: 'web' }), at('w3', 'a2', { app: 'web', extra: '1' }),
    at('w4', 'b1', { app: 'web' }), at('db', 'c1', { app: 'db' }), at('elsewhere', 'c1', { app: 'web' }, 'prod'),
  ];
  // A ReplicaSet's pod: its own labels (with the template hash) select none of the existing pods.
  const incoming = pod('p', {}, {
    labels: { app: 'web', 'pod-template-hash': 'h1' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-h1', uid: 'u', controller: true }],
  });
  const spreadScores = async (p: KubeObject, hints?: ScheduleHints): Promise<Record<string, number | null>> => {
    const out: Record<string, Record<string, number | null>> = {};
    for (const [name, c] of await cores(n, existing)) {
      out[name] = Object.fromEntries(c.explain(p, hints).map((e) => [e.node, e.scores ? e.scores.PodTopologySpread : null]));
    }
    expect(out.wasm).toEqual(out.reference);
    return out.reference!;
  };

  test('a Service selector spreads over hostname (maxSkew 3) and zone (maxSkew 5), scoring only', async () => {
    // Weights: hostname log(5 nodes + 2), zone log(4 values + 2) (the unlabelled node adds the "" value).
    // raw = hostCount·ln7 + 2 + zoneCount·ln6 + 4 (zone part only on zoned nodes), rounded:
    // a1 2·1.946 + 2 + 3·1.792 + 4 = 15, a2 13, b1 10, c1 6, nz 2; normalised 100·(15 + 2 - s)/15, truncated.
    const hints = { defaultSpreadSelector: { matchLabels: { app: 'web' } } };
    expect(await spreadScores(incoming, hints)).toEqual({ a1: 13, a2: 26, b1: 46, c1: 73, nz: 100 });
    // Soft constraints only: no node is filtered for skew.
    expect(Object.values(await reasons(n, existing, incoming)).flat()).toEqual([]);
    for (const [, c] of await cores(n, existing)) expect(c.schedule(incoming, hints).node).toBe('nz');
  });

  test('merged requirements (Service labels AND a ReplicaSet expression) select by all of them', async () => {
    const hints = { defaultSpreadSelector: { matchExpressions: [
      { key: 'app', operator: 'In', values: ['web'] }, { key: 'extra', operator: 'DoesNotExist' },
    ] } };
    // w3 (extra=1) no longer counts: a1 2, b1 1, a2 0; zones zA 2, zB 1.
    // raw a1 2·1.946 + 2 + 2·1.792 + 4 = 13, a2 0 + 2 + 3.584 + 4 = 10, b1 10, c1 6, nz 2 → 100·(15 - s)/13
    expect(await spreadScores(incoming, hints)).toEqual({ a1: 15, a2: 38, b1: 38, c1: 69, nz: 100 });
  });

  test('no selector, an empty one, or own constraints: no default constraints', async () => {
    const none = await spreadScores(incoming);
    expect(none).toEqual({ a1: 0, a2: 0, b1: 0, c1: 0, nz: 0 });
    expect(await spreadScores(incoming, { defaultSpreadSelector: {} })).toEqual(none);
    const own = pod('q', { topologySpreadConstraints: [{
      maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'db' } },
    }] }, { labels: { app: 'web' } });
    expect(await spreadScores(own, { defaultSpreadSelector: { matchLabels: { app: 'web' } } })).toEqual(await spreadScores(own));
  });
});

describe('InterPodAffinity', () => {
  const nodes = [
    node('a1', { labels: { zone: 'z1' } }), node('a2', { labels: { zone: 'z1' } }), node('b1', { labels: { zone: 'z2' } }),
  ];
  const term = (app: string, key: string) => ({ labelSelector: { matchLabels: { app } }, topologyKey: key });
  test('required anti-affinity of the incoming pod', async () => {
    const r = await reasons(nodes, [bound(pod('w', {}, { labels: { app: 'web' } }), 'a1')],
      pod('p', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'kubernetes.io/hostname')] } } }));
    expect(r).toEqual({ a1: ["node(s) didn't match pod anti-affinity rules"], a2: [], b1: [] });
  });
  test("existing pods' anti-affinity", async () => {
    const guard = bound(pod('g', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', 'zone')] } } }), 'a2');
    const r = await reasons(nodes, [guard], pod('db', {}, { labels: { app: 'db' } }));
    const E = "node(s) didn't satisfy existing pods anti-affinity rules";
    expect(r).toEqual({ a1: [E], a2: [E], b1: [] });
  });
  test('required affinity, and the first pod of a self-affine group', async () => {
    const cache = bound(pod('c', {}, { labels: { app: 'cache' } }), 'b1');
    const wants = (labels: Record<string, string>) => pod('p', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('cache', 'zone')] } } }, { labels });
    const A = "node(s) didn't match pod affinity rules";
    expect(await reasons(nodes, [cache], wants({}))).toEqual({ a1: [A], a2: [A], b1: [] });
    expect(await reasons(nodes, [], wants({}))).toEqual({ a1: [A], a2: [A], b1: [A] });
    expect(await reasons(nodes, [], wants({ app: 'cache' }))).toEqual({ a1: [], a2: [], b1: [] });
  });
  test('preferred affinity scores by matching pods in the domain', async () => {
    const pods = [bound(pod('w1', {}, { labels: { app: 'web' } }), 'a1'), bound(pod('w2', {}, { labels: { app: 'web' } }), 'b1'), bound(pod('w3', {}, { labels: { app: 'web' } }), 'b1')];
    const p = pod('p', { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('web', 'zone') }] } } });
    // z1 domain sum 10, z2 domain sum 20 → (10 - 10)/10 → 0, 100
    expect(await scores(nodes, pods, p, 'InterPodAffinity')).toEqual({ a1: 0, a2: 0, b1: 100 });
  });
});

describe('decisions', () => {
  test('failure counts per reason, as the FailedScheduling message needs them', async () => {
    const nodes = [node('n1', { unschedulable: true }), node('n2', { cpu: '1' }), node('n3', { cpu: '1' }), node('n4', { taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] })];
    for (const [, c] of await cores(nodes)) {
      const r = c.schedule(pod('p', { requests: { cpu: '2' } }));
      expect(r.node).toBeNull();
      expect(r.evaluated).toBe(4);
      expect(r.feasible).toBe(0);
      expect([...r.reasons].sort((x, y) => x.reason.localeCompare(y.reason))).toEqual([
        { reason: 'Insufficient cpu', count: 2 },
        { reason: 'node(s) had untolerated taint {k: v}', count: 1 },
        { reason: 'node(s) were unschedulable', count: 1 },
      ]);
    }
  });
  test('ties are broken at random by the seed, identically in both cores, reaching every tied node', async () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const picks: (string | null)[] = [];
      for (const [, c] of await cores([node('x'), node('y'), node('z')], [], { ...CONFIG, seed })) picks.push(c.schedule(pod('p')).node);
      expect(picks[1]).toBe(picks[0]);
      seen.add(picks[0]!);
    }
    expect([...seen].sort()).toEqual(['x', 'y', 'z']);
  });
  test("percentageOfNodesToScore follows upstream's formula", () => {
    expect(numFeasibleNodesToFind(0, 50)).toBe(50);
    expect(numFeasibleNodesToFind(0, 1000)).toBe(420);
    expect(numFeasibleNodesToFind(0, 5000)).toBe(500);
    expect(numFeasibleNodesToFind(0, 15000)).toBe(750);
    expect(numFeasibleNodesToFind(10, 500)).toBe(100);
    expect(numFeasibleNodesToFind(100, 5000)).toBe(5000);
  });
  test('bind and delete update the table in place', async () => {
    for (const [, c] of await cores([node('only', { cpu: '1' })])) {
      const p = pod('p', { requests: { cpu: '600m' } });
      expect(c.schedule(p).node).toBe('only');
      c.addPod(bound(p, 'only'));
      expect(c.schedule(pod('q', { requests: { cpu: '600m' } })).node).toBeNull();
      c.removePod(p);
      expect(c.schedule(pod('q', { requests: { cpu: '600m' } })).node).toBe('only');
      c.removeNode('only');
      expect(c.nodeCount()).toBe(0);
      expect(c.schedule(p)).toEqual({ node: null, evaluated: 0, feasible: 0, reasons: [] });
    }
  });
  test('malformed objects read as empty fields instead of throwing', async () => {
    const bad = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'odd' }, spec: { taints: 'x' }, status: { images: {} } } as KubeObject;
    for (const [, c] of await cores([bad, node('fine')])) {
      const p = { metadata: { name: 'p', namespace: 'default' }, spec: { containers: 'nope', tolerations: {}, topologySpreadConstraints: [null] } } as KubeObject;
      // 'odd' has no allocatable pods, so only 'fine' can take the pod
      expect(c.schedule(p).node).toBe('fine');
    }
  });
  test('API objects (uid, resourceVersion) parse once per version and node name, and still account correctly', async () => {
    const api = (name: string, rv: string, nodeName?: string): KubeObject => ({
      ...pod(name, { requests: { cpu: '600m' }, ...(nodeName ? { nodeName } : {}) }),
      metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: rv },
    });
    for (const [, c] of await cores([node('a', { cpu: '1' }), node('b', { cpu: '1' })])) {
      const first = c.schedule(api('p', '10')).node!;
      c.addPod(api('p', '10', first)); // assumed copy: same version, node name set
      c.removePod(api('p', '10', first));
      c.addPod(api('p', '11', first)); // the informer's bound copy
      const second = c.schedule(api('q', '12')).node!;
      expect(second).not.toBe(first);
      c.addPod(api('q', '12', second));
      expect(c.schedule(api('r', '13'))).toMatchObject({ node: null, feasible: 0 });
    }
  });
});
