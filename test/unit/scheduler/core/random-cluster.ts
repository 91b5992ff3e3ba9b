/**
 * Seeded generators of small random clusters and pods for the differential tests: labels, taints, requests,
 * node affinity, spread constraints, pod (anti-)affinity, host ports and system default spread selectors drawn
 * from small pools so that matches, ties and failures are all common.
 */
import type { KubeObject } from '../../../../src/control/api/resource.js';
import type { KubeLabelSelector } from '../../../../src/control/scheduler/core.js';

export class Rand {
  constructor(private s: number) {}
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = Math.imul(this.s ^ (this.s >>> 15), 1 | this.s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  some<T>(xs: readonly T[], p: number): T[] { return xs.filter(() => this.chance(p)); }
}

const ZONES = ['z1', 'z2', 'z3'];
const TAINTS = [
  { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
  { key: 'spot', value: 'true', effect: 'PreferNoSchedule' },
  { key: 'maint', effect: 'NoExecute' },
  { key: 'foo', value: 'bar', effect: 'PreferNoSchedule' },
  { key: 'dedicated', value: 'db', effect: 'NoSchedule' },
];
const IMAGES = ['nginx', 'redis:7', 'busybox:1.36', 'registry.local:5000/app'];
const APPS = ['a', 'b', 'c'];

export function randomNode(r: Rand, i: number): KubeObject {
  const name = `node-${i}`;
  const labels: Record<string, string> = { 'kubernetes.io/hostname': name };
  if (!r.chance(0.1)) labels['topology.kubernetes.io/zone'] = r.pick(ZONES);
  if (r.chance(0.5)) labels.disk = r.pick(['ssd', 'hdd']);
  if (r.chance(0.6)) labels.gen = r.pick(['1', '2', '3', '4', 'x']);
  if (r.chance(0.3)) labels.rack = r.pick(['r1', 'r2']);
  const allocatable: Record<string, string> = {
    cpu: r.pick(['500m', '1', '2', '4']),
    memory: r.pick(['1Gi', '2Gi', '4Gi', '8Gi']),
    pods: r.pick(['3', '5', '10', '110']),
  };
  if (r.chance(0.5)) allocatable['ephemeral-storage'] = r.pick(['10Gi', '1Gi']);
  if (r.chance(0.3)) allocatable['example.com/gpu'] = r.pick(['1', '2']);
  const images = r.some(IMAGES, 0.4).map((n) => ({
    names: [n.includes(':') && !n.includes('/') ? n : `${n}:latest`], sizeBytes: r.pick([10, 300, 800, 2000]) * 1024 * 1024,
  }));
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels },
    spec: { unschedulable: r.chance(0.08), taints: r.some(TAINTS, 0.12) },
    status: { allocatable, images },
  };
}

function selector(r: Rand): Record<string, unknown> {
  const k = r.int(4);
  if (k === 0) return { matchLabels: { app: r.pick(APPS) } };
  if (k === 1) return { matchExpressions: [{ key: 'app', operator: r.pick(['In', 'NotIn']), values: r.some(APPS, 0.5).concat('a') }] };
  if (k === 2) return { matchExpressions: [{ key: 'tier', operator: r.pick(['Exists', 'DoesNotExist']) }] };
  return { matchLabels: { app: r.pick(APPS), tier: r.pick(['fe', 'be']) } };
}

function nodeTerm(r: Rand, nodes: number): Record<string, unknown> {
  const exprs: Record<string, unknown>[] = [];
  const n = 1 + r.int(2);
  for (let i = 0; i < n; i++) {
    switch (r.int(6)) {
      case 0: exprs.push({ key: 'topology.kubernetes.io/zone', operator: 'In', values: r.some(ZONES, 0.5).concat('z1') }); break;
      case 1: exprs.push({ key: 'disk', operator: r.pick(['NotIn', 'In']), values: ['ssd'] }); break;
      case 2: exprs.push({ key: 'gen', operator: r.pick(['Gt', 'Lt']), values: [r.pick(['1', '2', '3'])] }); break;
      case 3: exprs.push({ key: 'rack', operator: r.pick(['Exists', 'DoesNotExist']) }); break;
      case 4: exprs.push({ key: 'disk', operator: 'Bogus', values: ['x'] }); break;
      default: exprs.push({ key: 'gen', operator: 'In', values: ['2', '3', 'x'] });
    }
  }
  const term: Record<string, unknown> = { matchExpressions: exprs };
  if (r.chance(0.1)) term.matchFields = [{ key: 'metadata.name', operator: r.pick(['In', 'NotIn']), values: [`node-${r.int(nodes)}`] }];
  return term;
}

function affinityTerm(r: Rand): Record<string, unknown> {
  const t: Record<string, unknown> = {
    labelSelector: selector(r),
    topologyKey: r.pick(['kubernetes.io/hostname', 'topology.kubernetes.io/zone', 'rack']),
  };
  if (r.chance(0.15)) t.namespaces = ['default', 'other'];
  if (r.chance(0.1)) t.namespaceSelector = {};
  return t;
}

