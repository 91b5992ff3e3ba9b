import { describe, expect, test } from 'vitest';
import type { KubeObject, ResourceType } from '../../../../src/control/api/resource.js';
import * as k from '../../../../src/control/api/kinds/index.js';
import { toTable } from '../../../../src/control/api/table.js';
import { humanDuration } from '../../../../src/control/api/kinds/printers/duration.js';

const now = new Date('2026-01-10T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
const cells = (r: ResourceType, o: KubeObject) => (toTable(r, [o], { includeObject: 'None', now }).rows as Array<{ cells: unknown[] }>)[0]!.cells;

describe('humanDuration', () => {
  test.each([
    [0, '0s'], [-1500, '0s'], [-3000, '<invalid>'], [5_000, '5s'], [119_000, '119s'], [182_000, '3m2s'], [600_000, '10m'],
    [179 * 60_000, '179m'], [3 * 3600_000, '3h'], [5 * 3600_000 + 600_000, '5h10m'], [30 * 3600_000, '30h'],
    [2 * 86400_000, '2d'], [3 * 86400_000 + 3600_000, '3d1h'], [100 * 86400_000, '100d'], [3 * 365 * 86400_000 + 86400_000, '3y1d'],
    [9 * 365 * 86400_000, '9y'],
  ])('%d ms -> %s', (ms, text) => expect(humanDuration(ms)).toBe(text));
});

describe('pod status column', () => {
  const pod = (status: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject => ({
    metadata: { name: 'p', creationTimestamp: ago(10), ...extra },
    spec: { containers: [{ name: 'c', image: 'x' }] }, status,
  });
  const statusOf = (o: KubeObject) => cells(k.pods, o).slice(1, 4);

  test('pending, creating, running, completed, crash loop, terminating', () => {
    expect(statusOf(pod({ phase: 'Pending' }))).toEqual(['0/1', 'Pending', '0']);
    expect(statusOf(pod({ phase: 'Pending', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] })))
      .toEqual(['0/1', 'ContainerCreating', '0']);
    expect(statusOf(pod({ phase: 'Succeeded', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] })))
      .toEqual(['0/1', 'Completed', '0']);
    expect(statusOf(pod({
      phase: 'Running',
      containerStatuses: [{ name: 'c', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(65) } } }],
    }))).toEqual(['0/1', 'CrashLoopBackOff', '4 (65s ago)']);
    expect(statusOf(pod({ phase: 'Running', containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: {} } }] }, { deletionTimestamp: ago(1) })))
      .toEqual(['1/1', 'Terminating', '0']);
    expect(statusOf(pod({ phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 137 } } }] })))
      .toEqual(['0/1', 'ExitCode:137', '0']);
  });

  test('init containers', () => {
    const o = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'i', restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] });
    (o.spec as Record<string, unknown>).initContainers = [{ name: 'i', image: 'x' }];
    expect(statusOf(o)[1]).toBe('Init:0/1');
  });
});

