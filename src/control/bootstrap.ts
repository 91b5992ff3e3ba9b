/**
 * What kube-apiserver creates for itself at start: the default, kube-system, kube-public and kube-node-lease
 * namespaces, and the `kubernetes` Service in default (the range's first ClusterIP, port 443 to the API port)
 * with its Endpoints and EndpointSlice pointing at this server. Idempotent: a restart changes only what moved.
 * Also the `kube-dns` Service in kube-system at the range's tenth address (kubeadm's choice, what kubelets'
 * clusterDNS points at), selectorless: the cluster DNS server publishes its own EndpointSlice for it. And the
 * default `local-path` StorageClass, as k3s creates it.
 */
import type { KubeObject } from './api/resource.js';
import { ApiError } from './api/status.js';
import type { ObjectEngine } from './api/routes/objects.js';
import { systemPriorityClassObjects } from './api/kinds/scheduling.js';
import { localAPIServices } from './api/kinds/apiregistration.js';
import { ensureFlowControlBootstrap } from './flowcontrol-bootstrap.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface BootstrapOptions {
  /** The address clients reach this server on, for the `kubernetes` Endpoints. */
  host: string;
  port: number;
}

const isConflict = (err: unknown) => err instanceof ApiError && (err.reason === 'AlreadyExists' || err.code === 409);

/** Creates `obj` unless it exists (a concurrent create counts as done); a server without its resource skips it. */
export async function ensure(engine: ObjectEngine, plural: string, group: string, version: string, ns: string | undefined, obj: KubeObject): Promise<void> {
  const r = engine.registry.lookup(group, version, plural);
  if (!r) return;
  try {
    await engine.get(r, ns, obj.metadata!.name!);
    return;
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 404)) throw err;
  }
  try {
    await engine.create(r, ns, obj);
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
}

/** Creates, or brings up to date, what must exist before clients arrive. */
export async function bootstrap(engine: ObjectEngine, opts: BootstrapOptions): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    await ensure(engine, 'namespaces', '', 'v1', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  // The system PriorityClasses, as upstream's scheduling bootstrap (system-node-critical, system-cluster-critical).
  for (const pc of systemPriorityClassObjects()) await ensure(engine, 'priorityclasses', 'scheduling.k8s.io', 'v1', undefined, pc);
  const ip = engine.services.ips.first;
  await ensure(engine, 'services', '', 'v1', 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: ip,
      clusterIPs: [ip],
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.port }],
      sessionAffinity: 'None',
    },
  });

  await ensureKubeDns(engine);

  const subsets = [{ addresses: [{ ip: opts.host }], ports: [{ name: 'https', port: opts.port, protocol: 'TCP' }] }];
  await upsert(engine, 'endpoints', '', 'v1', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets,
  }, (cur) => JSON.stringify(cur['subsets']) === JSON.stringify(subsets));

  const endpoints = [{ addresses: [opts.host], conditions: { ready: true } }];
  const ports = [{ name: 'https', port: opts.port, protocol: 'TCP' }];
  await upsert(engine, 'endpointslices', 'discovery.k8s.io', 'v1', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
    addressType: 'IPv4',
    endpoints,
    ports,
  }, (cur) => JSON.stringify(cur['endpoints']) === JSON.stringify(endpoints) && JSON.stringify(cur['ports']) === JSON.stringify(ports));

  await ensureLocalAPIServices(engine);
  await ensure(engine, 'storageclasses', 'storage.k8s.io', 'v1', undefined, localPathStorageClass());
  // API Priority and Fairness' mandatory and suggested configuration (stored; see kinds/flowcontrol.ts).
  await ensureFlowControlBootstrap(engine);
}

/**
 * The `local-path` StorageClass k3s ships, the cluster's default: volumes made by the local-path provisioner
 * (a controller) on the node of the claim's first consumer, deleted with their claim.
 */
export function localPathStorageClass(): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'skiff.dev/local-path',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/**
 * One local APIService per served built-in group-version, Available as upstream's availability controller marks
 * local ones (kube-apiserver's autoregistration of its own groups): `kubectl get apiservices` lists them.
 */
async function ensureLocalAPIServices(engine: ObjectEngine): Promise<void> {
  const r = engine.registry.lookup('apiregistration.k8s.io', 'v1', 'apiservices');
  if (!r) return;
  for (const svc of localAPIServices(engine.registry.resources, `${new Date().toISOString().slice(0, 19)}Z`)) {
    const name = svc.metadata!.name!;
    // Create resets the status (a status subresource's kind): it is written afterwards through /status.
    const status = structuredClone(svc['status']);
    await ensure(engine, 'apiservices', 'apiregistration.k8s.io', 'v1', undefined, svc);
    const cur = await engine.get(r, undefined, name);
    const available = ((cur['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [])
      .some((c) => c.type === 'Available' && c.status === 'True');
    if (!available) await engine.update(r, undefined, name, { ...cur, status }, {}, 'status');
  }
}

/** The tenth address of the Service CIDR (10.96.0.10 in the default 10.96.0.0/12), as kubeadm's GetDNSIP. */
export function kubeDnsIP(engine: ObjectEngine): string {
  const n = (engine.services.ips.base + 10) >>> 0;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

async function ensureKubeDns(engine: ObjectEngine): Promise<void> {
  const ip = kubeDnsIP(engine);
  try {
    await ensure(engine, 'services', '', 'v1', 'kube-system', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' } },
      spec: {
        type: 'ClusterIP',
        clusterIP: ip,
        clusterIPs: [ip],
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        ],
        sessionAffinity: 'None',
      },
    });
  } catch (err) {
    // A user Service already holding the address (kube-dns deleted, the IP reused) must not stop the server.
    if (!(err instanceof ApiError && (err.code === 422 || err.code === 409))) throw err;
  }
}

/** Creates `obj` in default, or replaces it when `same` says the stored one is out of date. */
async function upsert(engine: ObjectEngine, plural: string, group: string, version: string, obj: KubeObject, same: (cur: KubeObject) => boolean): Promise<void> {
  const r = engine.registry.lookup(group, version, plural);
  if (!r) return;
  const name = obj.metadata!.name!;
  try {
    const cur = await engine.get(r, 'default', name);
    if (same(cur)) return;
    await engine.update(r, 'default', name, { ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata!.resourceVersion! } });
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 404)) throw err;
    await ensure(engine, plural, group, version, 'default', obj);
  }
}
