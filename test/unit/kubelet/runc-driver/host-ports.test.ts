import { describe, expect, it } from 'vitest';
import { hostPortMappings, hostPortScript } from '../../../../src/dataplane/kubelet/runtime/runc/host-ports.js';
import { mkPod } from './fakes.js';

const UID = '0000abcd-aaaa-bbbb-cccc-dddddddddddd';

describe('hostPortMappings', () => {
  it('takes ports with a hostPort (protocol defaulting to TCP, hostIP 0.0.0.0 as any); none for hostNetwork pods', () => {
    const pod = mkPod({
      containers: [
        { name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }, { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '10.1.1.1' }] },
        { name: 'b', image: 'x', ports: [{ containerPort: 90, hostPort: 9090, hostIP: '0.0.0.0' }, { containerPort: 91, hostPort: 70000 }] },
      ],
    });
    expect(hostPortMappings(pod, '10.244.1.5')).toEqual([
      { protocol: 'tcp', hostPort: 8080, containerPort: 80, podIP: '10.244.1.5' },
      { protocol: 'udp', hostPort: 53, hostIP: '10.1.1.1', containerPort: 53, podIP: '10.244.1.5' },
      { protocol: 'tcp', hostPort: 9090, containerPort: 90, podIP: '10.244.1.5' },
    ]);
    expect(hostPortMappings(mkPod({ hostNetwork: true, containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 80 }] }] }), '10.0.0.1')).toEqual([]);
  });
});

describe('hostPortScript', () => {
  const m = [{ protocol: 'tcp' as const, hostPort: 8080, containerPort: 80, podIP: '10.244.1.5' }];

  it('rewrites the pod’s chain (hairpin and node-local marks, then DNAT) and the jump list, keeping other pods’ chains', () => {
    const text = hostPortScript(UID, m, new Set(['pod-other']));
    expect(text).toContain('add rule ip skiff_hostports prerouting fib daddr type local jump hostports');
    expect(text).toContain('add rule ip skiff_hostports output fib daddr type local jump hostports');
    expect(text).toContain(`flush chain ip skiff_hostports pod-${UID}`);
    expect(text).toContain(`add rule ip skiff_hostports pod-${UID} tcp dport 8080 ip saddr 10.244.1.5 meta mark set meta mark | 0x2000`);
    expect(text).toContain(`add rule ip skiff_hostports pod-${UID} tcp dport 8080 dnat to 10.244.1.5:80`);
    const jumps = text.split('\n').filter((l) => l.includes('hostports jump'));
    expect(jumps).toEqual([`add rule ip skiff_hostports hostports jump pod-${UID}`, 'add rule ip skiff_hostports hostports jump pod-other']);
    // The jump list is rebuilt after the flush (never appended twice).
    expect(text.indexOf('flush chain ip skiff_hostports hostports')).toBeLessThan(text.indexOf(jumps[0]!));
  });

  it('removal drops the pod’s jump, then its chain; the others stay', () => {
    const text = hostPortScript(UID, [], new Set([`pod-${UID}`, 'pod-other']));
    expect(text.split('\n').filter((l) => l.includes('hostports jump'))).toEqual(['add rule ip skiff_hostports hostports jump pod-other']);
    expect(text.trimEnd().split('\n').slice(-2)).toEqual([`flush chain ip skiff_hostports pod-${UID}`, `delete chain ip skiff_hostports pod-${UID}`]);
  });

  it('refuses a uid that is not one', () => {
    expect(() => hostPortScript('x; flush ruleset', m, new Set())).toThrow('hostPort: invalid pod uid');
  });
});

describe('RuncPodDriver: hostPorts', () => {
  it('maps a pod’s hostPorts to its IP after the sandbox, before any container; removes them before the sandbox goes', async () => {
    const { Harness, deleting } = await import('./fakes.js');
    const h = new Harness();
    try {
      await h.driver.whenReady();
      const pod = mkPod({ containers: [{ name: 'app', image: 'busybox:1.36', ports: [{ containerPort: 80, hostPort: 8080 }] }] });
      const uid = pod.metadata!.uid!;
      await h.status(pod);
      expect(h.log).toEqual([`setUp ${pod.metadata!.name}`, `hostPorts ${uid} → 10.244.1.2`, 'run app 0']);
      const del = deleting(pod, 0);
      await h.status(del);
      await h.advance(3000);
      const tail = h.log.slice(h.log.indexOf(`hostPorts remove ${uid}`));
      expect(tail[0]).toBe(`hostPorts remove ${uid}`);
      expect(tail).toContain(`tearDown ${uid}`);
      expect(h.hostPorts.mapped.size).toBe(0);
      // A pod without hostPorts never asks.
      const plain = mkPod();
      await h.status(plain);
      expect(h.log.filter((l) => l.includes(plain.metadata!.uid!))).toEqual([]);
    } finally {
      await h.driver.close();
      h.cleanup();
    }
  });

  it('a failed mapping fails the sandbox (FailedCreatePodSandBox); nothing runs until it succeeds', async () => {
    const { Harness, cstat } = await import('./fakes.js');
    const h = new Harness({ retryMs: 1000 });
    try {
      await h.driver.whenReady();
      h.hostPorts.fail = 'nft exited with 1: Error: Could not process rule';
      const pod = mkPod({ containers: [{ name: 'app', image: 'busybox:1.36', ports: [{ containerPort: 80, hostPort: 8080 }] }] });
      const s = await h.status(pod);
      expect(cstat(s).state).toEqual({ waiting: { reason: 'ContainerCreating' } });
      expect(h.log.some((l) => l.startsWith('run'))).toBe(false);
      expect(h.events.map((e) => [e.reason, e.message])).toContainEqual(['FailedCreatePodSandBox', 'Failed to create pod sandbox: nft exited with 1: Error: Could not process rule']);
      h.hostPorts.fail = null;
      await h.advance(1000);
      expect(cstat(await h.status(pod)).state.running).toBeDefined();
    } finally {
      await h.driver.close();
      h.cleanup();
    }
  });
});
