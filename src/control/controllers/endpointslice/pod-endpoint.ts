/**
 * From a Pod (and its Node) to what a Service's endpoints say about it, as upstream's k8s.io/endpointslice
 * helpers decide: membership (not terminal, has an IP), readiness, named target ports resolved per pod, the
 * endpoint's conditions, and the identity (hash) under which an endpoint is updated in place.
 */
import { isIP } from 'node:net';
import type {
  AddressType,
  Endpoint,
  EndpointPort,
  Node,
  ObjectReference,
  Pod,
  Service,
  ServicePort,
} from './types.js';
import { LABEL_TOPOLOGY_ZONE } from './types.js';

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Failed' || phase === 'Succeeded';
}

/** The pod's IPs: status.podIPs, or status.podIP when podIPs is empty (the API server fills one from the other). */
export function podIPs(pod: Pod): string[] {
  const ips = pod.status?.podIPs?.map((p) => p.ip).filter((ip) => !!ip) ?? [];
  if (ips.length > 0) return ips;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}

/** Whether a pod belongs in Endpoints/EndpointSlices at all: not terminal, has an IP; terminating only if asked. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** A pod's hostname is published when its subdomain names the Service (a headless StatefulSet's pods). */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec?.subdomain === svc.metadata.name && svc.metadata.namespace === pod.metadata.namespace;
}

export function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP ?? '';
  return ip !== 'None' && ip !== '';
}

export const isIPv6 = (ip: string): boolean => isIP(ip) === 6;

/**
 * The container port a service port targets on this pod: a number as is; a name looked up among the pod's
 * containers (and restartable init containers, i.e. sidecars) with the same protocol. Undefined if none.
 */
export function findPort(pod: Pod, svcPort: ServicePort): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  const protocol = svcPort.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy !== 'Always') continue;
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** The EndpointSlice ports for this pod: one per service port whose target resolves on the pod. */
export function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const ports = svc.spec?.ports ?? [];
  const out: EndpointPort[] = [];
  for (const sp of ports) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** The address types a Service's slices carry: its ipFamilies; else the clusterIP's family; headless: both. */
export function addressTypesForService(svc: Service): AddressType[] {
  const out = new Set<AddressType>();
  for (const f of svc.spec?.ipFamilies ?? []) {
    if (f === 'IPv4') out.add('IPv4');
    if (f === 'IPv6') out.add('IPv6');
  }
  if (out.size > 0) return [...out];
  const ip = svc.spec?.clusterIP ?? '';
  if (ip !== '' && ip !== 'None') return [isIPv6(ip) ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

/** The pod's addresses of one family. */
export function endpointAddresses(pod: Pod, addressType: AddressType): string[] {
  return podIPs(pod).filter((ip) => (addressType === 'IPv6') === isIPv6(ip));
}

export function podReference(pod: Pod): ObjectReference {
  const ref: ObjectReference = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name };
  if (pod.metadata.uid) ref.uid = pod.metadata.uid;
  return ref;
}

/**
 * One pod as an endpoint of `svc`: serving = Ready; terminating = deletionTimestamp set; ready = serving and not
 * terminating, or always when the Service publishes not-ready addresses.
 */
export function podToEndpoint(pod: Pod, node: Node | undefined, svc: Service, addressType: AddressType): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: endpointAddresses(pod, addressType),
    conditions: { ready, serving, terminating },
    targetRef: podReference(pod),
  };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata.labels?.[LABEL_TOPOLOGY_ZONE];
  if (zone) ep.zone = zone;
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec!.hostname!;
  return ep;
}

/**
 * An endpoint's identity: addresses, hostname and target name. Conditions, node and zone are not part of it, so
 * that their changes update the endpoint in place rather than moving it between slices.
 */
export function endpointHash(ep: Endpoint): string {
  let h = hashes.get(ep);
  if (h === undefined) {
    const addrs = ep.addresses.length === 1 ? ep.addresses[0]! : [...ep.addresses].sort().join(',');
    h = `${addrs}|${ep.hostname ?? ''}|${ep.targetRef?.namespace ?? ''}/${ep.targetRef?.name ?? ''}`;
    hashes.set(ep, h);
  }
  return h;
}

/** Endpoint objects are never mutated once built or cached, so their hash is computed once. */
const hashes = new WeakMap<Endpoint, string>();

const refEqualIgnoringRV = (a: ObjectReference | undefined, b: ObjectReference | undefined): boolean => {
  if (!a || !b) return !a && !b;
  return (
    (a.kind ?? '') === (b.kind ?? '') &&
    (a.namespace ?? '') === (b.namespace ?? '') &&
    (a.name ?? '') === (b.name ?? '') &&
    (a.uid ?? '') === (b.uid ?? '') &&
    (a.apiVersion ?? '') === (b.apiVersion ?? '') &&
    (a.fieldPath ?? '') === (b.fieldPath ?? '')
  );
};

/** Equal beyond what endpointHash covers (node, zone, conditions, targetRef without its resourceVersion). */
export function endpointsEqualBeyondHash(a: Endpoint, b: Endpoint): boolean {
  if (a.nodeName !== b.nodeName || a.zone !== b.zone) return false;
  const ca = a.conditions ?? {};
  const cb = b.conditions ?? {};
  if (ca.ready !== cb.ready || ca.serving !== cb.serving || ca.terminating !== cb.terminating) return false;
  return refEqualIgnoringRV(a.targetRef, b.targetRef);
}

const portText = (p: EndpointPort): string => `${p.name ?? ''}\u0000${p.protocol ?? 'TCP'}\u0000${p.port ?? ''}\u0000${p.appProtocol ?? ''}`;

/** A key for a set of ports, independent of their order: slices group endpoints by it. */
export function portMapKey(ports: readonly EndpointPort[] | null | undefined): string {
  return (ports ?? []).map(portText).sort().join('\u0001');
}