export function randomPod(r: Rand, i: number, nodes: number): KubeObject {
  const labels: Record<string, string> = {};
  if (!r.chance(0.1)) labels.app = r.pick(APPS);
  if (r.chance(0.5)) labels.tier = r.pick(['fe', 'be']);
  const requests = (): Record<string, string> => {
    const q: Record<string, string> = {};
    if (r.chance(0.7)) q.cpu = r.pick(['100m', '250m', '500m', '1', '0']);
    if (r.chance(0.7)) q.memory = r.pick(['128Mi', '512Mi', '1Gi', '1.5Gi']);
    if (r.chance(0.1)) q['ephemeral-storage'] = r.pick(['1Gi', '5Gi']);
    if (r.chance(0.1)) q['example.com/gpu'] = '1';
    return q;
  };
  const containers: Record<string, unknown>[] = [];
  const nc = 1 + r.int(2);
  for (let c = 0; c < nc; c++) {
    const ctr: Record<string, unknown> = { name: `c${c}`, image: r.pick(IMAGES), resources: { requests: requests() } };
    if (r.chance(0.08)) ctr.ports = [{ containerPort: 80, hostPort: r.pick([8080, 9090]), protocol: r.pick(['TCP', 'UDP']), ...(r.chance(0.3) ? { hostIP: '10.0.0.1' } : {}) }];
    containers.push(ctr);
  }
  const spec: Record<string, unknown> = { containers };
  if (r.chance(0.2)) {
    spec.initContainers = [
      { name: 'init', image: 'busybox:1.36', resources: { requests: requests() } },
      ...(r.chance(0.5) ? [{ name: 'sidecar', image: 'nginx', restartPolicy: 'Always', resources: { requests: requests() } }] : []),
    ];
  }
  if (r.chance(0.05)) spec.overhead = { cpu: '50m', memory: '64Mi' };
  if (r.chance(0.15)) spec.nodeSelector = r.chance(0.5) ? { disk: 'ssd' } : { 'topology.kubernetes.io/zone': r.pick(ZONES) };
  if (r.chance(0.3)) {
    spec.tolerations = r.some([
      { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
      { key: 'spot', operator: 'Exists' },
      { operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'foo', operator: 'Equal', value: 'bar', effect: 'PreferNoSchedule' },
    ], 0.5);
  }
  const affinity: Record<string, unknown> = {};
  if (r.chance(0.25)) {
    const na: Record<string, unknown> = {};
    if (r.chance(0.5)) na.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [nodeTerm(r, nodes), ...(r.chance(0.4) ? [nodeTerm(r, nodes)] : [])] };
    if (r.chance(0.7)) na.preferredDuringSchedulingIgnoredDuringExecution = [1, 2].slice(0, 1 + r.int(2)).map(() => ({ weight: 1 + r.int(100), preference: nodeTerm(r, nodes) }));
    affinity.nodeAffinity = na;
  }
  if (r.chance(0.25)) {
    const pa: Record<string, unknown> = {};
    if (r.chance(0.5)) pa.requiredDuringSchedulingIgnoredDuringExecution = [affinityTerm(r), ...(r.chance(0.3) ? [affinityTerm(r)] : [])];
    if (r.chance(0.6)) pa.preferredDuringSchedulingIgnoredDuringExecution = [{ weight: 1 + r.int(100), podAffinityTerm: affinityTerm(r) }];
    affinity.podAffinity = pa;
  }
  if (r.chance(0.3)) {
    const paa: Record<string, unknown> = {};
    if (r.chance(0.6)) paa.requiredDuringSchedulingIgnoredDuringExecution = [affinityTerm(r)];
    if (r.chance(0.6)) paa.preferredDuringSchedulingIgnoredDuringExecution = [{ weight: 1 + r.int(100), podAffinityTerm: affinityTerm(r) }];
    affinity.podAntiAffinity = paa;
  }
  if (Object.keys(affinity).length > 0) spec.affinity = affinity;
  if (r.chance(0.3)) {
    const n = 1 + r.int(2);
    spec.topologySpreadConstraints = Array.from({ length: n }, () => {
      const c: Record<string, unknown> = {
        maxSkew: 1 + r.int(3),
        topologyKey: r.pick(['topology.kubernetes.io/zone', 'kubernetes.io/hostname', 'rack']),
        whenUnsatisfiable: r.pick(['DoNotSchedule', 'ScheduleAnyway']),
        labelSelector: r.chance(0.9) ? selector(r) : undefined,
      };
      if (r.chance(0.2)) c.minDomains = 1 + r.int(4);
      if (r.chance(0.2)) c.nodeAffinityPolicy = 'Ignore';
      if (r.chance(0.2)) c.nodeTaintsPolicy = 'Honor';
      if (r.chance(0.1)) c.matchLabelKeys = ['tier'];
      return c;
    });
  }
  if (r.chance(0.03)) spec.nodeName = `node-${r.int(nodes + 1)}`;
  const metadata: Record<string, unknown> = { name: `pod-${i}`, namespace: r.chance(0.8) ? 'default' : 'other', labels };
  if (r.chance(0.3)) metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }];
  if (r.chance(0.03)) metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec } as KubeObject;
}

/**
 * A system default spread selector as the loop would compute it from Services and a controlling ReplicaSet:
 * often one that selects some of the pods (app/tier pools), sometimes empty or absent.
 */
export function randomDefaultSelector(r: Rand, pod: KubeObject): KubeLabelSelector | undefined {
  if (r.chance(0.4)) return undefined;
  const labels = pod.metadata?.labels ?? {};
  const exprs: NonNullable<KubeLabelSelector['matchExpressions']> = [];
  switch (r.int(5)) {
    case 0: return {};
    case 1: return { matchLabels: { app: r.pick(APPS) } };
    case 2:
      // Services selecting the pod, merged
      for (const [key, v] of Object.entries(labels)) if (r.chance(0.7)) exprs.push({ key, operator: 'In', values: [v] });
      break;
    case 3:
      exprs.push({ key: 'app', operator: 'In', values: r.some(APPS, 0.5).concat('b') }, { key: 'tier', operator: r.pick(['Exists', 'DoesNotExist']) });
      break;
    default:
      exprs.push({ key: 'app', operator: 'In', values: [labels.app ?? r.pick(APPS)] }, { key: 'tier', operator: 'NotIn', values: [r.pick(['fe', 'be'])] });
  }
  return { matchExpressions: exprs };
}
