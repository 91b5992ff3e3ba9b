/**
 * `skiff nodes` and `skiff server --nodes` as processes (the built CLI under dist/: `npm run build:ts` first).
 * Each spawned process is stopped by its PID.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';
import { freePort } from '../../setup/etcd.js';
import { Nodes } from '../../../src/client/resources.js';
import { RestClient } from '../../../src/client/rest.js';
import { loadKubeconfig } from '../../../src/client/kubeconfig.js';
import type { KubeObject } from '../../../src/client/types.js';
import { hostNodeName } from '../../../src/dataplane/kubelet/local.js';

const BIN = resolve(import.meta.dirname, '../../../bin/skiff.js');
const run = promisify(execFile);
const readyStatus = (n: KubeObject) => ((n.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).find((c) => c.type === 'Ready')?.status;

function spawnSkiff(args: string[]): { child: ChildProcess; out: () => string; err: () => string; stop(): Promise<void> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return {
    child,
    out: () => out,
    err: () => err,
    stop: () =>
      new Promise((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

describe('skiff nodes', () => {
  let cluster: TestCluster;
  let agent: ReturnType<typeof spawnSkiff>;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-nodes-cli-'));

  beforeAll(async () => {
    cluster = await startTestCluster();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const spec = join(dir, 'nodes.yaml');
    writeFileSync(spec, 'count: 2\nmemory: 16Gi\nzones: [zone-a]\n');
    agent = spawnSkiff(['nodes', '--kubeconfig', cluster.kubeconfig, '--spec', spec, '--count', '3', '--name-prefix', 'cli-', '--listen', `127.0.0.1:${port}`]);
    await eventually('agent registered its nodes', () => agent.out().includes('3 node(s) registered'), 20_000);
  });

  afterAll(async () => {
    await agent?.stop();
    await cluster?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers the nodes of the spec file, flags taking precedence', async () => {
    const nodes = (await cluster.client.list(Nodes)).items;
    expect(nodes.map((n) => n.metadata!.name).sort()).toEqual(['cli-0', 'cli-1', 'cli-2']);
    const n = nodes[0]!;
    expect((n.status as { capacity: Record<string, string> }).capacity.memory).toBe('16Gi');
    expect(n.metadata!.labels!['topology.kubernetes.io/zone']).toBe('zone-a');
    expect(readyStatus(n)).toBe('True');
  });

  it('fault --not-ready and --recover flip the Ready condition; list shows the state', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'nodes', 'fault', '--agent', url, '--node', 'cli-1', '--not-ready', '--stop-lease']);
    expect(stdout).toContain('node/cli-1: ready=false lease=stopped');
    await eventually('NotReady', async () => readyStatus(await cluster.client.get(Nodes, 'cli-1')) === 'False');
    const list = await run(process.execPath, [BIN, 'nodes', 'list', '--agent', url]);
    expect(list.stdout).toMatch(/^cli-1\s+true\s+false\s+stopped/m);
    await run(process.execPath, [BIN, 'nodes', 'fault', '--agent', url, '--node', 'cli-1', '--recover']);
    await eventually('Ready again', async () => readyStatus(await cluster.client.get(Nodes, 'cli-1')) === 'True');
  });

  it('errors name the field and exit 1', async () => {
    const noFault = await run(process.execPath, [BIN, 'nodes', 'fault', '--agent', url, '--node', 'cli-1']).catch((e: { code: number; stderr: string }) => e);
    expect(noFault).toMatchObject({ code: 1, stderr: expect.stringContaining('give a fault') });
    const unknown = await run(process.execPath, [BIN, 'nodes', 'fault', '--agent', url, '--node', 'nope', '--recover']).catch((e: { code: number; stderr: string }) => e);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('404') });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'cpu: lots\n');
    const badSpec = await run(process.execPath, [BIN, 'nodes', '--kubeconfig', cluster.kubeconfig, '--spec', bad]).catch((e: { code: number; stderr: string }) => e);
    expect(badSpec).toMatchObject({ code: 1, stderr: expect.stringContaining('bad.yaml: cpu: "lots" is not a quantity') });
  });
});

describe('skiff server --nodes', () => {
  it('runs one simulated node named after the host by default, which becomes Ready', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-server-nodes-'));
    const port = await freePort();
    const server = spawnSkiff(['server', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--storage', 'memory', '--no-scheduler', '--no-controllers']);
    let client: RestClient | undefined;
    try {
      await eventually('server ready', () => server.out().includes('listening'), 20_000);
      // https with the admin certificate, from the kubeconfig the server wrote.
      client = new RestClient(loadKubeconfig(join(dataDir, 'kubeconfig.yaml')));
      const node = await eventually('local node Ready', async () => {
        const n = await client!.get(Nodes, hostNodeName(hostname()));
        return readyStatus(n) === 'True' ? n : undefined;
      });
      expect((node.status as { addresses: unknown[] }).addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
      expect((node.status as { capacity: Record<string, string> }).capacity).toMatchObject({ cpu: '8', memory: '32Gi', pods: '110' });
    } finally {
      client?.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('--node-spec with a bad field stops the server before it starts, naming the field', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-server-nodes-'));
    const spec = join(dataDir, 'n.yaml');
    writeFileSync(spec, 'taints: [{key: k, effect: Maybe}]\n');
    const r = await run(process.execPath, [BIN, 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--storage', 'memory', '--node-spec', spec]).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 1, stderr: expect.stringContaining('taints[0].effect: "Maybe"') });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a bad --v is a one-line flag error, not a crash', async () => {
    const r = await run(process.execPath, [BIN, 'server', '--listen', '127.0.0.1:0', '--storage', 'memory', '--v', 'abc']).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 1, stderr: "error: option '--v <n>' argument 'abc' is invalid. a verbosity from 0 to 10\n" });
  });
});
