/**
 * The scheduler's informer keeps of a bound pod only what scheduling reads (bound-pod-view.ts), and parse results
 * of pods sharing frozen parts share their pieces (pod-query.ts): both must leave every decision input as it was.
 */
import { describe, expect, test } from 'vitest';
import { slimCacheTransform } from '../../../../src/client/share-parts.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { boundPodView } from '../../../../src/control/scheduler/bound-pod-view.js';
import { parsePod } from '../../../../src/control/scheduler/pod-query.js';

const pod = (name: string, nodeName?: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: '7', creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { app: 'web', tier: 'front' }, annotations: { a: 'b' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs', controller: true }],
  },
  spec: {
    ...(nodeName ? { nodeName } : {}),
    initContainers: [
      { name: 'side', image: 'envoy', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } }, env: [{ name: 'X', value: '1' }] },
      { name: 'init', image: 'busybox:1', resources: { requests: { cpu: '1', memory: '1Gi' } }, command: ['true'] },
    ],
    containers: [
      {
        name: 'c', image: 'nginx', resources: { requests: { cpu: '100m', memory: '64Mi', 'example.com/gpu': '1' }, limits: { cpu: '1' } },
        ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }, { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' }],
        volumeMounts: [{ name: `kube-api-access-${name}`, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
        livenessProbe: { httpGet: { path: '/', port: 80 } },
      },
    ],
    overhead: { cpu: '10m' },
    volumes: [
      { name: `kube-api-access-${name}`, projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data-0' } },
      { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } },
    ],
    tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    nodeSelector: { disk: 'ssd' },
    affinity: {
      nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 3, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } }] },
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] },
    },
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }],
    priority: 5,
    schedulerName: 'default-scheduler',
    ...extra,
  },
  status: {
    phase: 'Running', startTime: '2026-01-01T00:00:01Z', nominatedNodeName: 'n2', qosClass: 'Burstable', podIP: '10.1.0.9', podIPs: [{ ip: '10.1.0.9' }],
    conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:02Z' }],
    containerStatuses: [{ name: 'c', ready: true, restartCount: 0, containerID: `sim://${name}`, state: { running: { startedAt: '2026-01-01T00:00:02Z' } } }],
  },
});

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('boundPodView', () => {
  test('a bound pod parses exactly as before, keeps what the loop and preemption read, and loses the rest', () => {
    const full = pod('p', 'n1');
    const view = boundPodView(clone(full));
    expect(parsePod(view)).toEqual(parsePod(full));
    expect(view.metadata).toEqual(full.metadata);
    const spec = view.spec as Record<string, unknown>;
    const fullSpec = full.spec as Record<string, unknown>;
    for (const k of ['nodeName', 'overhead', 'tolerations', 'nodeSelector', 'affinity', 'topologySpreadConstraints', 'priority', 'schedulerName']) expect(spec[k]).toEqual(fullSpec[k]);
    expect(spec.containers).toEqual([{ name: 'c', image: 'nginx', resources: (fullSpec.containers as { resources: unknown }[])[0]!.resources, ports: (fullSpec.containers as { ports: unknown }[])[0]!.ports }]);
    expect((spec.initContainers as Record<string, unknown>[]).map((c) => Object.keys(c))).toEqual([['name', 'image', 'resources', 'restartPolicy'], ['name', 'image', 'resources']]);
    expect((spec.volumes as { name: string }[]).map((v) => v.name)).toEqual(['data', 'scratch']);
    expect(view.status).toEqual({
      phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:02Z' }],
      nominatedNodeName: 'n2', startTime: '2026-01-01T00:00:01Z',
    });
  });

  test('a pod not bound yet (and any object without a node name) is left whole', () => {
    const pending = pod('q');
    expect(boundPodView(clone(pending))).toEqual(pending);
    const rs: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' }, spec: { replicas: 2 }, status: { replicas: 2 } };
    expect(boundPodView(clone(rs))).toEqual(rs);
  });

  test('after the shared-parts transform, the bound view still parses as the full pod does', () => {
    const slim = slimCacheTransform();
    for (const extra of [{}, { initContainers: undefined, overhead: undefined }]) {
      const full = JSON.parse(JSON.stringify(pod('p', 'n1', extra))) as KubeObject;
      expect(parsePod(slim(boundPodView(clone(full))))).toEqual(parsePod(full));
    }
  });
});

describe('parsePod sharing', () => {
  const bound = (name: string): KubeObject => clone(pod(name, 'n1', { initContainers: undefined, overhead: undefined }));

  test('pods of one template, once their parts are shared, share requests, ports, images, tolerations and labels', () => {
    const slim = slimCacheTransform();
    const [a, b] = [parsePod(slim(boundPodView(bound('a')))), parsePod(slim(boundPodView(bound('b'))))];
    expect(a.key).toBe('ns/a');
    expect(b.key).toBe('ns/b');
    expect(b.requests).toBe(a.requests);
    expect(b.hostPorts).toBe(a.hostPorts);
    expect(b.images).toBe(a.images);
    expect(b.tolerations).toBe(a.tolerations);
    expect(b.labels).toBe(a.labels);
    expect([...a.requests]).toEqual([['cpu', 100], ['memory', 64 * 2 ** 20], ['example.com/gpu', 1]]);
    expect(a.hostPorts).toEqual([{ port: 8080, protocol: 'TCP', ip: '0.0.0.0' }, { port: 53, protocol: 'UDP', ip: '10.0.0.1' }]);
  });

  test('unfrozen parts are parsed per pod, so a later change of the object is not hidden by an earlier result', () => {
    const p = bound('a');
    const first = parsePod(p);
    const c = (p.spec as { containers: { resources: { requests: Record<string, string> } }[] }).containers[0]!;
    c.resources.requests.cpu = '300m';
    (p.metadata!.labels as Record<string, string>).app = 'db';
    const second = parsePod(p);
    expect(second.requests.get('cpu')).toBe(300);
    expect(first.requests.get('cpu')).toBe(100);
    expect(second.labels.app).toBe('db');
    expect(first.labels.app).toBe('web');
  });

  test('pods whose containers differ only in their own service-account mount share one parse of requests, ports and images', () => {
    // As the scheduler assumes them: whole (not yet bound), each container list unique to its pod.
    const [a, b] = [parsePod(clone(pod('a', 'n1'))), parsePod(clone(pod('b', 'n2')))];
    expect(b.requests).toBe(a.requests);
    expect(b.hostPorts).toBe(a.hostPorts);
    expect(b.images).toBe(a.images);
    expect(a.requests.get('cpu')).toBe(1060);
    const more = clone(pod('c', 'n1'));
    (more.spec as { containers: { resources: { requests: Record<string, string> } }[] }).containers[0]!.resources.requests.cpu = '2';
    const c = parsePod(more);
    expect(c.requests).not.toBe(a.requests);
    expect(c.requests.get('cpu')).toBe(2060);
    expect(a.requests.get('cpu')).toBe(1060);
  });

  test('a pod with init containers or overhead adds them to what its shared containers request', () => {
    const slim = slimCacheTransform();
    const a = parsePod(slim(boundPodView(clone(pod('a', 'n1')))));
    // max(init 1 cpu + sidecar 50m, containers 100m + sidecar 50m) + overhead 10m
    expect(a.requests.get('cpu')).toBe(1060);
    expect(a.images).toEqual(['envoy:latest', 'busybox:1', 'nginx:latest']);
    expect(a.containerCount).toBe(3);
  });
});
