/**
 * kubectl logs / exec / port-forward through a real API server to a node agent whose driver implements the
 * kubelet API (streaming-driver.ts: the simulated runtime plus logs, exec as local processes, port-forward to
 * local servers). kubectl (1.32) speaks its defaults: WebSocket v5.channel.k8s.io for exec, SPDY tunnelled
 * over WebSocket for port-forward.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, get as httpGet, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';
import { Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { startNodeAgent, type RunningNodeAgent } from '../../../src/dataplane/kubelet/start.js';
import { parseNodeSpec } from '../../../src/dataplane/kubelet/spec.js';
import { streamingDriverFactory, type StreamingFake } from './streaming-driver.js';

const KUBECTL = '/usr/bin/kubectl';

interface Run { code: number; stdout: string; stderr: string }

describe.skipIf(!existsSync(KUBECTL))('kubectl logs/exec/port-forward through the API server to the agent', () => {
  let cluster: TestCluster;
  let agent: RunningNodeAgent;
  let web: Server;
  const fake: StreamingFake = { ports: new Map(), followLines: 3, followEveryMs: 30, calls: [] };

  const kubectl = (args: string[], input?: string): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile(KUBECTL, ['--kubeconfig', cluster.kubeconfig, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      });
      if (input !== undefined) child.stdin!.end(input);
      else child.stdin!.end();
    });

  const pod = (name: string, containers = ['app']): KubeObject => ({
    metadata: { name, namespace: 'default' },
    spec: { nodeName: 'stream-0', containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
  });

  const running = (name: string) =>
    eventually(`${name} Running`, async () => ((await cluster.client.get(Pods, name, 'default')).status as { phase?: string })?.phase === 'Running');

  beforeAll(async () => {
    cluster = await startTestCluster();
    agent = await startNodeAgent({
      client: cluster.newClient('skiff-nodes'),
      spec: parseNodeSpec({ count: 1, namePrefix: 'stream-' }),
      driverFactory: streamingDriverFactory(fake),
      log: () => {},
    });
    await agent.registered;
    web = createServer((req, res) => res.end(`pod web answered ${req.url}`));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
    const addr = web.address();
    fake.ports.set(80, typeof addr === 'object' && addr ? addr.port : 0);
    await cluster.client.create(Pods, pod('web'));
    await cluster.client.create(Pods, pod('two', ['main', 'side']));
    await running('web');
    await running('two');
  }, 30_000);

  afterAll(async () => {
    web?.closeAllConnections();
    web?.close();
    await agent?.stop();
    await cluster?.close();
  });

  it('kubectl logs prints the container log; --tail and --timestamps reach the driver', async () => {
    const r = await kubectl(['logs', 'web']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello from app\nsecond line\nthird line\n');
    const tail = await kubectl(['logs', 'web', '--tail=1', '--timestamps']);
    expect(tail.stdout).toBe('2026-01-02T03:04:00.000000000Z third line\n');
    expect(fake.calls).toContain('logs web/app previous=false follow=false tail=1');
  });

  it('kubectl logs -f streams until the container ends', async () => {
    const r = await kubectl(['logs', '-f', 'web']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello from app\nsecond line\nthird line\ntick 1\ntick 2\ntick 3\n');
  });

  it('errors come back in upstream words: --previous without a terminated run, an unknown container, no container named', async () => {
    const prev = await kubectl(['logs', 'web', '--previous']);
    expect(prev.code).not.toBe(0);
    expect(prev.stderr).toContain('Error from server (BadRequest): previous terminated container "app" in pod "web" not found');
    const res = await fetch(`${cluster.url}/api/v1/namespaces/default/pods/two/log`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe('a container name must be specified for pod two, choose one of: [main side]');
    const bad = await fetch(`${cluster.url}/api/v1/namespaces/default/pods/web/log?container=nope`);
    expect(((await bad.json()) as { message: string }).message).toBe('container nope is not valid for pod web');
    const invalid = await fetch(`${cluster.url}/api/v1/namespaces/default/pods/web/log?tailLines=-2`);
    expect(invalid.status).toBe(422);
    const side = await kubectl(['logs', 'two', '-c', 'side']);
    expect(side.stdout).toBe('hello from side\nsecond line\nthird line\n');
  });

  it('kubectl exec runs the command: its output, and its exit code as kubectl\'s', async () => {
    const hi = await kubectl(['exec', 'web', '--', 'echo', 'hi']);
    expect(hi).toMatchObject({ code: 0, stdout: 'hi\n' });
    const three = await kubectl(['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(three.code).toBe(3);
    expect(three.stdout).toBe('out\n');
    expect(three.stderr).toContain('err\n');
    expect(three.stderr).toContain('command terminated with exit code 3');
  });

  it('kubectl exec -i passes stdin and its end (v5 close)', async () => {
    const r = await kubectl(['exec', '-i', 'web', '--', 'sh', '-c', 'cat; echo done'], 'line one\nline two\n');
    expect(r).toMatchObject({ code: 0, stdout: 'line one\nline two\ndone\n' });
  });

  it('kubectl exec of a missing command fails with the runtime\'s message', async () => {
    const r = await kubectl(['exec', 'web', '--', '/no/such/binary']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('/no/such/binary');
  });

  it('plain requests to exec need an upgrade; a pod without a node has no host', async () => {
    const res = await fetch(`${cluster.url}/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=1`, { method: 'POST' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe('Upgrade request required');
    await cluster.client.create(Pods, { metadata: { name: 'pending', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const r = await kubectl(['exec', 'pending', '--', 'true']);
    expect(r.stderr).toContain('pod pending does not have a host assigned');
  });

  it('kubectl port-forward relays a local port to the pod\'s port', async () => {
    const child = spawn(KUBECTL, ['--kubeconfig', cluster.kubeconfig, 'port-forward', 'pod/web', ':80', '--address', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    try {
      const port = await eventually('port-forward listening', () => /Forwarding from 127\.0\.0\.1:(\d+) -> 80/.exec(out)?.[1], 15_000);
      for (const path of ['/first', '/second']) {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        expect(await res.text()).toBe(`pod web answered ${path}`);
      }
      expect(fake.calls.filter((c) => c === 'portForward web:80').length).toBeGreaterThanOrEqual(2);
      // kubectl sends the request while the pod's port is still being dialled: those bytes must wait, not vanish.
      // A connection of its own (fetch would reuse the kept-alive one, already dialled).
      fake.dialDelayMs = 300;
      const calls = fake.calls.length;
      const slow = await new Promise<string>((resolve, reject) => {
        const req = httpGet({ host: '127.0.0.1', port: Number(port), path: '/slow-dial', agent: false, timeout: 10_000 }, (res) => {
          let body = '';
          res.on('data', (b: Buffer) => (body += b.toString()));
          res.on('end', () => resolve(body));
        });
        req.on('timeout', () => req.destroy(new Error('no answer in 10 s: the request was lost on the way to the pod')));
        req.on('error', reject);
      });
      expect(slow).toBe('pod web answered /slow-dial');
      expect(fake.calls.slice(calls)).toEqual(['portForward web:80']);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nkubectl stdout: ${out}\nkubectl stderr: ${err}`);
    } finally {
      fake.dialDelayMs = 0;
      child.kill('SIGTERM');
    }
  });
});
