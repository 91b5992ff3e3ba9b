/**
 * Two real runc nodes end to end, as root: a real API server with the Deployment, ReplicaSet and EndpointSlice
 * controllers; two node agents (runc), each node in a namespace this test makes (`skiff-t-<run>-n1`, `-n2`),
 * joined by a routed link (each node routes the other's podCIDR over it); a proxy agent programming Services
 * (iptables) in each node's namespace; cluster DNS bound in node 1's namespace behind the kube-dns ClusterIP.
 * A Deployment of `busybox httpd` on node 1 behind a Service answers a pod on node 2 by ClusterIP and by DNS
 * name; a pod turned unready is marked not ready in the EndpointSlice and gets no more traffic.
 * Everything is named `skiff-t-<run>…` and removed in afterAll, also on failure.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deployments, EndpointSlices, Pods, Services } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { deploymentController } from '../../src/control/controllers/deployment/controller.js';
import { replicaSetController } from '../../src/control/controllers/replicaset.js';
import { endpointSliceControllerDescriptor } from '../../src/control/controllers/endpointslice/controller.js';
import { startControllerManager, type RunningControllerManager } from '../../src/control/controllers/start.js';
import { startDns, type RunningDns } from '../../src/dataplane/dns/start.js';
import { ImageStore } from '../../src/dataplane/kubelet/images/store.js';
import { startRuncNode, type RunningRuncNode } from '../../src/dataplane/kubelet/runtime/runc/start.js';
import { realNodeSkipReason } from '../../src/dataplane/kubelet/runtime/runc/tools.js';
import { startProxy, type RunningProxy } from '../../src/dataplane/proxy/start.js';
import { eventually, startTestCluster, type TestCluster } from '../support/cluster.js';
import { addImage } from '../unit/kubelet/images/oci-fixture.js';
import { dataplaneSkipReason } from './netns.js';
import { runcSkipReason, runPrefix, cleanUpRuncNode, busyboxImageLayer } from './runc-fixture.js';

const execFileP = promisify(execFile);
const skip = realNodeSkipReason() ?? runcSkipReason() ?? dataplaneSkipReason(['iptables-restore', 'nsenter']);
const IMAGE = 'skiff.test/busybox:1';
const NODES = [
  { name: 'n1', cidr: '10.244.81.0/24', link: '10.100.0.1' },
  { name: 'n2', cidr: '10.244.82.0/24', link: '10.100.0.2' },
] as const;

function ip(argv: string[]): void {
  const r = spawnSync('ip', argv, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${argv.join(' ')} failed: ${r.stderr}`);
}

describe.skipIf(skip !== null)(`two runc nodes: Deployment, Service, proxy and DNS across nodes${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const prefix = `${runPrefix()}-`;
  const netns = (n: string) => `${prefix}${n}`;
  let dir = '';
  let cluster: TestCluster | undefined;
  let cm: RunningControllerManager | undefined;
  const nodes: RunningRuncNode[] = [];
  const proxies: RunningProxy[] = [];
  let dns: RunningDns | undefined;
  const errors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-t-two-node-'));
    // The node namespaces and the routed link between them; nothing in the host's namespace.
    for (const n of NODES) {
      ip(['netns', 'add', netns(n.name)]);
      ip(['-n', netns(n.name), 'link', 'set', 'lo', 'up']);
    }
    ip(['-n', netns('n1'), 'link', 'add', 'eth-n2', 'type', 'veth', 'peer', 'name', 'eth-n1', 'netns', netns('n2')]);
    for (const [n, dev, peer] of [[NODES[0], 'eth-n2', NODES[1]], [NODES[1], 'eth-n1', NODES[0]]] as const) {
      ip(['-n', netns(n.name), 'addr', 'add', `${n.link}/30`, 'dev', dev]);
      ip(['-n', netns(n.name), 'link', 'set', dev, 'up']);
      ip(['-n', netns(n.name), 'route', 'add', peer.cidr, 'via', peer.link]);
    }
    cluster = await startTestCluster();
    cm = await startControllerManager({
      client: cluster.newClient('skiff-t-controllers'),
      available: [deploymentController, replicaSetController, endpointSliceControllerDescriptor],
      controllers: ['*'],
      leaderElect: false,
      onError: (err, context) => errors.push(`${context}: ${String(err)}`),
    });
    await cm.ready;
    for (const n of NODES) {
      const nodeDir = join(dir, n.name);
      mkdirSync(nodeDir);
      const layout = join(nodeDir, 'layout');
      await addImage(layout, { refName: IMAGE, layers: [busyboxImageLayer()], cmd: ['sh'], env: ['PATH=/bin'] });
      expect(await new ImageStore({ root: join(nodeDir, 'images') }).load(layout)).toEqual([IMAGE]);
      const node = await startRuncNode({
        client: cluster.newClient(`skiff-t-agent-${n.name}`),
        nodeName: n.name,
        dataDir: nodeDir,
        netns: netns(n.name),
        prefix,
        podCIDR: n.cidr,
        clusterDNS: ['10.96.0.10'],
        cpu: '2',
        memory: '2Gi',
        pollMs: 200,
        log: (level, msg, fields) => {
          if (level === 'warn' || level === 'error') console.error(`agent ${n.name} ${level}: ${msg} ${fields ? JSON.stringify(fields) : ''}`);
        },
      });
      nodes.push(node);
      await node.registered;
      proxies.push(await startProxy({
        client: cluster.newClient(`skiff-t-proxy-${n.name}`), mode: 'iptables', netns: netns(n.name), clusterCIDR: '10.244.0.0/16',
        nodeName: n.name, nodeIPs: [n.link], minSyncPeriodMs: 50, healthzBindAddress: null, metricsBindAddress: null,
      }));
    }
    dns = await startDns({ client: cluster.newClient('skiff-t-dns'), netns: netns('n1'), advertise: { address: NODES[0].link, nodeName: 'n1' } });
    expect(await dns.synced).toBe(true);
  }, 90_000);

  afterAll(async () => {
    await dns?.stop().catch(() => undefined);
    for (const p of proxies) await p.stop().catch(() => undefined);
    for (const n of nodes) await n.stop().catch(() => undefined);
    await cm?.stop().catch(() => undefined);
    await cluster?.close().catch(() => undefined);
    if (dir) {
      for (const n of NODES) await cleanUpRuncNode(join(dir, n.name), prefix, n.name);
      await cleanUpRuncNode(dir, prefix); // the node namespaces (named with the prefix) and the dir
    }
  }, 60_000);

  const cs = (p: KubeObject) => ((p.status as { containerStatuses?: Record<string, any>[] }).containerStatuses ?? [])[0] ?? {};
  const runcRoot = (node: string) => join(dir, node, 'kubelet', node, 'runtime', 'runc');
  /** A command in a running container, async: the DNS server answering it runs in this very process. */
  const execIn = async (node: string, pod: KubeObject, argv: string[]): Promise<string> => {
    const id = (cs(pod).containerID as string).replace('runc://', '');
    const r = await execFileP('runc', ['--root', runcRoot(node), 'exec', id, ...argv], { timeout: 20_000 });
    return r.stdout;
  };

  it('a Deployment of busybox httpd on node 1 answers a pod on node 2 by ClusterIP and by DNS name; an unready pod leaves the Service', async () => {
    const c = cluster!.client;
    await c.create(Services, {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
    });
    await c.create(Deployments, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            // Bound to node 1 by name (no scheduler here), so every answer crosses the link.
            nodeName: 'n1',
            terminationGracePeriodSeconds: 1,
            containers: [{
              name: 'httpd', image: IMAGE, imagePullPolicy: 'IfNotPresent',
              // Each pod serves its own name, so answers say which pod served them.
              command: ['sh', '-c', 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && echo ok > /tmp/ready && exec httpd -f -p 8080 -h /tmp/www'],
              ports: [{ containerPort: 8080 }],
              readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
            }],
          },
        },
      },
    });
    await c.create(Pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'default' },
      spec: { nodeName: 'n2', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'] }] },
    });
    const clusterIP = ((await c.get(Services, 'web', 'default')).spec as { clusterIP: string }).clusterIP;
    const webPods = await eventually('two web pods Ready', async () => {
      const list = (await c.list(Pods, { namespace: 'default', labelSelector: 'app=web' })).items;
      return list.length === 2 && list.every((p) => cs(p).ready === true) ? list : null;
    }, 45_000, 200);
    for (const p of webPods) expect((p.status as { podIP: string }).podIP).toMatch(/^10\.244\.81\.\d+$/);
    const names = webPods.map((p) => p.metadata!.name!).sort();
    const running = await eventually('client Running', async () => {
      const p = await c.get(Pods, 'client', 'default');
      return cs(p).state?.running ? p : null;
    }, 30_000, 200);
    expect((running.status as { podIP: string }).podIP).toMatch(/^10\.244\.82\.\d+$/);

    // Both pods in the slice, ready; the proxies have it: answers from both pods through the ClusterIP.
    const loop = (url: string, n: number) => ['sh', '-c', `i=0; while [ $i -lt ${n} ]; do wget -qO- ${url} || echo FAIL; i=$((i+1)); done`];
    const seen = await eventually('both web pods answer the ClusterIP from node 2', async () => {
      const out = (await execIn('n2', running, loop(`http://${clusterIP}/index.html`, 12))).split('\n').filter(Boolean);
      return new Set(out).size === 2 && out.every((l) => names.includes(l)) ? out : null;
    }, 30_000, 500);
    expect(new Set(seen)).toEqual(new Set(names));

    // By DNS name, through the pod's resolv.conf (nameserver 10.96.0.10, the proxy's DNAT to the DNS on node 1).
    expect(await execIn('n2', running, ['cat', '/etc/resolv.conf'])).toMatch(/^nameserver 10\.96\.0\.10$/m);
    const byName = await eventually('the DNS name answers', async () => {
      const out = (await execIn('n2', running, ['wget', '-qO-', 'http://web.default.svc.cluster.local/index.html'])).trim();
      return names.includes(out) ? out : null;
    }, 30_000, 500);
    expect(names).toContain(byName);

    // One pod turns unready: its endpoint is marked not ready and the Service sends everything to the other.
    const [gone, stays] = webPods;
    await execIn('n1', gone!, ['rm', '/tmp/ready']);
    await eventually('the slice marks the unready pod not ready', async () => {
      const slices = (await c.list(EndpointSlices, { namespace: 'default', labelSelector: 'kubernetes.io/service-name=web' })).items as (KubeObject & { endpoints?: { targetRef?: { name?: string }; conditions?: { ready?: boolean } }[] })[];
      const eps = slices.flatMap((s) => s.endpoints ?? []);
      const mine = eps.find((e) => e.targetRef?.name === gone!.metadata!.name);
      const other = eps.find((e) => e.targetRef?.name === stays!.metadata!.name);
      return mine?.conditions?.ready === false && other?.conditions?.ready === true;
    }, 20_000, 200);
    const only = await eventually('only the ready pod answers', async () => {
      const out = (await execIn('n2', running, loop(`http://${clusterIP}/index.html`, 10))).split('\n').filter(Boolean);
      return out.length === 10 && out.every((l) => l === stays!.metadata!.name) ? out : null;
    }, 20_000, 500);
    expect(only).toHaveLength(10);
    expect(errors.filter((e) => !/conflict|Conflict|409/.test(e))).toEqual([]);
  }, 120_000);
});
