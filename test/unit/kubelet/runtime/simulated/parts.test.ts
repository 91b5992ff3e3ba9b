import { describe, expect, it } from 'vitest';
import { admit, parseAllocatable, podRequests } from '../../../../../src/dataplane/kubelet/runtime/simulated/admission.js';
import { resolveImage, simulatedContainerID } from '../../../../../src/dataplane/kubelet/runtime/simulated/image.js';
import { ipToString, parseCIDR, PodIPAllocator } from '../../../../../src/dataplane/kubelet/runtime/simulated/ipam.js';
import { resolveTiming } from '../../../../../src/dataplane/kubelet/runtime/simulated/timing.js';
import type { Pod } from '../../../../../src/dataplane/kubelet/types.js';

const pod = (spec: Record<string, unknown>): Pod => ({ metadata: { name: 'p', uid: 'u' }, spec });

describe('podRequests', () => {
  it('sums regular containers, takes the max of init containers, adds sidecars and overhead', () => {
    const r = podRequests(
      pod({
        containers: [{ name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' } } }, { name: 'b', resources: { requests: { cpu: '200m' } } }],
        initContainers: [
          { name: 'side', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } },
          { name: 'big', resources: { requests: { cpu: '1', memory: '1Gi' } } },
        ],
        overhead: { cpu: '10m' },
      }),
    );
    // regular 300m + sidecar 50m = 350m; init max = big 1000m + sidecar 50m = 1050m → 1050m, + 10m overhead
    expect(r.get('cpu')).toBe(1060);
    expect(r.get('memory')).toBe(1073741824 + 0); // max(64Mi, 1Gi)
  });
  it('pod-level requests replace cpu and memory', () => {
    const r = podRequests(pod({ containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }], resources: { requests: { cpu: '2' } } }));
    expect(r.get('cpu')).toBe(2000);
  });
});

describe('admit', () => {
  const alloc = parseAllocatable({ cpu: '4', memory: '8Gi', pods: '3', 'ephemeral-storage': '10Gi' });
  it('rejects with upstream reasons and messages, pods first', () => {
    expect(admit(new Map([['cpu', 500]]), { pods: 3, requested: new Map() }, alloc)).toEqual({
      reason: 'OutOfpods',
      message: "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3",
    });
    expect(admit(new Map([['cpu', 500]]), { pods: 1, requested: new Map([['cpu', 3800]]) }, alloc)).toEqual({
      reason: 'OutOfcpu',
      message: "Node didn't have enough resource: cpu, requested: 500, used: 3800, capacity: 4000",
    });
    expect(admit(new Map([['memory', 9 * 2 ** 30]]), { pods: 0, requested: new Map() }, alloc)?.reason).toBe('OutOfmemory');
    expect(admit(new Map([['cpu', 200]]), { pods: 1, requested: new Map([['cpu', 3800]]) }, alloc)).toBeNull();
    expect(admit(new Map(), { pods: 2, requested: new Map([['cpu', 4000]]) }, alloc)).toBeNull();
  });
  it('ignores extended resources the node does not offer, checks those it does', () => {
    const a = parseAllocatable({ cpu: '4', pods: '10', 'example.com/gpu': '1' });
    expect(admit(new Map([['vendor.io/x', 5]]), { pods: 0, requested: new Map() }, a)).toBeNull();
    expect(admit(new Map([['example.com/gpu', 2]]), { pods: 0, requested: new Map() }, a)?.reason).toBe('OutOfexample.com/gpu');
  });
});

describe('PodIPAllocator', () => {
  it('skips the network address, the gateway and broadcast, and reuses freed IPs', () => {
    const a = new PodIPAllocator(parseCIDR('10.244.3.0/29'));
    const got = [a.allocate(), a.allocate(), a.allocate(), a.allocate(), a.allocate()].map((ip) => (ip === null ? null : ipToString(ip)));
    expect(got).toEqual(['10.244.3.2', '10.244.3.3', '10.244.3.4', '10.244.3.5', '10.244.3.6']);
    expect(a.allocate()).toBeNull();
    a.release(a.first + 1); // 10.244.3.3
    expect(ipToString(a.allocate()!)).toBe('10.244.3.3');
  });
  it('goes round-robin and masks the host bits of the CIDR', () => {
    const a = new PodIPAllocator(parseCIDR('10.1.2.77/24'));
    const x = a.allocate()!;
    expect(ipToString(x)).toBe('10.1.2.2');
    a.release(x);
    expect(ipToString(a.allocate()!)).toBe('10.1.2.3');
    expect(a.reserve(x)).toBe(true);
    expect(a.reserve(x)).toBe(false);
  });
  it('rejects bad CIDRs naming the field', () => {
    expect(() => parseCIDR('10.0.0.0')).toThrow(/podCIDR/);
    expect(() => parseCIDR('10.0.0.0/32')).toThrow(/podCIDR/);
  });
});

describe('images and IDs', () => {
  it('normalises references as a runtime does and derives a stable digest', () => {
    expect(resolveImage('nginx').image).toBe('docker.io/library/nginx:latest');
    expect(resolveImage('nginx').imageID).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(resolveImage('bitnami/redis:7').image).toBe('docker.io/bitnami/redis:7');
    expect(resolveImage('registry.k8s.io/pause:3.10').image).toBe('registry.k8s.io/pause:3.10');
    expect(resolveImage('localhost:5000/app').image).toBe('localhost:5000/app:latest');
    const d = 'sha256:' + 'a'.repeat(64);
    expect(resolveImage(`busybox@${d}`).imageID).toBe(`docker.io/library/busybox@${d}`);
    expect(simulatedContainerID('u', 'c', 0)).toMatch(/^skiff-sim:\/\/[0-9a-f]{64}$/);
    expect(simulatedContainerID('u', 'c', 0)).not.toBe(simulatedContainerID('u', 'c', 1));
  });
});

describe('resolveTiming', () => {
  it('fills defaults and names a bad field', () => {
    expect(resolveTiming({ sandboxMs: 0 }).containerStartMs).toBe(200);
    expect(() => resolveTiming({ stopMs: -1 })).toThrow(/timing\.stopMs/);
  });
});
