import { describe, expect, it } from 'vitest';
import { checkAgentFlags, cidrFlag } from '../../../../src/cli/agent.js';
import { Backoff } from '../../../../src/dataplane/kubelet/runtime/runc/backoff.js';
import { containerId, logTail, parseContainerId, podGraceSeconds, pullPolicyOf, shouldRestart } from '../../../../src/dataplane/kubelet/runtime/runc/pod-worker.js';
import { ProbeState, probeSpec } from '../../../../src/dataplane/kubelet/runtime/runc/probe.js';

describe('Backoff (client-go flowcontrol as the kubelet uses it)', () => {
  it('10 s doubling to 5 min, reset after 10 min without a new entry', () => {
    const b = new Backoff();
    expect(b.inBackOffSince('c', 0, 0)).toBeNull(); // first exit: restart at once
    expect(b.next('c', 0)).toBe(10_000);
    expect(b.inBackOffSince('c', 5_000, 6_000)).toBe(15_000);
    expect(b.inBackOffSince('c', 5_000, 15_000)).toBeNull();
    const delays = [20_000, 40_000, 80_000, 160_000, 300_000, 300_000];
    let t = 5_000;
    for (const d of delays) {
      expect(b.next('c', t)).toBe(d);
      t += 1000;
    }
    // 10 min (2 × max) after the last entry the back-off starts over.
    expect(b.inBackOffSince('c', t + 600_001, t + 600_001)).toBeNull();
    expect(b.next('c', t + 600_001)).toBe(10_000);
  });

  it('image pulls wait from the last failure (IsInBackOffSinceUpdate)', () => {
    const b = new Backoff();
    b.next('img', 1000);
    expect(b.inBackOffSinceUpdate('img', 5000)).toBe(11_000);
    expect(b.inBackOffSinceUpdate('img', 11_000)).toBeNull();
    const c = new Backoff();
    c.load(b.dump());
    expect(c.get('img')).toBe(10_000);
  });
});

describe('ProbeState (prober worker thresholds)', () => {
  it('readiness starts failed and needs successThreshold successes in a row; failureThreshold failures to fail', () => {
    const p = new ProbeState('readiness', probeSpec({ httpGet: { port: 80 }, successThreshold: 2, failureThreshold: 3 }, 'readiness')!);
    expect(p.result).toBe('failure');
    expect(p.record('success')).toBe(false);
    expect(p.record('failure')).toBe(false);
    expect(p.record('success')).toBe(false);
    expect(p.record('success')).toBe(true);
    expect(p.result).toBe('success');
    expect(p.record('failure')).toBe(false);
    expect(p.record('failure')).toBe(false);
    expect(p.record('failure')).toBe(true);
    expect(p.onHold).toBe(false); // readiness never holds
  });

  it('liveness starts successful; its failure holds the worker; startup skips once done; liveness waits for started', () => {
    const l = new ProbeState('liveness', probeSpec({ exec: { command: ['x'] }, failureThreshold: 1, successThreshold: 5 }, 'liveness')!);
    expect(l.spec.successThreshold).toBe(1);
    expect(l.result).toBe('success');
    expect(l.skip(false)).toBe(true);
    expect(l.skip(true)).toBe(false);
    expect(l.record('failure')).toBe(true);
    expect(l.onHold).toBe(true);
    expect(l.skip(true)).toBe(true);
    const s = new ProbeState('startup', probeSpec({ tcpSocket: { port: 'web' } }, 'startup')!);
    expect(s.result).toBe('unknown');
    expect(s.skip(false)).toBe(false);
    s.record('success');
    expect(s.skip(false)).toBe(true);
  });

  it('defaults as upstream: period 10, timeout 1, success 1, failure 3; no handler → no probe', () => {
    expect(probeSpec({ httpGet: { port: 8080 } }, 'readiness')).toMatchObject({ periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, initialDelaySeconds: 0, action: { type: 'httpGet', path: '/', scheme: 'HTTP', port: 8080 } });
    expect(probeSpec({ periodSeconds: 3 }, 'liveness')).toBeUndefined();
    expect(probeSpec(undefined, 'liveness')).toBeUndefined();
    expect(probeSpec({ grpc: { port: 9000 } }, 'liveness')?.action).toEqual({ type: 'grpc', port: 9000 });
  });
});

describe('pod worker decisions', () => {
  it('restart rules per restartPolicy and container kind', () => {
    expect(shouldRestart('regular', 'Always', 0)).toBe(true);
    expect(shouldRestart('regular', 'OnFailure', 0)).toBe(false);
    expect(shouldRestart('regular', 'OnFailure', 1)).toBe(true);
    expect(shouldRestart('regular', 'Never', 1)).toBe(false);
    expect(shouldRestart('init', 'Always', 1)).toBe(true);
    expect(shouldRestart('init', 'Never', 1)).toBe(false);
    expect(shouldRestart('sidecar', 'Never', 0)).toBe(true);
  });

  it('pull policy defaults, grace period, container ids round-trip', () => {
    expect(pullPolicyOf({ name: 'a', image: 'busybox' })).toBe('Always');
    expect(pullPolicyOf({ name: 'a', image: '127.0.0.1:5000/app:latest' })).toBe('Always');
    expect(pullPolicyOf({ name: 'a', image: '127.0.0.1:5000/app' })).toBe('Always');
    expect(pullPolicyOf({ name: 'a', image: '127.0.0.1:5000/app:v1' })).toBe('IfNotPresent');
    expect(pullPolicyOf({ name: 'a', image: 'app@sha256:abc' })).toBe('IfNotPresent');
    expect(pullPolicyOf({ name: 'a', image: 'busybox', imagePullPolicy: 'Never' })).toBe('Never');
    expect(podGraceSeconds({ metadata: { deletionGracePeriodSeconds: 0 }, spec: { terminationGracePeriodSeconds: 9 } })).toBe(0);
    expect(podGraceSeconds({ metadata: {}, spec: { terminationGracePeriodSeconds: 9 } })).toBe(9);
    expect(podGraceSeconds({ metadata: {}, spec: {} })).toBe(30);
    const id = containerId('skiff-t-x-', '1b4e28ba-2fa1-11d2-883f-0016d3cca427', 'web-1', 12);
    expect(parseContainerId('skiff-t-x-', id)).toEqual({ uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', name: 'web-1', attempt: 12 });
    expect(parseContainerId('skiff-', id)).toBeNull();
  });

  it('logTail joins partial CRI lines and keeps the last 80 lines / 2 KiB', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `2026-01-01T00:00:00Z stdout F line ${i}`).join('\n') + '\n';
    const tail = logTail(lines);
    expect(tail.split('\n').filter(Boolean)).toHaveLength(80);
    expect(tail.startsWith('line 20\n')).toBe(true);
    expect(logTail('t stdout P ab\nt stdout F cd\n')).toBe('abcd\n');
    expect(Buffer.byteLength(logTail(`t stderr F ${'x'.repeat(5000)}\n`))).toBe(2048);
  });
});

