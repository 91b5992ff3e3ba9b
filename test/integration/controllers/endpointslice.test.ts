import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointSlices, Endpoints, Nodes, Pods, Services } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';
import { endpointSliceControllerDescriptor } from '../../../src/control/controllers/endpointslice/controller.js';
import { endpointSliceMirroringControllerDescriptor } from '../../../src/control/controllers/endpointslice-mirroring.js';
import { endpointsControllerDescriptor } from '../../../src/control/controllers/endpoints.js';
import type { EndpointSlice, Endpoints as EndpointsObject } from '../../../src/control/controllers/endpointslice/types.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { buildServicePorts, type ServiceObject } from '../../../src/dataplane/proxy/model-builder.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

const run = promisify(execFile);
const NS = 'default';

let cluster: TestCluster;
let cm: RunningControllerManager;

beforeAll(async () => {
  cluster = await startTestCluster();
  cm = await startControllerManager({
    client: cluster.newClient('controller-manager'),
    available: [endpointSliceControllerDescriptor, endpointsControllerDescriptor, endpointSliceMirroringControllerDescriptor],
    controllers: ['endpointslice', 'endpoint', 'endpointslice-mirroring'],
    leaderElect: false,
    onError: () => {},
  });
  await cm.ready;
  await cluster.client.create(Nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'zone-a' } } });
});

afterAll(async () => {
  await cm?.stop();
  await cluster?.close();
});

let ipSerial = 0;

/** Creates a pod bound to n1 and reports it Running with an IP (and Ready or not), as a kubelet would. */
async function runningPod(name: string, labels: Record<string, string>, httpPort = 8080, ready = true): Promise<string> {
  await cluster.client.create(Pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: httpPort }] }] },
  });
  ipSerial++;
  const ip = `10.244.${Math.floor(ipSerial / 250)}.${(ipSerial % 250) + 1}`;
  await setReady(name, ready, ip);
  return ip;
}

async function setReady(name: string, ready: boolean, ip?: string): Promise<void> {
  const now = new Date().toISOString();
  await cluster.client.patch(Pods, NS, name, {
    status: {
      phase: 'Running',
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }],
    },
  }, 'merge', { subresource: 'status' });
}

async function service(name: string, selector: Record<string, string> | undefined, ports: Record<string, unknown>[]): Promise<KubeObject> {
  return cluster.client.create(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS, labels: { team: 'a' } }, spec: { ...(selector ? { selector } : {}), ports } });
}

async function slicesOf(svc: string, managedBy = 'endpointslice-controller.k8s.io'): Promise<EndpointSlice[]> {
  const list = await cluster.client.list<EndpointSlice>(EndpointSlices, { namespace: NS, labelSelector: `kubernetes.io/service-name=${svc},endpointslice.kubernetes.io/managed-by=${managedBy}` });
  return list.items;
}

const endpointsIn = (slices: EndpointSlice[]) => slices.flatMap((s) => (s.endpoints ?? []).map((e) => ({ ...e, port: s.ports?.[0]?.port })));

