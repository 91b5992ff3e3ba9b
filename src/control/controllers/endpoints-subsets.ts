/**
 * What the legacy Endpoints controller writes for a Service, as a pure function (upstream's
 * pkg/controller/endpoint syncService and RepackSubsets): one address per selected pod (ready ones in
 * `addresses`, others in `notReadyAddresses`, all in `addresses` when the Service publishes not-ready ones),
 * grouped into subsets by the ports they share, capped at 1000 addresses with the over-capacity annotation.
 */
import { findPort, isIPv6, isPodReady, isServiceIPSet, podIPs, podReference, shouldPodBeInEndpoints, shouldSetHostname } from './endpointslice/pod-endpoint.js';
import type { CoreEndpointPort, EndpointAddress, Endpoints, EndpointSubset, Pod, Service } from './endpointslice/types.js';
import { ANNOTATION_LAST_CHANGE_TRIGGER_TIME, ANNOTATION_OVER_CAPACITY, LABEL_HEADLESS } from './endpointslice/types.js';

/** Upstream's maxCapacity: addresses beyond it are truncated and the object annotated. */
export const MAX_ENDPOINTS_CAPACITY = 1000;
export const TRUNCATED = 'truncated';

/** The pod's address for the Service's (first) IP family; undefined when it has none of that family. */
export function podAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  let v6: boolean;
  const families = svc.spec?.ipFamilies ?? [];
  if (families.length > 0) v6 = families[0] === 'IPv6';
  else if (isServiceIPSet(svc)) v6 = isIPv6(svc.spec!.clusterIP!);
  else v6 = isIPv6(pod.status?.podIP ?? '');
  const ip = podIPs(pod).find((x) => isIPv6(x) === v6);
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip, targetRef: podReference(pod) };
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec!.hostname!;
  return addr;
}

/** podAddress per pod object and service object (informer objects are replaced, never mutated, on change). */
const addresses = new WeakMap<Pod, { svc: Service; addr: EndpointAddress | undefined }>();
function cachedPodAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  const hit = addresses.get(pod);
  if (hit && hit.svc === svc) return hit.addr;
  const addr = podAddress(svc, pod);
  addresses.set(pod, { svc, addr });
  return addr;
}

