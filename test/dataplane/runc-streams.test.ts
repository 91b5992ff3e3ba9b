/**
 * kubectl logs / exec / port-forward against a real runc node, as root (set-up and clean-up as
 * runc-node.test.ts: everything named `skiff-t-<run>…`, removed in afterAll also on failure): a busybox pod
 * that prints lines and serves httpd; kubectl reaches it through the API server and the agent's kubelet API.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pods } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import type { RunningRuncNode } from '../../src/dataplane/kubelet/runtime/runc/start.js';
import { realNodeSkipReason } from '../../src/dataplane/kubelet/runtime/runc/tools.js';
import { eventually, type TestCluster } from '../support/cluster.js';
import { runcSkipReason, startRuncTestNode, type RuncTestNode } from './runc-fixture.js';

const skip = realNodeSkipReason() ?? runcSkipReason() ?? (existsSync('/usr/bin/kubectl') ? null : 'no /usr/bin/kubectl');
const IMAGE = 'skiff.test/busybox:1';
const POD_CIDR = '10.244.78.0/24';

function sh(argv: string[]): { code: number; out: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}


describe.skipIf(skip !== null)(`kubectl logs/exec/port-forward on a runc node${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let t: RuncTestNode | undefined;
  let dir = '';
  let prefix = '';
  let cluster: TestCluster | undefined;
  let node: RunningRuncNode | undefined;

  beforeAll(async () => {
    t = await startRuncTestNode({ tag: 'runc-streams', image: IMAGE, podCIDR: POD_CIDR, node: { usageIntervalMs: 300 } });
    ({ dir, prefix, cluster, node } = t);
  }, 60_000);

  afterAll(() => t?.close(), 60_000);

  const get = (name: string) => cluster!.client.get(Pods, name, 'default');
  const kubectl = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile('/usr/bin/kubectl', ['--kubeconfig', cluster!.kubeconfig, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      });
    });

  it('logs, logs -f until the container ends, exec with exit codes, port-forward to httpd in the pod', async () => {
    await cluster!.client.create(Pods, {
      metadata: { name: 'talk', namespace: 'default' },
      spec: {
        nodeName: 'n1', restartPolicy: 'Never',
        // stdout and stderr are two pipes read apart (as containerd's): lines written the same instant to both may
        // be logged in either order, so the stderr line comes a moment later.
        // It ends once the test has been through exec and port-forward (a fixed sleep raced a slow machine: httpd
        // was gone before the forwarded request came).
        containers: [{ name: 'c', image: IMAGE, command: ['sh', '-c', 'echo one; sleep 0.2; echo two >&2; httpd -p 8080 -h /www; until [ -e /flag/done ]; do sleep 0.1; done; echo three; sleep 1'], volumeMounts: [{ name: 'flag', mountPath: '/flag' }] }],
        volumes: [{ name: 'flag', emptyDir: {} }],
      },
    });
    await eventually('talk Running', async () => (await get('talk')).status?.['phase' as never] === 'Running', 60_000, 200);
    const logs = await eventually('two lines logged', async () => {
      const r = await kubectl(['logs', 'talk']);
      return r.stdout.includes('two') ? r : undefined;
    }, 20_000, 200);
    expect(logs.stdout).toBe('one\ntwo\n');
    const hi = await kubectl(['exec', 'talk', '--', 'echo', 'hi']);
    expect(hi).toMatchObject({ code: 0, stdout: 'hi\n' });
    const three = await kubectl(['exec', 'talk', '--', 'sh', '-c', 'exit 3']);
    expect(three.code).toBe(3);
    const pf = spawn('/usr/bin/kubectl', ['--kubeconfig', cluster!.kubeconfig, 'port-forward', 'pod/talk', ':8080', '--address', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    pf.stdout.on('data', (b: Buffer) => (out += b.toString()));
    pf.stderr.on('data', (b: Buffer) => (out += b.toString()));
    try {
      const port = await eventually('port-forward listening', () => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1], 15_000);
      const res = await fetch(`http://127.0.0.1:${port}/index.html`);
      expect(await res.text()).toBe('hello from busybox\n');
    } catch (e) {
      throw new Error(`${(e as Error).message}; kubectl: ${out}`);
    } finally {
      pf.kill('SIGTERM');
    }
    const done = await kubectl(['exec', 'talk', '--', 'sh', '-c', ': > /flag/done']);
    expect(done, done.stderr).toMatchObject({ code: 0 });
    const follow = await kubectl(['logs', '-f', 'talk']);
    expect(follow.code).toBe(0);
    expect(follow.stdout).toBe('one\ntwo\nthree\n');
  }, 90_000);
});