describe('endpointslice controller', () => {
  it('lists ready pods with named target ports resolved per pod, zone and node, and the proxy reads them', async () => {
    const svc = await service('web', { app: 'web' }, [{ name: 'http', port: 80, targetPort: 'http' }]);
    const ip0 = await runningPod('web-0', { app: 'web' });
    const ip1 = await runningPod('web-1', { app: 'web' });
    const ip2 = await runningPod('web-2', { app: 'web' }, 9090);
    await runningPod('other', { app: 'other' });

    const slices = await eventually('two slices with 3 endpoints', async () => {
      const s = await slicesOf('web');
      return endpointsIn(s).length === 3 && s.length === 2 ? s : undefined;
    });
    const eps = endpointsIn(slices);
    const byIP = new Map(eps.map((e) => [e.addresses[0], e]));
    expect(byIP.get(ip0)).toMatchObject({ port: 8080, nodeName: 'n1', zone: 'zone-a', conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', namespace: NS, name: 'web-0' } });
    expect(byIP.get(ip1)?.port).toBe(8080);
    expect(byIP.get(ip2)?.port).toBe(9090);
    for (const s of slices) {
      expect(s.addressType).toBe('IPv4');
      expect(s.metadata.generateName).toBe('web-');
      expect(s.metadata.labels).toMatchObject({ team: 'a', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
      expect(s.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
      expect(s.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(s.ports![0]!.name).toBe('http');
    }

    // What the proxy builds from these objects.
    const fresh = await cluster.client.get<ServiceObject & KubeObject>(Services, 'web', NS);
    const model = buildServicePorts([fresh], slices as never, 'n1');
    expect(model).toHaveLength(1);
    expect(model[0]!.endpoints.map((e) => `${e.ip}:${e.port}:${e.ready}:${e.isLocal}`).sort()).toEqual(
      [`${ip0}:8080:true:true`, `${ip1}:8080:true:true`, `${ip2}:9090:true:true`].sort(),
    );
  });

  it('marks a pod that turns unready not ready, and a terminating pod terminating', async () => {
    await setReady('web-0', false);
    await eventually('web-0 not ready', async () => {
      const e = endpointsIn(await slicesOf('web')).find((x) => x.targetRef?.name === 'web-0');
      return e?.conditions?.ready === false && e.conditions.serving === false ? e : undefined;
    });
    await cluster.client.delete(Pods, NS, 'web-1');
    const e = await eventually('web-1 terminating', async () => {
      const x = endpointsIn(await slicesOf('web')).find((y) => y.targetRef?.name === 'web-1');
      return x?.conditions?.terminating === true ? x : undefined;
    });
    expect(e.conditions).toEqual({ ready: false, serving: true, terminating: true });
  });

  it('spreads 250 pods over 3 slices of at most 100', async () => {
    await service('big', { app: 'big' }, [{ name: 'http', port: 80, targetPort: 8080 }]);
    const names = Array.from({ length: 250 }, (_, i) => `big-${i}`);
    for (let i = 0; i < names.length; i += 25) await Promise.all(names.slice(i, i + 25).map((n) => runningPod(n, { app: 'big' })));
    const slices = await eventually('250 endpoints', async () => {
      const s = await slicesOf('big');
      return endpointsIn(s).length === 250 ? s : undefined;
    }, 30_000);
    expect(slices.map((s) => s.endpoints!.length).sort((a, b) => b - a)).toEqual([100, 100, 50]);
    expect(new Set(endpointsIn(slices).map((e) => e.addresses[0])).size).toBe(250);
  }, 40_000);

  it('fills in the slices of a Service made by kubectl expose', async () => {
    const ip = await runningPod('lonely', { app: 'lonely', tier: 'x' });
    await run('kubectl', ['--kubeconfig', cluster.kubeconfig, 'expose', 'pod', 'lonely', '--port=80', '--target-port=8080', '--name=lonely']);
    const slices = await eventually('lonely slice', async () => {
      const s = await slicesOf('lonely');
      return endpointsIn(s).length === 1 ? s : undefined;
    });
    expect(endpointsIn(slices)[0]).toMatchObject({ addresses: [ip], port: 8080, conditions: { ready: true } });
  });

  it('leaves a Service without selector alone', async () => {
    await service('manual', undefined, [{ port: 80 }]);
    await service('probe', { app: 'lonely' }, [{ port: 81, targetPort: 8080 }]);
    const [probe] = await eventually('probe slice', async () => {
      const s = await slicesOf('probe');
      return endpointsIn(s).length === 1 ? s : undefined;
    });
    expect(await slicesOf('manual')).toEqual([]);
    // No churn: a resync (forced by an annotation on the Service) finds what the server stored equal to what
    // the controllers want, so neither the slice nor the Endpoints is written again.
    const ep = await eventually('probe endpoints', () => cluster.client.get<EndpointsObject>(Endpoints, 'probe', NS).catch(() => undefined));
    await cluster.client.patch(Services, NS, 'probe', { metadata: { annotations: { touched: 'yes' } } }, 'merge');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await slicesOf('probe'))[0]!.metadata.resourceVersion).toBe(probe!.metadata.resourceVersion);
    expect((await cluster.client.get<EndpointsObject>(Endpoints, 'probe', NS)).metadata.resourceVersion).toBe(ep.metadata.resourceVersion);
  });
});

describe('endpoints controller', () => {
  it('writes the Service\'s Endpoints: ready and not-ready addresses with targetRef and node, ports, labels', async () => {
    // web: web-0 unready (8080), web-1 terminating (left out: not published), web-2 ready (9090).
    const ep = await eventually('web endpoints', async () => {
      const e = await cluster.client.get<EndpointsObject>(Endpoints, 'web', NS).catch(() => undefined);
      const s = e?.subsets ?? [];
      const all = s.flatMap((x) => [...(x.addresses ?? []), ...(x.notReadyAddresses ?? [])]);
      return all.length === 2 && !all.some((a) => a.targetRef?.name === 'web-1') ? e : undefined;
    });
    expect(ep!.metadata.labels).toEqual({ team: 'a' });
    const byPort = new Map(ep!.subsets!.map((s) => [s.ports![0]!.port, s]));
    expect(byPort.get(8080)).toMatchObject({ notReadyAddresses: [{ nodeName: 'n1', targetRef: { kind: 'Pod', name: 'web-0', namespace: NS } }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] });
    expect(byPort.get(8080)!.addresses).toBeUndefined();
    expect(byPort.get(9090)).toMatchObject({ addresses: [{ targetRef: { name: 'web-2' } }] });
  });

  it('lists all 250 pods of a big service in one subset, and removes the Endpoints with the Service', async () => {
    const ep = await eventually('big endpoints', async () => {
      const e = await cluster.client.get<EndpointsObject>(Endpoints, 'big', NS).catch(() => undefined);
      return e?.subsets?.[0]?.addresses?.length === 250 ? e : undefined;
    });
    expect(ep!.subsets).toHaveLength(1);
    expect(ep!.metadata.annotations?.['endpoints.kubernetes.io/over-capacity']).toBeUndefined();
    await cluster.client.delete(Services, NS, 'big');
    await eventually('big endpoints gone', async () => cluster.client.get(Endpoints, 'big', NS).then(() => false, () => true));
  });
});

describe('endpointslice mirroring', () => {
  it('mirrors hand-made Endpoints of a selectorless Service into a slice, and follows their changes', async () => {
    const ext = await service('external', undefined, [{ name: 'db', port: 5432 }]);
    expect(ext.metadata!.uid).toBeTruthy();
    const ep = await cluster.client.create<EndpointsObject>(Endpoints, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'external', namespace: NS, labels: { src: 'hand' } },
      subsets: [{ addresses: [{ ip: '192.168.1.10' }, { ip: '192.168.1.11' }], notReadyAddresses: [{ ip: '192.168.1.12' }], ports: [{ name: 'db', port: 5432, protocol: 'TCP' }] }],
    });
    const slices = await eventually('mirrored slice', async () => {
      const s = await slicesOf('external', 'endpointslicemirroring-controller.k8s.io');
      return endpointsIn(s).length === 3 ? s : undefined;
    });
    expect(slices).toHaveLength(1);
    const s = slices[0]!;
    expect(s.addressType).toBe('IPv4');
    expect(s.metadata.labels).toEqual({ src: 'hand', 'kubernetes.io/service-name': 'external', 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' });
    expect(s.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Endpoints', name: 'external', uid: ep.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(s.ports).toEqual([{ name: 'db', port: 5432, protocol: 'TCP' }]);
    expect(new Map(s.endpoints!.map((e) => [e.addresses[0], e.conditions?.ready]))).toEqual(new Map([['192.168.1.10', true], ['192.168.1.11', true], ['192.168.1.12', false]]));
    // The endpointslice controller leaves it alone, and the Endpoints controller leaves the hand-made Endpoints.
    expect(await slicesOf('external')).toEqual([]);

    // The proxy sees the mirrored endpoints (only the ready ones are used).
    const fresh = await cluster.client.get<ServiceObject & KubeObject>(Services, 'external', NS);
    const model = buildServicePorts([fresh], slices as never, 'n1');
    expect(model[0]!.endpoints.filter((e) => e.ready).map((e) => `${e.ip}:${e.port}`)).toEqual(['192.168.1.10:5432', '192.168.1.11:5432']);

    // An edit is mirrored into the same slice.
    await cluster.client.patch(Endpoints, NS, 'external', { subsets: [{ addresses: [{ ip: '192.168.1.20' }], ports: [{ name: 'db', port: 5432, protocol: 'TCP' }] }] }, 'merge');
    const after = await eventually('mirrored edit', async () => {
      const x = await slicesOf('external', 'endpointslicemirroring-controller.k8s.io');
      return endpointsIn(x).length === 1 && endpointsIn(x)[0]!.addresses[0] === '192.168.1.20' ? x : undefined;
    });
    expect(after[0]!.metadata.name).toBe(s.metadata.name);

    // Deleting the Endpoints removes the mirrored slice.
    await cluster.client.delete(Endpoints, NS, 'external');
    await eventually('mirrored slice gone', async () => (await slicesOf('external', 'endpointslicemirroring-controller.k8s.io')).length === 0);
  });

  it('does not mirror the kubernetes Service\'s Endpoints (skip-mirror)', async () => {
    // Give the controllers a chance: a sync of `external` above proves they run; the kubernetes one never mirrors.
    const list = await cluster.client.list<EndpointSlice>(EndpointSlices, { namespace: 'default', labelSelector: 'kubernetes.io/service-name=kubernetes' });
    expect(list.items.map((s) => s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'])).toEqual(['endpointslice-controller.k8s.io']);
    expect(list.items[0]!.metadata.name).toBe('kubernetes');
  });
});