function compareIP(a: string, b: string): number {
  const v6a = isIPv6(a);
  if (v6a !== isIPv6(b)) return v6a ? 1 : -1;
  if (!v6a) {
    const pa = a.split('.').map(Number);
    const pb = b.split('.').map(Number);
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

const compareAddress = (a: EndpointAddress, b: EndpointAddress): number => {
  const c = compareIP(a.ip, b.ip);
  if (c !== 0) return c;
  const ua = a.targetRef?.uid ?? '';
  const ub = b.targetRef?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
};

const portKey = (p: CoreEndpointPort): string => `${p.name ?? ''}\u0000${p.port}\u0000${p.protocol ?? 'TCP'}\u0000${p.appProtocol ?? ''}`;
const addrKey = (a: EndpointAddress): string => `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;

/**
 * Regroups subsets so that each holds exactly the addresses sharing one set of ports; an address both ready and
 * not ready for a port counts as ready. Addresses sort by IP, ports and subsets by their text, so equal inputs
 * give equal output.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const NO_PORT = '\u0002none';
  const addrs = new Map<string, EndpointAddress>();
  const portsByKey = new Map<string, CoreEndpointPort>();
  // port key → address key → ready
  const byPort = new Map<string, Map<string, boolean>>();
  const mark = (pk: string, a: EndpointAddress, ready: boolean): void => {
    const ak = addrKey(a);
    if (!addrs.has(ak)) addrs.set(ak, a);
    let m = byPort.get(pk);
    if (!m) byPort.set(pk, (m = new Map()));
    if (ready) m.set(ak, true);
    else if (!m.has(ak)) m.set(ak, false);
  };
  for (const s of subsets) {
    const keys = (s.ports ?? []).length === 0 ? [NO_PORT] : s.ports!.map((p) => {
      const k = portKey(p);
      portsByKey.set(k, p);
      return k;
    });
    for (const pk of keys) {
      for (const a of s.addresses ?? []) mark(pk, a, true);
      for (const a of s.notReadyAddresses ?? []) mark(pk, a, false);
    }
  }
  // Ports whose address sets (with readiness) are identical share a subset.
  const groups = new Map<string, { members: Map<string, boolean>; ports: CoreEndpointPort[] }>();
  for (const [pk, members] of byPort) {
    // Every port's members were added in the same (pod) order, so equal sets give equal text without sorting.
    let sig = '';
    for (const [k, r] of members) sig += `${k}\u0000${r ? 1 : 0}\u0001`;
    let g = groups.get(sig);
    if (!g) groups.set(sig, (g = { members, ports: [] }));
    if (pk !== NO_PORT) g.ports.push(portsByKey.get(pk)!);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [ak, r] of g.members) (r ? ready : notReady).push(addrs.get(ak)!);
    ready.sort(compareAddress);
    notReady.sort(compareAddress);
    g.ports.sort((a, b) => (portKey(a) < portKey(b) ? -1 : portKey(a) > portKey(b) ? 1 : 0));
    const s: EndpointSubset = {};
    if (ready.length > 0) s.addresses = ready;
    if (notReady.length > 0) s.notReadyAddresses = notReady;
    if (g.ports.length > 0) s.ports = g.ports;
    out.push(s);
  }
  const sortKey = (s: EndpointSubset): string =>
    `${(s.ports ?? []).map(portKey).join('\u0001')}\u0002${[...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])].map(addrKey).join('\u0001')}`;
  return out.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
}

/** The subsets for a Service and its selected pods. */
export function computeSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const ports = svc.spec?.ports ?? [];
  const raw: EndpointSubset[] = [];
  const add = (pod: Pod, addr: EndpointAddress, port: CoreEndpointPort | undefined): void => {
    const s: EndpointSubset = { ports: port ? [port] : [] };
    if (publishNotReady || isPodReady(pod)) s.addresses = [addr];
    else s.notReadyAddresses = [addr];
    raw.push(s);
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const addr = cachedPodAddress(svc, pod);
    if (!addr) continue;
    if (ports.length === 0) {
      // A headless Service may have no ports: its addresses are still published.
      if (svc.spec?.clusterIP === 'None') add(pod, addr, undefined);
      continue;
    }
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: CoreEndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
      add(pod, addr, ep);
    }
  }
  return repackSubsets(raw);
}

const countAddresses = (subsets: readonly EndpointSubset[]): number =>
  subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);

/**
 * Cuts subsets down to MAX_ENDPOINTS_CAPACITY addresses, each subset keeping its share (rounded up), ready
 * addresses before not-ready ones. Returns undefined when nothing needed cutting.
 */
export function truncateSubsets(subsets: readonly EndpointSubset[], max = MAX_ENDPOINTS_CAPACITY): EndpointSubset[] | undefined {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= max) return undefined;
  const truncateReady = totalReady > max;
  const budget = truncateReady ? max : max - totalReady;
  const numTotal = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = budget;
  return subsets.map((s) => {
    const inSubset = truncateReady ? (s.addresses?.length ?? 0) : (s.notReadyAddresses?.length ?? 0);
    const toAdd = Math.min(Math.ceil((inSubset / numTotal) * budget), canBeAdded);
    const out: EndpointSubset = { ...s };
    if (truncateReady) {
      out.addresses = (s.addresses ?? []).slice(0, toAdd);
      delete out.notReadyAddresses;
      canBeAdded -= out.addresses.length;
    } else {
      out.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, toAdd);
      canBeAdded -= out.notReadyAddresses.length;
    }
    if (out.addresses?.length === 0) delete out.addresses;
    if (out.notReadyAddresses?.length === 0) delete out.notReadyAddresses;
    return out;
  });
}

/** Subsets as comparable text: empty lists dropped, targetRef resourceVersions ignored. */
function subsetsText(subsets: readonly EndpointSubset[] | undefined): string {
  const addr = (a: EndpointAddress): unknown => ({
    ip: a.ip,
    hostname: a.hostname || undefined,
    nodeName: a.nodeName || undefined,
    targetRef: a.targetRef ? { ...a.targetRef, resourceVersion: undefined } : undefined,
  });
  return JSON.stringify(
    (subsets ?? []).map((s) => ({
      addresses: s.addresses?.length ? s.addresses.map(addr) : undefined,
      notReadyAddresses: s.notReadyAddresses?.length ? s.notReadyAddresses.map(addr) : undefined,
      ports: s.ports?.length ? s.ports.map((p) => ({ name: p.name || undefined, port: p.port, protocol: p.protocol ?? 'TCP', appProtocol: p.appProtocol })) : undefined,
    })),
  );
}

/** The cached Endpoints objects' comparable text (informer objects are replaced, never mutated, on change). */
const currentTexts = new WeakMap<Endpoints, string>();

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b ?? {}).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b ?? {}, k) && a![k] === b![k]);
}

/**
 * The Endpoints object to write for `svc`, or undefined when `current` already says it all. `current` is the
 * cached object (undefined: create); `triggerTime` the last-change-trigger-time (undefined clears it).
 */
export function desiredEndpoints(svc: Service, pods: readonly Pod[], current: Endpoints | undefined, triggerTime: string | undefined): Endpoints | undefined {
  let subsets = computeSubsets(svc, pods);
  if (current) {
    const { [LABEL_HEADLESS]: _h, ...compareLabels } = current.metadata.labels ?? {};
    const capacityOK = countAddresses(current.subsets ?? []) <= MAX_ENDPOINTS_CAPACITY && current.metadata.annotations?.[ANNOTATION_OVER_CAPACITY] === undefined;
    let currentText = currentTexts.get(current);
    if (currentText === undefined) currentTexts.set(current, (currentText = subsetsText(current.subsets)));
    if (currentText === subsetsText(subsets) && sameLabels(compareLabels, svc.metadata.labels) && capacityOK) return undefined;
  }
  const annotations = { ...(current?.metadata.annotations ?? {}) };
  if (triggerTime) annotations[ANNOTATION_LAST_CHANGE_TRIGGER_TIME] = triggerTime;
  else delete annotations[ANNOTATION_LAST_CHANGE_TRIGGER_TIME];
  const truncated = truncateSubsets(subsets);
  if (truncated) {
    subsets = truncated;
    annotations[ANNOTATION_OVER_CAPACITY] = TRUNCATED;
  } else {
    delete annotations[ANNOTATION_OVER_CAPACITY];
  }
  const labels = { ...(svc.metadata.labels ?? {}) };
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
  else delete labels[LABEL_HEADLESS];
  const metadata = current
    ? { ...current.metadata, labels, annotations }
    : { name: svc.metadata.name, namespace: svc.metadata.namespace, labels, annotations };
  return { apiVersion: 'v1', kind: 'Endpoints', ...(current ?? {}), metadata, subsets };
}
