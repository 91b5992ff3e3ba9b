/**
 * A real node joins `skiff server` with a bootstrap token, as root: `skiff token create` stores a token and writes a
 * bootstrap kubeconfig; `skiff agent --runtime runc` starts with only that kubeconfig, asks for its client
 * certificate through the CSR API (the server's controllers auto-approve and sign it), registers its Node as
 * system:node:<name>, and runs a pod to Running under runc. The node's namespace, containers, pod namespaces and
 * cgroups are named `skiff-t-<run>…` (the agent's --netns and --runtime-prefix) and removed in afterAll, also on
 * failure. Needs the built CLI (`npm run build:ts`).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { RestClient } from '../../src/client/rest.js';
import { CertificateSigningRequests, Leases, Nodes, Pods, type ResourceRef } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { ImageStore } from '../../src/dataplane/kubelet/images/store.js';
import { realNodeSkipReason } from '../../src/dataplane/kubelet/runtime/runc/tools.js';
import { eventually } from '../support/cluster.js';
import { makeDataDir, startServer, type RunningServer } from '../e2e/server.js';
import { freePort } from '../setup/etcd.js';
import { addImage } from '../unit/kubelet/images/oci-fixture.js';
import { busyboxImageLayer, cleanUpRuncNode, runcSkipReason, runPrefix } from './runc-fixture.js';

const BIN = join(resolve(import.meta.dirname, '../..'), 'bin/skiff.js');
const built = existsSync(join(resolve(import.meta.dirname, '../..'), 'dist/src/cli/main.js'));
const skip = realNodeSkipReason() ?? runcSkipReason() ?? (built ? null : 'dist/ is missing: run `npm run build:ts` first');
const run = promisify(execFile);
const IMAGE = 'skiff.test/busybox:1';
const KUBECTL = '/usr/bin/kubectl';
const NODE = 'joined-runc';
const SelfSubjectReviews: ResourceRef = { group: 'authentication.k8s.io', version: 'v1', plural: 'selfsubjectreviews', namespaced: false };

describe.skipIf(skip !== null)(`skiff agent (runc) joins with a bootstrap token${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const prefix = `${runPrefix()}-`;
  const netns = `${prefix}node`;
  let data: ReturnType<typeof makeDataDir> | undefined;
  let server: RunningServer | undefined;
  let admin: RestClient | undefined;
  let agent: ChildProcess | undefined;
  let agentOut = '';
  let nodeDir = '';

  beforeAll(async () => {
    nodeDir = mkdtempSync(join(tmpdir(), 'skiff-t-agent-join-'));
    data = makeDataDir();
    const r = spawnSync('ip', ['netns', 'add', netns], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip netns add ${netns}: ${r.stderr}`);
    server = await startServer(data.dir, ['--nodes', '0', '--no-scheduler']);
    admin = new RestClient(loadKubeconfig(server.kubeconfig));
    // The image the pod runs, from /bin/busybox, in the agent's image store (as `skiff image load` fills it).
    const layout = join(nodeDir, 'layout');
    await addImage(layout, { refName: IMAGE, layers: [busyboxImageLayer()], cmd: ['sh'], env: ['PATH=/bin'] });
    expect(await new ImageStore({ root: join(nodeDir, 'images') }).load(layout)).toEqual([IMAGE]);
  }, 60_000);

  afterAll(async () => {
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
    }
    admin?.close();
    await server?.stop().catch(() => undefined);
    data?.remove();
    // Containers, mounts, the pod and node namespaces (all `<prefix>…`), the pods' cgroups, the data dir.
    if (nodeDir) await cleanUpRuncNode(nodeDir, prefix, NODE);
  }, 60_000);

  it('gets its certificate through an auto-approved CSR, registers as system:node:<name> and runs a pod', async () => {
    const boot = join(nodeDir, 'bootstrap.kubeconfig');
    const { stdout } = await run(process.execPath, [BIN, 'token', 'create', '--kubeconfig', server!.kubeconfig, '--bootstrap-kubeconfig', boot, '--ttl', '1h']);
    const token = stdout.trim();
    expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const certDir = join(nodeDir, 'pki');
    const port = await freePort();
    agent = spawn(process.execPath, [
      BIN, 'agent', '--bootstrap-kubeconfig', boot, '--cert-dir', certDir, '--runtime', 'runc', '--node-name', NODE,
      '--netns', netns, '--runtime-prefix', prefix, '--data-dir', nodeDir, '--listen', `127.0.0.1:${port}`,
      '--pod-cidr', '10.244.85.0/24', '--cpu', '2', '--memory', '2Gi', '--v', '1',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d: Buffer) => (agentOut += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (agentOut += d.toString()));
    const said = () => `; skiff agent said: ${agentOut}`;
    await eventually('skiff agent registered', () => {
      if (agent!.exitCode !== null) throw new Error(`skiff agent exited with ${agent!.exitCode}`);
      return agentOut.includes(`node ${NODE} registered`);
    }, 60_000, 100).catch((err: Error) => {
      throw new Error(err.message + said());
    });

    // The certificate: signed by the cluster CA for system:node:<name>, asked for by the bootstrap token, auto-approved.
    const cert = new X509Certificate(readFileSync(join(certDir, 'kubelet-client-current.crt')));
    expect(cert.subject).toBe(`O=system:nodes\nCN=system:node:${NODE}`);
    expect(cert.checkIssued(new X509Certificate(readFileSync(join(server!.dataDir, 'ca.crt'))))).toBe(true);
    type CSR = KubeObject & { spec?: { username?: string; signerName?: string }; status?: { conditions?: Array<{ type: string; reason?: string }>; certificate?: string } };
    const csrs = (await admin!.list<CSR>(CertificateSigningRequests)).items;
    expect(csrs.map((c) => [c.spec?.username, c.spec?.signerName, c.status?.conditions?.[0]?.type, c.status?.conditions?.[0]?.reason, !!c.status?.certificate]))
      .toEqual([[`system:bootstrap:${token.split('.')[0]}`, 'kubernetes.io/kube-apiserver-client-kubelet', 'Approved', 'AutoApproved', true]]);

    // The agent runs as the node itself: its kubeconfig is the node's certificate, and the server says who that is.
    const nodeClient = new RestClient(loadKubeconfig(join(certDir, 'kubelet.conf')));
    try {
      const review = await nodeClient.create<KubeObject & { status?: { userInfo?: { username?: string; groups?: string[] } } }>(SelfSubjectReviews, {
        apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview',
      });
      expect(review.status?.userInfo?.username).toBe(`system:node:${NODE}`);
      expect(review.status?.userInfo?.groups).toContain('system:nodes');
    } finally {
      nodeClient.close();
    }
    const node = await admin!.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(Nodes, NODE);
    expect(node.metadata?.name).toBe(NODE);
    await eventually('Node Ready', async () => {
      const n = await admin!.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(Nodes, NODE);
      return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    }, 30_000, 200);
    // Its heartbeat Lease, written with the node's identity (NodeRestriction lets a node write only its own).
    await eventually('node Lease', async () => (await admin!.get<KubeObject & { spec?: { holderIdentity?: string } }>(Leases, NODE, 'kube-node-lease')).spec?.holderIdentity === NODE, 30_000, 200);

    // A pod bound to the node runs under runc.
    await admin!.create(Pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hello', namespace: 'default' },
      spec: {
        nodeName: NODE, terminationGracePeriodSeconds: 1,
        containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo hello from runc; trap "exit 0" TERM; sleep 3600 & wait'] }],
      },
    });
    type PodLike = KubeObject & { status?: { phase?: string; podIP?: string; containerStatuses?: Array<{ state?: { running?: unknown }; containerID?: string }> } };
    const pod = await eventually('pod Running', async () => {
      const p = await admin!.get<PodLike>(Pods, 'hello', 'default');
      return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running ? p : null;
    }, 60_000, 200).catch((err: Error) => {
      throw new Error(err.message + said());
    });
    expect(pod.status?.podIP).toMatch(/^10\.244\.85\.\d+$/);
    expect(pod.status?.containerStatuses?.[0]?.containerID).toMatch(new RegExp(`^runc://${prefix}`));
    // The container is a real runc container under the agent's runc root, named with the test's prefix.
    const runcRoot = join(nodeDir, 'kubelet', NODE, 'runtime', 'runc');
    const ids = spawnSync('runc', ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    expect(ids).toContain(pod.status!.containerStatuses![0]!.containerID!.replace('runc://', ''));
    // kubectl logs: the API server reaches the agent's kubelet API at the address the node registered.
    if (existsSync(KUBECTL)) {
      const log = await eventually('pod log', async () => {
        const r = await run(KUBECTL, ['--kubeconfig', server!.kubeconfig, 'logs', 'hello'], { timeout: 20_000 }).catch(() => ({ stdout: '' }));
        return r.stdout.includes('hello from runc') ? r.stdout : null;
      }, 20_000, 200);
      expect(log).toBe('hello from runc\n');
    }
  }, 150_000);
});
