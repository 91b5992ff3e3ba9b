import { describe, expect, it } from 'vitest';
import { addedExtendedResources, buildNode, divergedReportAt, isExtendedResourceName, NODE_STATUS_UPDATE_FREQUENCY_MS, machineIds, nodeConditions, nodeStatus, nodeStatusDue, nodeStatusPatch, registrationPatch, rfc3339Micro, statusChanged, withExtendedResources } from '../../../src/dataplane/kubelet/node-object.js';
import { rfc3339 } from '../../../src/client/time.js';
import { expandNodes, parseNodeSpec } from '../../../src/dataplane/kubelet/spec.js';

const cfg = expandNodes(parseNodeSpec({ count: 1, namePrefix: 'n-', taints: ['k=v:NoSchedule'] }))[0]!;
const host = { kubeletPort: 10250, bootID: 'b00t', kernelVersion: '6.1.0' };
const T0 = Date.parse('2025-01-02T03:04:05.678Z');

describe('node object', () => {
  it('is the Node a kubelet registers', () => {
    const node = buildNode(cfg, host, { ready: true }, T0);
    expect(node.metadata).toMatchObject({ name: 'n-0', annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' } });
    expect(node.spec).toEqual({ taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] });
    const st = node.status as ReturnType<typeof nodeStatus>;
    expect(st.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
    expect(st.nodeInfo).toMatchObject({ bootID: 'b00t', kernelVersion: '6.1.0', kubeletVersion: 'v1.32.0-skiff', containerRuntimeVersion: 'skiff-sim://0.1.0', operatingSystem: 'linux', architecture: 'amd64' });
    expect(st.conditions.map((c) => c.lastHeartbeatTime)).toEqual(Array(4).fill('2025-01-02T03:04:05Z'));
  });

  it('machine ids are stable per name and differ between names', () => {
    expect(machineIds('a')).toEqual(machineIds('a'));
    expect(machineIds('a').machineID).not.toBe(machineIds('b').machineID);
  });

  it('conditions keep lastTransitionTime while the status holds, and move it on a flip', () => {
    const c0 = nodeConditions({ ready: true }, T0);
    const c1 = nodeConditions({ ready: true }, T0 + 60_000, c0);
    expect(c1.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: rfc3339(T0), lastHeartbeatTime: rfc3339(T0 + 60_000) });
    const c2 = nodeConditions({ ready: false }, T0 + 120_000, c1);
    expect(c2.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'KubeletNotReady', lastTransitionTime: rfc3339(T0 + 120_000) });
    expect(c2.find((c) => c.type === 'MemoryPressure')!.lastTransitionTime).toBe(rfc3339(T0));
  });

  it('posts on change, otherwise once per report period', () => {
    const s0 = nodeStatus(cfg, host, { ready: true }, T0);
    const s1 = nodeStatus(cfg, host, { ready: true }, T0 + 10_000, s0.conditions);
    expect(statusChanged(s0, s1)).toBe(false);
    expect(nodeStatusDue({ status: s0, at: T0 }, s1, T0 + 10_000, 300_000)).toBe(false);
    expect(nodeStatusDue({ status: s0, at: T0 }, s1, T0 + 300_000, 300_000)).toBe(true);
    const s2 = nodeStatus(cfg, host, { ready: false }, T0 + 10_000, s0.conditions);
    expect(nodeStatusDue({ status: s0, at: T0 }, s2, T0 + 10_000, 300_000)).toBe(true);
    expect(nodeStatusDue({ at: 0 }, s0, T0, 300_000)).toBe(true);
  });

  it('posts again, at most once per update period, when the API\'s Node holds another Ready status than the last post', () => {
    const last = nodeStatus(cfg, host, { ready: true }, T0);
    const at = (apiReady: string | undefined, answering = true) => divergedReportAt({ apiReady, last, lastReportAt: T0, answering });
    expect(at('True')).toBeUndefined();
    expect(at(undefined)).toBeUndefined();
    // The node lifecycle controller set Unknown while the Lease was late: the kubelet's status loop puts it back.
    expect(at('Unknown')).toBe(T0 + NODE_STATUS_UPDATE_FREQUENCY_MS);
    // A node whose Lease was stopped plays a kubelet cut off from the API: it answers nothing.
    expect(at('Unknown', false)).toBeUndefined();
    expect(divergedReportAt({ apiReady: 'Unknown', last: undefined, lastReportAt: 0, answering: true })).toBeUndefined();
  });

  it('re-registration patches only missing or changed labels and annotations', () => {
    const wanted = buildNode(cfg, host, { ready: true }, T0);
    expect(registrationPatch(wanted, wanted)).toBeUndefined();
    const existing = { metadata: { name: 'n-0', labels: { ...wanted.metadata!.labels, 'kubernetes.io/hostname': 'old', extra: 'kept' }, annotations: {} } };
    expect(registrationPatch(existing, wanted)).toEqual({
      metadata: { labels: { 'kubernetes.io/hostname': 'n-0' }, annotations: wanted.metadata!.annotations },
    });
  });

  it('formats times as metav1.Time and MicroTime', () => {
    expect(rfc3339(T0)).toBe('2025-01-02T03:04:05Z');
    expect(rfc3339Micro(T0)).toBe('2025-01-02T03:04:05.678000Z');
  });
});

describe('extended resources a user adds to capacity', () => {
  it('IsExtendedResourceName: domain-prefixed, not kubernetes.io, not requests.', () => {
    expect(isExtendedResourceName('example.com/fakecpu')).toBe(true);
    expect(isExtendedResourceName('scheduling.k8s.io/foo')).toBe(true);
    expect(isExtendedResourceName('cpu')).toBe(false);
    expect(isExtendedResourceName('kubernetes.io/batman')).toBe(false);
    expect(isExtendedResourceName('requests.example.com/x')).toBe(false);
    expect(isExtendedResourceName('Bad_Domain/x')).toBe(false);
  });

  it('are copied to allocatable; one gone from capacity is removed from allocatable with null', () => {
    const own = { cpu: '8', memory: '32Gi', pods: '110' };
    const added = addedExtendedResources({ ...own, 'example.com/fakecpu': '10', 'hugepages-2Mi': '0' }, own);
    expect(added).toEqual({ 'example.com/fakecpu': '10' });
    expect(addedExtendedResources(own, own)).toBeUndefined();
    const base = { capacity: { ...own }, allocatable: { ...own }, conditions: [], addresses: [], daemonEndpoints: { kubeletEndpoint: { Port: 1 } }, nodeInfo: {} };
    const withIt = withExtendedResources(base, added);
    expect(withIt.allocatable).toEqual({ ...own, 'example.com/fakecpu': '10' });
    expect(withIt.capacity).toEqual(own); // capacity stays the user's to change
    expect(nodeStatusPatch(undefined, withIt)).toEqual({ status: withIt });
    expect(nodeStatusPatch(withIt, base)).toEqual({ status: { ...base, allocatable: { ...own, 'example.com/fakecpu': null } } });
  });
});