describe('skiff agent flags', () => {
  const base = { kubeconfig: 'k', runtime: 'runc', nodeName: 'n1', dataDir: '.', listen: { host: '127.0.0.1', port: 0 }, clusterDomain: 'cluster.local', v: '0' };
  it('name the flag that is wrong', () => {
    expect(() => checkAgentFlags({ ...base, kubeconfig: undefined })).toThrow('--kubeconfig (or --bootstrap-kubeconfig) is required');
    expect(() => checkAgentFlags({ ...base, runtime: undefined })).toThrow(/^--runtime is required/);
    expect(() => checkAgentFlags({ ...base, runtime: 'docker' })).toThrow(/^--runtime: "docker" is not supported/);
    expect(() => checkAgentFlags({ ...base, nodeName: 'Bad_Name' })).toThrow(/^--node-name: "Bad_Name"/);
    expect(() => checkAgentFlags({ ...base, netns: 'skiff-node-n1', hostNetwork: true })).toThrow('--netns and --host-network exclude each other');
    expect(() => checkAgentFlags({ ...base, netns: 'my net' })).toThrow('--netns: "my net" is not a network namespace name');
    expect(() => checkAgentFlags({ ...base, clusterDns: '10.96.0.10,x' })).toThrow('--cluster-dns: "x" is not an IPv4 address');
    expect(() => checkAgentFlags({ ...base, runtimePrefix: 'skiff t/' })).toThrow('--runtime-prefix: "skiff t/" must be 1-40 characters of [A-Za-z0-9_.-]');
    expect(() => cidrFlag('10.0.0.0')).toThrow('an IPv4 CIDR');
  });

  it('pass --netns and --host-network on', () => {
    expect(checkAgentFlags({ ...base, netns: 'mynode' })).toEqual({ nodeName: 'n1', netns: 'mynode', hostNetwork: false, clusterDNS: [] });
    expect(checkAgentFlags({ ...base, hostNetwork: true, clusterDns: '10.96.0.10' })).toEqual({ nodeName: 'n1', hostNetwork: true, clusterDNS: ['10.96.0.10'] });
  });
});

describe('pull credentials from imagePullSecrets', () => {
  it('reads .dockerconfigjson auths by registry host and repository as the keyring does; a missing or broken secret is skipped', async () => {
    const { pullCredentials } = await import('../../../../src/dataplane/kubelet/runtime/runc/pod-worker-deps.js');
    // Docker Hub's classic key is what `kubectl create secret docker-registry` writes by default: it stands for docker.io.
    const cfg = { auths: { 'https://127.0.0.1:5000/v1/': { username: 'u', password: 'p' }, 'https://index.docker.io/v1/': { auth: 'dTpw' } } };
    const team = { auths: { '127.0.0.1:5000/team': { username: 't', password: 'q' } } };
    const secrets: Record<string, unknown> = {
      regcred: { data: { '.dockerconfigjson': Buffer.from(JSON.stringify(cfg)).toString('base64') } },
      teamcred: { data: { '.dockerconfigjson': Buffer.from(JSON.stringify(team)).toString('base64') } },
      broken: { data: { '.dockerconfigjson': 'not base64 json' } },
    };
    const asked: string[] = [];
    const objects = {
      secret: async (ns: string, name: string) => {
        asked.push(`${ns}/${name}`);
        return secrets[name] as never;
      },
      configMap: async () => undefined,
    };
    const pod = { metadata: { namespace: 'team' }, spec: { imagePullSecrets: [{ name: 'missing' }, { name: 'broken' }, { name: 'regcred' }, { name: 'teamcred' }] } };
    const creds = await pullCredentials(pod, objects);
    expect(asked).toEqual(['team/missing', 'team/broken', 'team/regcred', 'team/teamcred']);
    expect(creds('127.0.0.1:5000', 'app')).toEqual([{ username: 'u', password: 'p' }]);
    // The more specific key first.
    expect(creds('127.0.0.1:5000', 'team/app')).toEqual([{ username: 't', password: 'q' }, { username: 'u', password: 'p' }]);
    // What the image store asks for Docker Hub images.
    expect(creds('docker.io', 'library/busybox')).toEqual([{ auth: 'dTpw' }]);
    expect(creds('quay.io', 'x/y')).toEqual([]);
    expect((await pullCredentials(pod, undefined))('127.0.0.1:5000', 'app')).toEqual([]);
  });
});
