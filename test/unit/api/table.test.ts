import { describe, expect, test } from 'vitest';
import type { KubeObject, ResourceType } from '../../../src/control/api/resource.js';
import { resources, pods, deployments, services, nodes, events } from '../../../src/control/api/kinds/index.js';
import { toTable, columnDefinitions } from '../../../src/control/api/table.js';

const now = new Date('2026-01-10T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
const names = (r: ResourceType) => columnDefinitions(r).map((c) => (c.priority ? `(${c.name})` : c.name));

describe('column definitions follow upstream', () => {
  test('pods, deployments, services, nodes', () => {
    expect(names(pods)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age', '(IP)', '(Node)', '(Nominated Node)', '(Readiness Gates)']);
    expect(names(deployments)).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age', '(Containers)', '(Images)', '(Selector)']);
    expect(names(services)).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', '(Selector)']);
    expect(names(nodes)).toEqual(['Name', 'Status', 'Roles', 'Age', 'Version', '(Internal-IP)', '(External-IP)', '(OS-Image)', '(Kernel-Version)', '(Container-Runtime)']);
  });

  test('events keep Name last and hidden; every kind has exactly one name column', () => {
    expect(names(events)).toEqual(['Last Seen', 'Type', 'Reason', 'Object', '(Subobject)', '(Source)', 'Message', '(First Seen)', '(Count)', '(Name)']);
    for (const r of resources) {
      const defs = columnDefinitions(r);
      expect(defs.filter((c) => c.format === 'name'), r.plural).toHaveLength(1);
      // CustomResourceDefinitions and LimitRanges print upstream's default table: Name and Created At; upstream's
      // PodTemplate printer has no Age.
      if (r.plural === 'podtemplates') continue;
      // Nor do upstream's ComponentStatus and CSIStorageCapacity printers; a Binding is never printed.
      if (r.plural === 'componentstatuses' || r.plural === 'csistoragecapacities' || r.plural === 'bindings') continue;
      expect(defs.some((c) => c.name === 'Age' || c.name === 'Last Seen' || c.name === 'Created At'), r.plural).toBe(true);
    }
    expect(columnDefinitions(pods)[0]).toMatchObject({ name: 'Name', type: 'string', format: 'name', priority: 0 });
    expect(columnDefinitions(pods)[1]).toMatchObject({ name: 'Ready', format: '' });
  });
});

describe('toTable', () => {
  const pod: KubeObject = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', resourceVersion: '42', creationTimestamp: ago(182), labels: { app: 'web' } },
    spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'nginx' }] },
    status: {
      phase: 'Running', podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: { startedAt: ago(180) } } }],
    },
  };

  test('rows carry every cell, and PartialObjectMetadata by default', () => {
    const t = toTable(pods, [pod], { includeObject: 'Metadata', now });
    expect(t).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '42' } });
    const rows = t.rows as Array<{ cells: unknown[]; object: KubeObject }>;
    expect(rows[0]!.cells).toEqual(['web-1', '1/1', 'Running', '0', '3m2s', '10.244.0.5', 'node-a', '<none>', '<none>']);
    expect(rows[0]!.object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
  });

  test('includeObject None and Object; list metadata', () => {
    const none = toTable(pods, [pod, pod], { includeObject: 'None', now, listMeta: { resourceVersion: '99', continue: 'abc' } });
    expect(none.metadata).toEqual({ resourceVersion: '99', continue: 'abc' });
    expect((none.rows as Array<Record<string, unknown>>)[1]).not.toHaveProperty('object');
    const full = toTable(pods, [pod], { includeObject: 'Object', now });
    expect((full.rows as Array<{ object: KubeObject }>)[0]!.object).toBe(pod);
    expect(toTable(pods, [], { includeObject: 'None', now, listMeta: { resourceVersion: '7' } }).rows).toEqual([]);
  });

  test('a deployment row with wide columns', () => {
    const d: KubeObject = {
      metadata: { name: 'web', creationTimestamp: ago(2 * 86400 + 3600) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'a', image: 'nginx:1' }, { name: 'b', image: 'envoy:2' }] } } },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    const t = toTable(deployments, [d], { includeObject: 'None', now });
    expect((t.rows as Array<{ cells: unknown[] }>)[0]!.cells).toEqual(['web', '2/3', 3, 2, '2d1h', 'a,b', 'nginx:1,envoy:2', 'app=web']);
  });

  test('odd data prints instead of throwing', () => {
    const t = toTable(services, [{ metadata: { name: 'x' }, spec: 'nonsense' }], { includeObject: 'None', now });
    expect((t.rows as Array<{ cells: unknown[] }>)[0]!.cells[0]).toBe('x');
  });
});
