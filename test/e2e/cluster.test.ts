/**
 * The default cluster as a new user meets it: `skiff server` with no node or controller flags (one simulated
 * local node, the controller manager and the scheduler on their threads), driven by the real kubectl (skipped,
 * saying so, when kubectl is not on PATH). Workloads reach Running, Services find their pods, rollouts roll and
 * undo, `kubectl top` prints figures, deletions cascade.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { KUBECTL, kubectlFor, warnIfNoKubectl } from './kubectl.js';

warnIfNoKubectl('the default-cluster end-to-end suite');

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;

const { k } = kubectlFor(() => server.kubeconfig, { timeoutMs: 90_000 });
const json = <T = Record<string, unknown>>(...args: string[]): T => JSON.parse(k(...args, '-o', 'json')) as T;
/** The rows of a kubectl table, split on runs of spaces, without the header. */
const rows = (out: string): string[][] => out.trim().split('\n').slice(1).map((l) => l.trim().split(/\s{2,}/));

async function until<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!KUBECTL)('the default cluster, through kubectl', () => {
  beforeAll(async () => {
    data = makeDataDir();
    server = await startServer(data.dir);
  });
  afterAll(async () => {
    await server?.stop();
    data?.remove();
  });

  test('one simulated node registers Ready, with a podCIDR, and reads as a stock node', async () => {
    await until('node Ready', () => k('get', 'nodes').includes(' Ready '));
    const [row] = rows(k('get', 'nodes', '-o', 'wide'));
    expect(row).toHaveLength(10);
    expect(row![1]).toBe('Ready');
    expect(row![4]).toMatch(/^v1\.32\.\d+/);
    expect(row![5]).toBe('127.0.0.1');
    expect(row![9]).toMatch(/^skiff-sim:\/\//);
    const name = row![0]!;
    await until('podCIDR', () => k('get', 'node', name, '-o', 'jsonpath={.spec.podCIDR}') === '10.244.0.0/24');
    const d = k('describe', 'node', name);
    for (const want of [/Ready\s+True\s.*KubeletReady\s+kubelet is posting ready status/, /MemoryPressure\s+False/, /Capacity:\n\s+cpu:/, /Allocatable:/, /PodCIDR:\s+10\.244\.0\.0\/24/, /System Info:/, /Kubelet Version:\s+v1\.32/]) {
      expect(d).toMatch(want);
    }
    const lease = json<{ spec: { holderIdentity: string; leaseDurationSeconds: number } }>('-n', 'kube-node-lease', 'get', 'lease', name);
    expect(lease.spec).toMatchObject({ holderIdentity: name, leaseDurationSeconds: 40 });
  });

  test('every namespace gets the default ServiceAccount and kube-root-ca.crt', async () => {
    k('create', 'namespace', 'team');
    await until('default SA', () => k('-n', 'team', 'get', 'sa').includes('default'));
    await until('root CA configmap', () => k('-n', 'team', 'get', 'cm').includes('kube-root-ca.crt'));
    expect(k('-n', 'team', 'get', 'cm', 'kube-root-ca.crt', '-o', 'jsonpath={.data.ca\\.crt}')).toContain('-----BEGIN CERTIFICATE-----');
  });

  test('a Deployment reaches 3/3, its pods run on the node with IPs from its podCIDR, and a Service finds them', () => {
    k('create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3');
    k('rollout', 'status', 'deployment/web', '--timeout=60s');
    const [dep] = rows(k('get', 'deployment', 'web'));
    expect(dep!.slice(1, 4)).toEqual(['3/3', '3', '3']);
    const pods = rows(k('get', 'pods', '-l', 'app=web', '-o', 'wide'));
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p[1]).toBe('1/1');
      expect(p[2]).toBe('Running');
      expect(p[5]).toMatch(/^10\.244\.0\.\d+$/);
    }
    const events = k('get', 'events');
    expect(events).toMatch(/ScalingReplicaSet\s+deployment\/web\s+Scaled up replica set web-[a-z0-9]+ from 0 to 3/);
    expect(events).toMatch(/SuccessfulCreate\s+replicaset\/web-[a-z0-9]+\s+Created pod: web-/);
    k('expose', 'deployment', 'web', '--port=80');
    const ips = pods.map((p) => p[5]).sort();
    return until('endpoints', () => {
      const eps = k('get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[*].addresses[*].ip}').split(' ').filter(Boolean).sort();
      return JSON.stringify(eps) === JSON.stringify(ips);
    });
  });

  test('set image rolls to revision 2, rollout undo returns to the first template as revision 3', () => {
    k('set', 'image', 'deployment/web', 'nginx=nginx:1.28');
    k('rollout', 'status', 'deployment/web', '--timeout=60s');
    expect(k('get', 'deployment', 'web', '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}')).toBe('2');
    k('rollout', 'undo', 'deployment/web');
    k('rollout', 'status', 'deployment/web', '--timeout=60s');
    expect(k('get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).toBe('nginx:1.27');
    // kubectl prints the object's name, then the table.
    expect(rows(k('rollout', 'history', 'deployment/web')).slice(1).map((r) => r[0])).toEqual(['2', '3']);
  });

  test('kubectl top prints the node and pods', async () => {
    const top = await until('top nodes', () => {
      try {
        return rows(k('top', 'nodes'))[0];
      } catch {
        return undefined;
      }
    });
    expect(top![1]).toMatch(/^\d+m$/);
    expect(top![3]).toMatch(/^\d+Mi$/);
    // Pods of the undone rollout may still be stopping (and measured) for a moment.
    const pods = await until('top pods of the 3 replicas', () => {
      const r = rows(k('top', 'pods', '-l', 'app=web'));
      return r.length === 3 ? r : undefined;
    });
    for (const p of pods) expect(p[1]).toMatch(/^\d+m$/);
  });

  test('a Job completes; deleting the Deployment deletes its ReplicaSets and pods', async () => {
    k('create', 'job', 'once', '--image=busybox');
    k('wait', '--for=condition=complete', 'job/once', '--timeout=60s');
    expect(k('get', 'job', 'once', '-o', 'jsonpath={.status.succeeded}')).toBe('1');
    k('delete', 'deployment', 'web');
    await until('replica sets and pods gone', () => k('get', 'rs,pods', '-l', 'app=web', '--no-headers', '--ignore-not-found').trim() === '');
  }, 120_000);

  test('deleting a namespace removes what it holds', async () => {
    k('-n', 'team', 'create', 'deployment', 'a', '--image=x', '--replicas=4');
    await until('4 pods', () => rows(k('-n', 'team', 'get', 'pods')).length === 4);
    k('delete', 'namespace', 'team', '--timeout=60s');
    expect(k('get', 'namespaces', '-o', 'name')).not.toContain('namespace/team');
  });
});
