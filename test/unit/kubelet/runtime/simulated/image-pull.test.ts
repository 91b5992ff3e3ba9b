import { describe, expect, it } from 'vitest';
import type { ContainerStatusJSON } from '../../../../../src/dataplane/kubelet/pod/container-status.js';
import { podTransitionEvents, type PodEventMemory } from '../../../../../src/dataplane/kubelet/event-rules.js';
import { SimulatedPodDriver } from '../../../../../src/dataplane/kubelet/runtime/simulated/driver.js';
import { imageIsUnpullable, pullWaitAt } from '../../../../../src/dataplane/kubelet/runtime/simulated/image-pull.js';
import { DEFAULT_TIMING } from '../../../../../src/dataplane/kubelet/runtime/simulated/timing.js';
import { expandNodes, NodeSpecError, parseNodeSpec } from '../../../../../src/dataplane/kubelet/spec.js';
import { specFromFlags } from '../../../../../src/cli/nodes.js';
import type { NodeContext, Pod, PodStatus } from '../../../../../src/dataplane/kubelet/types.js';

const T0 = Date.parse('2026-12-03T21:40:00Z');
const CTX: NodeContext = { nodeName: 'n1', hostIP: '10.200.0.7', podCIDR: '10.244.1.0/24', allocatable: { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' } };

let seq = 0;
function mkPod(containers: { name: string; image: string }[], initContainers: { name: string; image: string }[] = []): Pod {
  seq++;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${seq}`, namespace: 'default', uid: `uid-${seq}` },
    spec: { nodeName: 'n1', containers, ...(initContainers.length ? { initContainers } : {}) },
  };
}

const cs = (s: PodStatus, key = 'containerStatuses') => s[key] as ContainerStatusJSON[];

describe('unpullable image patterns', () => {
  it('match the image as written or as resolved; * spans any characters; no patterns, no match', () => {
    expect(imageIsUnpullable(['webserver:404'], 'webserver:404')).toBe(true);
    expect(imageIsUnpullable(['docker.io/library/foo:non-existent'], 'foo:non-existent')).toBe(true);
    expect(imageIsUnpullable(['*:non-existent'], 'registry.local:5000/team/foo:non-existent')).toBe(true);
    expect(imageIsUnpullable(['webserver:404'], 'webserver:4040')).toBe(false);
    expect(imageIsUnpullable(['web.erver:404'], 'webxerver:404')).toBe(false); // '.' is literal
    expect(imageIsUnpullable([], 'webserver:404')).toBe(false);
    expect(imageIsUnpullable(undefined, 'webserver:404')).toBe(false);
  });

  it('ErrImagePull right after each attempt, ImagePullBackOff between; attempts 10 s apart, doubling to 5 min', () => {
    const at = (ms: number) => pullWaitAt('foo:bad', T0, T0 + ms);
    expect(at(0)).toMatchObject({ reason: 'ErrImagePull', next: T0 + 1_000 });
    expect(at(0).message).toBe('rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/foo:bad": failed to resolve reference "docker.io/library/foo:bad": docker.io/library/foo:bad: not found');
    expect(at(1_000)).toEqual({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "foo:bad"', next: T0 + 10_000 });
    expect(at(10_000)).toMatchObject({ reason: 'ErrImagePull', next: T0 + 11_000 });
    expect(at(11_000)).toMatchObject({ reason: 'ImagePullBackOff', next: T0 + 30_000 });
    expect(at(30_500)).toMatchObject({ reason: 'ErrImagePull' });
    expect(at(31_000)).toMatchObject({ reason: 'ImagePullBackOff', next: T0 + 70_000 });
    // 10+20+40+80+160 = 310 s, then every 300 s.
    expect(at(310_000)).toMatchObject({ reason: 'ErrImagePull' });
    expect(at(311_000)).toMatchObject({ reason: 'ImagePullBackOff', next: T0 + 610_000 });
    expect(at(3_610_000)).toMatchObject({ reason: 'ErrImagePull', next: T0 + 3_611_000 });
  });

  it('the node spec takes them (list or comma string), names a bad entry, and hands them to each node', () => {
    const spec = parseNodeSpec({ count: 2, unpullableImages: ['webserver:404', 'foo:*'] });
    expect(spec.unpullableImages).toEqual(['webserver:404', 'foo:*']);
    expect(expandNodes(spec).map((n) => n.unpullableImages)).toEqual([['webserver:404', 'foo:*'], ['webserver:404', 'foo:*']]);
    expect(parseNodeSpec({ unpullableImages: 'a:1, b:2' }).unpullableImages).toEqual(['a:1', 'b:2']);
    expect(expandNodes(parseNodeSpec({}))[0]!.unpullableImages).toBeUndefined();
    expect(() => parseNodeSpec({ unpullableImages: ['ok', 'a b'] })).toThrow(NodeSpecError);
    expect(() => parseNodeSpec({ unpullableImages: ['ok', 'a b'] })).toThrow(/unpullableImages\[1\]/);
    expect(() => parseNodeSpec({ unpullableImages: 7 })).toThrow(/unpullableImages: must be a list of strings/);
    expect(specFromFlags({ unpullableImages: 'webserver:404,foo:non-existent' }).unpullableImages).toEqual(['webserver:404', 'foo:non-existent']);
  });
});

describe('SimulatedPodDriver with unpullable images', () => {
  it('keeps the container waiting (ErrImagePull, then ImagePullBackOff), the pod Pending and not Ready; other containers run', () => {
    const d = new SimulatedPodDriver({ ...CTX, unpullableImages: ['webserver:404'] });
    const p = mkPod([
      { name: 'web', image: 'webserver:404' },
      { name: 'side', image: 'nginx:1.25' },
    ]);
    const first = T0 + DEFAULT_TIMING.sandboxMs + DEFAULT_TIMING.containerStartMs;
    d.sync(p, T0);
    const failed = d.sync(p, first);
    expect(failed.status!.phase).toBe('Pending');
    expect(cs(failed.status!)[0]).toMatchObject({ name: 'web', ready: false, restartCount: 0, image: 'webserver:404', imageID: '', started: false });
    expect(cs(failed.status!)[0]!.state.waiting).toMatchObject({ reason: 'ErrImagePull' });
    expect(cs(failed.status!)[0]!.containerID).toBeUndefined();
    expect(cs(failed.status!)[1]!.state.running).toBeDefined();
    expect(failed.wakeAt).toBe(first + 1_000);
    const backoff = d.sync(p, first + 1_000);
    expect(cs(backoff.status!)[0]!.state).toEqual({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "webserver:404"' } });
    expect((backoff.status!.conditions as { type: string; status: string }[]).find((c) => c.type === 'Ready')!.status).toBe('False');
    expect(backoff.wakeAt).toBe(first + 10_000);
    // Deleted while waiting: it ends, nothing was running to kill for long.
    const del = { ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-12-03T21:41:00Z', deletionGracePeriodSeconds: 0 } };
    expect(d.sync(del, first + 2_000).remove).toBe(true);
  });

  it('an unpullable init container blocks the pod in its init phase', () => {
    const d = new SimulatedPodDriver({ ...CTX, unpullableImages: ['*:missing'] });
    const p = mkPod([{ name: 'app', image: 'nginx' }], [{ name: 'setup', image: 'busybox:missing' }]);
    d.sync(p, T0);
    const r = d.sync(p, T0 + 60_000);
    expect(r.status!.phase).toBe('Pending');
    expect(cs(r.status!, 'initContainerStatuses')[0]!.state.waiting?.reason).toMatch(/ErrImagePull|ImagePullBackOff/);
    expect(cs(r.status!)[0]!.state.waiting?.reason).toBe('PodInitializing');
  });

  it('without patterns the same image runs (default off)', () => {
    const d = new SimulatedPodDriver(CTX);
    const p = mkPod([{ name: 'web', image: 'webserver:404' }]);
    d.sync(p, T0);
    const r = d.sync(p, T0 + 60_000);
    expect(r.status!.phase).toBe('Running');
  });
});

describe('events of a failed pull', () => {
  it('Pulling, Failed to pull image, Error: ErrImagePull once per attempt; BackOff and Error: ImagePullBackOff once per back-off', () => {
    const d = new SimulatedPodDriver({ ...CTX, unpullableImages: ['foo:non-existent'] });
    const p = mkPod([{ name: 'app', image: 'foo:non-existent' }]);
    let mem: PodEventMemory | undefined;
    const look = (now: number) => {
      const r = d.sync(p, now);
      const out = podTransitionEvents({ pod: p, status: r.status, memory: mem, now, hasImage: () => false });
      mem = out.memory;
      return out.events.map((e) => `${e.type} ${e.reason}: ${e.message}`);
    };
    const first = T0 + DEFAULT_TIMING.sandboxMs + DEFAULT_TIMING.containerStartMs;
    look(T0);
    const err = look(first);
    expect(err).toEqual([
      'Normal Pulling: Pulling image "foo:non-existent"',
      'Warning Failed: Failed to pull image "foo:non-existent": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/foo:non-existent": failed to resolve reference "docker.io/library/foo:non-existent": docker.io/library/foo:non-existent: not found',
      'Warning Failed: Error: ErrImagePull',
    ]);
    expect(look(first + 500)).toEqual([]);
    expect(look(first + 1_000)).toEqual(['Normal BackOff: Back-off pulling image "foo:non-existent"', 'Warning Failed: Error: ImagePullBackOff']);
    expect(look(first + 5_000)).toEqual([]);
    expect(look(first + 10_000)).toHaveLength(3);
    // No Killing on deletion: nothing ever ran.
    const del = { ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-12-03T21:41:00Z' } };
    const out = podTransitionEvents({ pod: del, status: null, memory: mem, now: first + 12_000, hasImage: () => false });
    expect(out.events).toEqual([]);
  });
});
