import { describe, expect, it } from 'vitest';
import { computeSubsets, desiredEndpoints, repackSubsets, truncateSubsets } from '../../../src/control/controllers/endpoints-subsets.js';
import { mirrorEndpoints, shouldMirror } from '../../../src/control/controllers/endpointslice-mirroring-reconciler.js';
import type { Endpoints, EndpointSlice, EndpointSubset, Pod, Service } from '../../../src/control/controllers/endpointslice/types.js';

const svc = (over: Partial<Service['spec']> = {}): Service => ({
  metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels: { app: 'web' } },
  spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ipFamilies: ['IPv4'], ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...over },
});

const pod = (i: number, over: { ready?: boolean; port?: number; deleting?: boolean } = {}): Pod => ({
  metadata: { name: `p${i}`, namespace: 'ns', uid: `uid-${i}`, labels: { app: 'web' }, ...(over.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: over.port ?? 8080, protocol: 'TCP' }] }] },
  status: { phase: 'Running', podIP: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }] },
});

const addr = (i: number) => ({ ip: `10.0.0.${i + 1}`, nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: `p${i}`, uid: `uid-${i}` } });

describe('endpoints subsets', () => {
  it('groups addresses by shared ports, ready and not ready apart, sorted by IP', () => {
    const subsets = computeSubsets(svc(), [pod(3), pod(1, { ready: false }), pod(2), pod(4, { port: 9090 })]);
    expect(subsets).toEqual([
      { addresses: [addr(2), addr(3)], notReadyAddresses: [addr(1)], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
      { addresses: [addr(4)], ports: [{ name: 'http', port: 9090, protocol: 'TCP' }] },
    ]);
  });

  it('leaves terminating pods out unless not-ready addresses are published, which makes every address ready', () => {
    expect(computeSubsets(svc(), [pod(1, { deleting: true })])).toEqual([]);
    const published = computeSubsets(svc({ publishNotReadyAddresses: true }), [pod(1, { deleting: true }), pod(2, { ready: false })]);
    expect(published).toEqual([{ addresses: [addr(1), addr(2)], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]);
  });

  it('publishes a headless service without ports, and merges ports offered by the same addresses', () => {
    expect(computeSubsets(svc({ clusterIP: 'None', ports: [] }), [pod(1)])).toEqual([{ addresses: [addr(1)] }]);
    const two = svc({ ports: [{ name: 'a', port: 1, targetPort: 7001 }, { name: 'b', port: 2, targetPort: 7002 }] });
    expect(computeSubsets(two, [pod(1), pod(2)])).toEqual([
      { addresses: [addr(1), addr(2)], ports: [{ name: 'a', port: 7001, protocol: 'TCP' }, { name: 'b', port: 7002, protocol: 'TCP' }] },
    ]);
  });

  it('repack: an address both ready and not ready for one port counts as ready', () => {
    const p = { name: 'x', port: 1, protocol: 'TCP' };
    expect(repackSubsets([{ addresses: [addr(1)], ports: [p] }, { notReadyAddresses: [addr(1)], ports: [p] }])).toEqual([{ addresses: [addr(1)], ports: [p] }]);
  });

  it('truncates to 1000 by each subset\'s share, ready addresses first', () => {
    const many = (n: number, from: number) => Array.from({ length: n }, (_, i) => addr(from + i));
    const subsets: EndpointSubset[] = [
      { addresses: many(900, 0), notReadyAddresses: many(100, 2000), ports: [{ port: 1 }] },
      { addresses: many(300, 1000), ports: [{ port: 2 }] },
    ];
    const out = truncateSubsets(subsets)!;
    expect(out[0]!.addresses).toHaveLength(750);
    expect(out[0]!.notReadyAddresses).toBeUndefined();
    expect(out[1]!.addresses).toHaveLength(250);
    expect(truncateSubsets([{ addresses: many(10, 0) }])).toBeUndefined();
  });

  it('desiredEndpoints: labels from the service, over-capacity when truncated, nothing when already right', () => {
    const pods = Array.from({ length: 1001 }, (_, i) => pod(i));
    const big = desiredEndpoints(svc(), pods, undefined, '2024-01-01T00:00:00Z')!;
    expect(big.metadata).toMatchObject({ name: 'web', namespace: 'ns', labels: { app: 'web' } });
    expect(big.metadata.annotations).toEqual({ 'endpoints.kubernetes.io/over-capacity': 'truncated', 'endpoints.kubernetes.io/last-change-trigger-time': '2024-01-01T00:00:00Z' });
    expect(big.subsets![0]!.addresses).toHaveLength(1000);

    const small = desiredEndpoints(svc({ clusterIP: 'None' }), [pod(1)], undefined, undefined)!;
    expect(small.metadata.labels).toEqual({ app: 'web', 'service.kubernetes.io/headless': '' });
    const stored: Endpoints = { ...small, metadata: { ...small.metadata, resourceVersion: '5', uid: 'e' } };
    expect(desiredEndpoints(svc({ clusterIP: 'None' }), [pod(1)], stored, undefined)).toBeUndefined();
    const changed = desiredEndpoints(svc({ clusterIP: 'None' }), [pod(1, { ready: false })], stored, undefined)!;
    expect(changed.metadata.resourceVersion).toBe('5');
    expect(changed.subsets![0]!.notReadyAddresses).toHaveLength(1);
  });
});

describe('endpointslice mirroring', () => {
  const endpoints = (subsets: EndpointSubset[], labels: Record<string, string> = {}): Endpoints => ({
    metadata: { name: 'ext', namespace: 'ns', uid: 'ep-uid', labels, annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': 'x', note: 'keep' } },
    subsets,
  });
  const named = (s: EndpointSlice, name: string, rv = '1'): EndpointSlice => ({ ...s, metadata: { ...s.metadata, name, uid: name, resourceVersion: rv } });

  it('skips skip-mirror and leader-election Endpoints', () => {
    expect(shouldMirror(endpoints([], { 'endpointslice.kubernetes.io/skip-mirror': 'true' }))).toBe(false);
    expect(shouldMirror({ metadata: { name: 'x', annotations: { 'control-plane.alpha.kubernetes.io/leader': '{}' } } })).toBe(false);
    expect(shouldMirror(endpoints([]))).toBe(true);
  });

  it('makes one slice per address type and port set, owned by the Endpoints, with their labels and annotations', () => {
    const plan = mirrorEndpoints(endpoints([
      { addresses: [{ ip: '1.1.1.1', nodeName: 'n1' }, { ip: 'fd00::1' }, { ip: 'not-an-ip' }], notReadyAddresses: [{ ip: '1.1.1.2', hostname: 'h' }], ports: [{ name: 'p', port: 80 }] },
    ], { src: 'hand' }), []);
    expect(plan.invalid).toBe(1);
    expect(plan.skipped).toBe(1);
    expect(plan.update).toEqual([]);
    expect(plan.create).toHaveLength(2);
    const v4 = plan.create.find((s) => s.addressType === 'IPv4')!;
    expect(v4.metadata).toEqual({
      namespace: 'ns',
      generateName: 'ext-',
      labels: { src: 'hand', 'kubernetes.io/service-name': 'ext', 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' },
      annotations: { note: 'keep' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Endpoints', name: 'ext', uid: 'ep-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(v4.ports).toEqual([{ name: 'p', port: 80, protocol: 'TCP' }]);
    expect(v4.endpoints).toEqual([
      { addresses: ['1.1.1.1'], conditions: { ready: true }, nodeName: 'n1' },
      { addresses: ['1.1.1.2'], conditions: { ready: false }, hostname: 'h' },
    ]);
    expect(plan.create.find((s) => s.addressType === 'IPv6')!.endpoints).toEqual([{ addresses: ['fd00::1'], conditions: { ready: true } }]);
  });

  it('leaves a matching slice alone, rewrites it in place on change, and recycles it when the ports change', () => {
    const ep = endpoints([{ addresses: [{ ip: '1.1.1.1' }], ports: [{ name: 'p', port: 80 }] }]);
    const slice = named(mirrorEndpoints(ep, []).create[0]!, 'ext-a');
    expect(mirrorEndpoints(ep, [slice])).toMatchObject({ create: [], update: [], delete: [] });

    const edited = endpoints([{ addresses: [{ ip: '1.1.1.1' }, { ip: '1.1.1.3' }], ports: [{ name: 'p', port: 80 }] }]);
    const upd = mirrorEndpoints(edited, [slice]);
    expect(upd.create).toEqual([]);
    expect(upd.update.map((s) => [s.metadata.name, s.metadata.resourceVersion, s.endpoints!.length])).toEqual([['ext-a', '1', 2]]);

    const moved = endpoints([{ addresses: [{ ip: '1.1.1.1' }], ports: [{ name: 'p', port: 8080 }] }]);
    const rec = mirrorEndpoints(moved, [slice]);
    expect(rec.create).toEqual([]);
    expect(rec.delete).toEqual([]);
    expect(rec.update).toHaveLength(1);
    expect(rec.update[0]!.metadata.name).toBe('ext-a');
    expect(rec.update[0]!.ports).toEqual([{ name: 'p', port: 8080, protocol: 'TCP' }]);
  });

  it('caps a subset at maxEndpointsPerSubset and deletes duplicate slices of one key', () => {
    const ep = endpoints([{ addresses: Array.from({ length: 5 }, (_, i) => ({ ip: `1.1.1.${i + 1}` })), ports: [{ port: 1 }] }]);
    const plan = mirrorEndpoints(ep, [], 3);
    expect(plan.create[0]!.endpoints).toHaveLength(3);
    expect(plan.skipped).toBe(2);
    expect(plan.invalid).toBe(0);
    const s = named(mirrorEndpoints(ep, []).create[0]!, 'a');
    const dup = named(s, 'b');
    const again = mirrorEndpoints(ep, [s, dup]);
    expect(again.delete.map((x) => x.metadata.name)).toEqual(['b']);
    expect(again.update).toEqual([]);
  });
});