describe('other kinds', () => {
  test('service types, ports and external IPs', () => {
    const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject => ({ metadata: { name: 's', creationTimestamp: ago(30) }, spec, status });
    expect(cells(k.services, svc({ type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ port: 443, protocol: 'TCP' }], selector: { app: 'a' } })))
      .toEqual(['s', 'ClusterIP', '10.96.0.1', '<none>', '443/TCP', '30s', 'app=a']);
    expect(cells(k.services, svc({ type: 'NodePort', clusterIPs: ['10.96.0.2'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] })).slice(1, 5))
      .toEqual(['NodePort', '10.96.0.2', '<none>', '80:30080/TCP,53/UDP']);
    expect(cells(k.services, svc({ type: 'LoadBalancer', clusterIPs: ['10.96.0.3'], ports: [] }))[3]).toBe('<pending>');
    expect(cells(k.services, svc({ type: 'LoadBalancer', clusterIPs: ['10.96.0.3'], ports: [] }, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } }))[3]).toBe('1.2.3.4');
    expect(cells(k.services, svc({ type: 'ExternalName', externalName: 'db.example.com' })).slice(2, 5)).toEqual(['<none>', 'db.example.com', '<none>']);
  });

  test('nodes: status, roles and wide info', () => {
    const node: KubeObject = {
      metadata: { name: 'n1', creationTimestamp: ago(86400 * 3), labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '' } },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '192.168.1.10' }, { type: 'Hostname', address: 'n1' }],
        nodeInfo: { kubeletVersion: 'v1.32.0-skiff', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'skiff://0.1.0' },
      },
    };
    expect(cells(k.nodes, node)).toEqual(['n1', 'Ready,SchedulingDisabled', 'control-plane,worker', '3d', 'v1.32.0-skiff',
      '192.168.1.10', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'skiff://0.1.0']);
    expect(cells(k.nodes, { metadata: { name: 'n2' } }).slice(1, 4)).toEqual(['Unknown', '<none>', '<unknown>']);
  });

  test('namespaces, configmaps, secrets, serviceaccounts, leases', () => {
    const meta = { name: 'x', creationTimestamp: ago(5) };
    expect(cells(k.namespaces, { metadata: meta, status: { phase: 'Active' } })).toEqual(['x', 'Active', '5s']);
    expect(cells(k.configmaps, { metadata: meta, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })).toEqual(['x', 3, '5s']);
    expect(cells(k.secrets, { metadata: meta, type: 'Opaque', data: { a: 'MQ==' } })).toEqual(['x', 'Opaque', 1, '5s']);
    expect(cells(k.serviceaccounts, { metadata: meta })).toEqual(['x', 0, '5s']);
    expect(cells(k.leases, { metadata: meta, spec: { holderIdentity: 'node-1' } })).toEqual(['x', 'node-1', '5s']);
  });

  test('jobs and cronjobs', () => {
    const job: KubeObject = {
      metadata: { name: 'pi', creationTimestamp: ago(600) },
      spec: { completions: 3, parallelism: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } }, template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } },
      status: { succeeded: 3, startTime: ago(590), completionTime: ago(400), conditions: [{ type: 'Complete', status: 'True' }] },
    };
    expect(cells(k.jobs, job)).toEqual(['pi', 'Complete', '3/3', '3m10s', '10m', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=u']);
    const running: KubeObject = { metadata: { name: 'r', creationTimestamp: ago(20) }, spec: { parallelism: 2 }, status: { startTime: ago(20) } };
    expect(cells(k.jobs, running).slice(1, 4)).toEqual(['Running', '0/1 of 2', '20s']);
    const cj: KubeObject = { metadata: { name: 'tick', creationTimestamp: ago(3600) }, spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } }, status: { active: [{ name: 'tick-1' }], lastScheduleTime: ago(90) } };
    expect(cells(k.cronjobs, cj)).toEqual(['tick', '*/5 * * * *', '<none>', 'False', 1, '90s', '60m', 'c', 'busybox', '']);
  });

  test('endpoints, endpointslices, events, statefulsets, daemonsets, hpa', () => {
    const meta = { name: 'x', creationTimestamp: ago(5) };
    const ep: KubeObject = { metadata: meta, subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4' }], ports: [{ port: 80 }] }] };
    expect(cells(k.endpoints, ep)).toEqual(['x', '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...', '5s']);
    expect(cells(k.endpoints, { metadata: meta })[1]).toBe('<none>');
    expect(cells(k.endpointslices, { metadata: meta, addressType: 'IPv4', ports: [{ port: 80 }], endpoints: [{ addresses: ['10.0.0.1'] }] })).toEqual(['x', 'IPv4', '80', '10.0.0.1', '5s']);
    expect(cells(k.endpointslices, { metadata: meta, addressType: 'IPv4' }).slice(2, 4)).toEqual(['<unset>', '<unset>']);
    const ev: KubeObject = { metadata: { name: 'web.1' }, type: 'Warning', reason: 'BackOff', message: ' Back-off restarting \n', count: 3, firstTimestamp: ago(300), lastTimestamp: ago(20), involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{c}' }, source: { component: 'kubelet', host: 'n1' } };
    expect(cells(k.events, ev)).toEqual(['20s', 'Warning', 'BackOff', 'pod/web', 'spec.containers{c}', 'kubelet, n1', 'Back-off restarting', '5m', 3, 'web.1']);
    expect(cells(k.statefulsets, { metadata: meta, spec: { replicas: 2, template: { spec: { containers: [{ name: 'db', image: 'pg' }] } } }, status: { readyReplicas: 1 } })).toEqual(['x', '1/2', '5s', 'db', 'pg']);
    expect(cells(k.daemonsets, { metadata: meta, spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [] } } }, status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 } }))
      .toEqual(['x', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '5s', '', '', 'a=b']);
    const hpa: KubeObject = { metadata: meta, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] }, status: { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40 } } }] } };
    expect(cells(k.horizontalpodautoscalers, hpa)).toEqual(['x', 'Deployment/web', 'cpu: 40%/80%', '1', 5, 2, '5s']);
  });
});
