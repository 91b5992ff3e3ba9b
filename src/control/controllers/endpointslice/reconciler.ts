/**
 * The EndpointSlice reconciler, as upstream's k8s.io/endpointslice Reconciler decides, as a pure function:
 * (Service, its pods, its existing slices) → slices to create, update and delete. Minimal churn: endpoints are
 * grouped by their resolved port set; existing slices are updated in place (endpoints no longer desired dropped,
 * changed ones replaced); leftovers fill the slices already being updated (fullest first), then the unchanged
 * slice that comes closest to full, then new slices of at most maxEndpointsPerSlice; slices left empty are
 * deleted, and a create paired with a delete becomes an update of the deleted slice. A Service with no endpoints
 * keeps one empty placeholder slice per address type.
 */
import type { OwnerReference } from '../../../client/types.js';
import {
  addressTypesForService,
  endpointHash,
  endpointPorts,
  endpointsEqualBeyondHash,
  isServiceIPSet,
  podToEndpoint,
  portMapKey,
  shouldPodBeInEndpoints,
} from './pod-endpoint.js';
import type { AddressType, Endpoint, EndpointPort, EndpointSlice, Node, Pod, Service } from './types.js';
import {
  ANNOTATION_LAST_CHANGE_TRIGGER_TIME,
  ENDPOINTSLICE_CONTROLLER_NAME,
  LABEL_HEADLESS,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
} from './types.js';

export interface ReconcileInput {
  service: Service;
  /** Pods matching the service's selector (any state: the reconciler filters). */
  pods: readonly Pod[];
  /** This controller's slices for the service, without those pending deletion. */
  existingSlices: readonly EndpointSlice[];
  /** The node lister. */
  node(name: string): Node | undefined;
  maxEndpointsPerSlice: number;
  /** RFC 3339 time for the last-change-trigger-time annotation; undefined clears it. */
  triggerTime?: string;
  controllerName?: string;
}

export interface ReconcilePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
  /** Pods skipped for a reason worth a retry (their Node is not known yet). */
  errors: string[];
}

/** Ordered set of endpoints keyed by endpointHash (upstream's EndpointSet; PopAny takes the oldest here). */
class EndpointSet {
  private m = new Map<string, Endpoint>();
  insert(ep: Endpoint): void {
    this.m.set(endpointHash(ep), ep);
  }
  get(ep: Endpoint): Endpoint | undefined {
    return this.m.get(endpointHash(ep));
  }
  delete(ep: Endpoint): void {
    this.m.delete(endpointHash(ep));
  }
  get size(): number {
    return this.m.size;
  }
  pop(): Endpoint | undefined {
    const first = this.m.entries().next();
    if (first.done) return undefined;
    this.m.delete(first.value[0]);
    return first.value[1];
  }
}

const RESERVED_LABELS = new Set([LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS]);

function withoutReserved(labels: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {})) if (!RESERVED_LABELS.has(k)) out[k] = v;
  return out;
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}

/**
 * A slice's labels: the Service's (minus the reserved keys), the headless marker when it has no cluster IP, the
 * service name and managed-by. `changed` says whether the non-reserved labels differ from the slice's.
 */
export function sliceLabels(slice: EndpointSlice | undefined, svc: Service, controllerName: string): { labels: Record<string, string>; changed: boolean } {
  const sliceOwn = withoutReserved(slice?.metadata.labels);
  const labels = withoutReserved(svc.metadata.labels);
  const changed = !sameMap(sliceOwn, labels);
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
  labels[LABEL_SERVICE_NAME] = svc.metadata.name ?? '';
  labels[LABEL_MANAGED_BY] = controllerName;
  return { labels, changed };
}

export function serviceControllerRef(svc: Service): OwnerReference {
  return { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name ?? '', uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

export function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata.ownerReferences ?? []).some((o) => o.uid === svc.metadata.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

/** `<name>-` when that still fits a DNS subdomain name (253), else the name itself. */
export function slicePrefix(name: string): string {
  return name.length + 1 <= 253 ? `${name}-` : name;
}

function newSlice(svc: Service, ports: EndpointPort[], addressType: AddressType, controllerName: string): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: slicePrefix(svc.metadata.name ?? ''),
      namespace: svc.metadata.namespace,
      labels: sliceLabels(undefined, svc, controllerName).labels,
      ownerReferences: [serviceControllerRef(svc)],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

const endpointsOf = (s: EndpointSlice): Endpoint[] => s.endpoints ?? [];

/** The unchanged slice that comes closest to full with `n` more endpoints (upstream's getSliceToFill). */
function sliceToFill(slices: EndpointSlice[], n: number, max: number): EndpointSlice | undefined {
  let closestDiff = max;
  let closest: EndpointSlice | undefined;
  for (const s of slices) {
    const diff = max - (n + endpointsOf(s).length);
    if (diff >= 0 && diff < closestDiff) {
      closestDiff = diff;
      closest = s;
      if (diff === 0) break;
    }
  }
  return closest;
}

interface PortMapPlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
  unchanged: EndpointSlice[];
}

function reconcileByPortMapping(
  svc: Service,
  existing: readonly EndpointSlice[],
  desired: EndpointSet,
  ports: EndpointPort[],
  addressType: AddressType,
  max: number,
  controllerName: string,
): PortMapPlan {
  const byName = new Map<string, EndpointSlice>();
  const unchanged = new Set<string>();
  const toUpdate = new Set<string>();
  const toDelete = new Set<string>();

  // 1. Drop endpoints no longer desired from existing slices; take the desired version of the others.
  for (const slice of existing) {
    const name = slice.metadata.name ?? '';
    byName.set(name, slice);
    const kept: Endpoint[] = [];
    let changed = false;
    for (const ep of endpointsOf(slice)) {
      const want = desired.get(ep);
      if (!want) continue;
      kept.push(want);
      if (!endpointsEqualBeyondHash(want, ep)) changed = true;
      desired.delete(ep);
    }
    const { labels, changed: labelsChanged } = sliceLabels(slice, svc, controllerName);
    if (changed || kept.length !== endpointsOf(slice).length) {
      if (kept.length === 0) toDelete.add(name);
      else {
        byName.set(name, { ...slice, metadata: { ...slice.metadata, labels }, endpoints: kept });
        toUpdate.add(name);
      }
    } else if (labelsChanged) {
      byName.set(name, { ...slice, metadata: { ...slice.metadata, labels } });
      toUpdate.add(name);
    } else {
      unchanged.add(name);
    }
  }

  // 2. Fill the slices being updated anyway, fullest first.
  if (desired.size > 0 && toUpdate.size > 0) {
    const slices = [...toUpdate].map((n) => byName.get(n)!).sort((a, b) => endpointsOf(b).length - endpointsOf(a).length);
    for (const s of slices) {
      const eps = [...endpointsOf(s)];
      while (desired.size > 0 && eps.length < max) eps.push(desired.pop()!);
      byName.set(s.metadata.name ?? '', { ...s, endpoints: eps });
    }
  }

  // 3. Leftovers: into the unchanged slice closest to full when they fit in one, else into new slices.
  const create: EndpointSlice[] = [];
  while (desired.size > 0) {
    let target: EndpointSlice | undefined;
    if (desired.size < max && unchanged.size > 0) {
      target = sliceToFill([...unchanged].map((n) => byName.get(n)!), desired.size, max);
    }
    const fresh = !target;
    const eps = fresh ? [] : [...endpointsOf(target!)];
    while (desired.size > 0 && eps.length < max) eps.push(desired.pop()!);
    if (fresh) {
      create.push({ ...newSlice(svc, ports, addressType, controllerName), endpoints: eps });
    } else {
      const name = target!.metadata.name ?? '';
      byName.set(name, { ...target!, endpoints: eps });
      toUpdate.add(name);
      unchanged.delete(name);
    }
  }

  return {
    create,
    update: [...toUpdate].map((n) => byName.get(n)!),
    delete: [...toDelete].map((n) => byName.get(n)!),
    unchanged: [...unchanged].map((n) => byName.get(n)!),
  };
}

/** Is `slice` the placeholder this service would get (same namespace, labels, owner, type, no ports/endpoints)? */
function isPlaceholder(slice: EndpointSlice, placeholder: EndpointSlice): boolean {
  if (slice.metadata.namespace !== placeholder.metadata.namespace) return false;
  if (!sameMap(slice.metadata.labels ?? {}, placeholder.metadata.labels ?? {})) return false;
  const a = slice.metadata.ownerReferences ?? [];
  const b = placeholder.metadata.ownerReferences ?? [];
  if (a.length !== b.length || a.some((o, i) => JSON.stringify(o) !== JSON.stringify(b[i]))) return false;
  return slice.addressType === placeholder.addressType && endpointsOf(slice).length === 0 && (slice.ports ?? []).length === 0;
}

const hasHints = (s: EndpointSlice): boolean => endpointsOf(s).some((e) => e.hints !== undefined);
const stripHints = (s: EndpointSlice): EndpointSlice => ({
  ...s,
  endpoints: endpointsOf(s).map((e) => {
    if (e.hints === undefined) return e;
    const { hints: _drop, ...rest } = e;
    return rest;
  }),
});

interface PodView {
  svc: Service;
  node: Node | undefined;
  addressType: AddressType;
  ports: EndpointPort[];
  key: string;
  ep: Endpoint;
}

/**
 * A pod's ports, port-set key and endpoint for one service, node and address type. Informer objects are replaced,
 * never mutated, on change, so the result is kept per pod object while the service and node objects are the same:
 * a sync over 10,000 pods where one changed rebuilds one endpoint.
 */
const podViews = new WeakMap<Pod, PodView[]>();
function podView(pod: Pod, node: Node | undefined, svc: Service, addressType: AddressType): PodView {
  let views = podViews.get(pod);
  const hit = views?.find((v) => v.svc === svc && v.node === node && v.addressType === addressType);
  if (hit) return hit;
  const ports = endpointPorts(svc, pod);
  const view: PodView = { svc, node, addressType, ports, key: portMapKey(ports), ep: podToEndpoint(pod, node, svc, addressType) };
  // A pod is selected by a few services at most; keep the newest views.
  views = [view, ...(views ?? []).filter((v) => v.svc.metadata.uid !== svc.metadata.uid || v.addressType !== addressType)].slice(0, 8);
  podViews.set(pod, views);
  return view;
}

function reconcileByAddressType(input: ReconcileInput, existing: readonly EndpointSlice[], addressType: AddressType, errors: string[]): ReconcilePlan {
  const { service: svc, maxEndpointsPerSlice: max } = input;
  const controllerName = input.controllerName ?? ENDPOINTSLICE_CONTROLLER_NAME;
  let del: EndpointSlice[] = [];
  const existingByPortMap = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    if (!ownedBy(s, svc)) {
      del.push(s);
      continue;
    }
    const k = portMapKey(s.ports);
    const list = existingByPortMap.get(k);
    if (list) list.push(s);
    else existingByPortMap.set(k, [s]);
  }

  const desiredByPortMap = new Map<string, { ports: EndpointPort[]; set: EndpointSet }>();
  for (const pod of input.pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const nodeName = pod.spec?.nodeName ?? '';
    const node = input.node(nodeName);
    const { ports, key: k, ep } = podView(pod, node, svc, addressType);
    let d = desiredByPortMap.get(k);
    if (!d) desiredByPortMap.set(k, (d = { ports, set: new EndpointSet() }));
    if (!node && svc.spec?.publishNotReadyAddresses !== true) {
      // Retried later; the slice is written without the pod meanwhile (a pod bound to a missing node must not
      // hold the service's slices back).
      errors.push(`skipping Pod ${pod.metadata.name} for Service ${svc.metadata.namespace}/${svc.metadata.name}: Node ${nodeName} Not Found`);
      continue;
    }
    if (ep.addresses.length > 0) d.set.insert(ep);
  }

  let create: EndpointSlice[] = [];
  let update: EndpointSlice[] = [];
  let unchanged: EndpointSlice[] = [];
  for (const [k, d] of desiredByPortMap) {
    const p = reconcileByPortMapping(svc, existingByPortMap.get(k) ?? [], d.set, d.ports, addressType, max, controllerName);
    create.push(...p.create);
    update.push(...p.update);
    del.push(...p.delete);
    unchanged.push(...p.unchanged);
  }
  for (const [k, slices] of existingByPortMap) if (!desiredByPortMap.has(k)) del.push(...slices);

  // No endpoints at all: keep (or make) one empty placeholder slice.
  if (existing.length === del.length && create.length === 0) {
    const placeholder = newSlice(svc, [], addressType, controllerName);
    if (del.length === 1 && isPlaceholder(del[0]!, placeholder)) {
      unchanged.push(del[0]!);
      del = [];
    } else {
      create.push(placeholder);
    }
  }

  // Hints are off: slices carrying them lose them.
  create = create.map((s) => (hasHints(s) ? stripHints(s) : s));
  update = update.map((s) => (hasHints(s) ? stripHints(s) : s));
  for (const s of unchanged) if (hasHints(s)) update.push(stripHints(s));
  unchanged = [];

  // A create paired with a delete of an owned slice of the same type becomes an update of that slice.
  for (let i = 0; i < del.length && create.length > 0; ) {
    const victim = del[i]!;
    const fresh = create[create.length - 1]!;
    if (victim.addressType === fresh.addressType && ownedBy(victim, svc)) {
      const { generateName: _g, ...meta } = fresh.metadata;
      update.push({ ...fresh, metadata: { ...victim.metadata, ...meta, name: victim.metadata.name, resourceVersion: victim.metadata.resourceVersion, annotations: victim.metadata.annotations } });
      create.pop();
      del.splice(i, 1);
    } else {
      i++;
    }
  }
  return { create, update, delete: del, errors: [] };
}

function withTriggerTime(slice: EndpointSlice, triggerTime: string | undefined): EndpointSlice {
  const annotations = { ...(slice.metadata.annotations ?? {}) };
  if (triggerTime) annotations[ANNOTATION_LAST_CHANGE_TRIGGER_TIME] = triggerTime;
  else delete annotations[ANNOTATION_LAST_CHANGE_TRIGGER_TIME];
  return { ...slice, metadata: { ...slice.metadata, annotations } };
}

/** The whole plan for one Service. */
export function reconcileSlices(input: ReconcileInput): ReconcilePlan {
  const types = addressTypesForService(input.service);
  const errors: string[] = [];
  const plan: ReconcilePlan = { create: [], update: [], delete: [], errors };
  const byType = new Map<AddressType, EndpointSlice[]>();
  for (const s of input.existingSlices) {
    if (!types.includes(s.addressType)) {
      plan.delete.push(s);
      continue;
    }
    const list = byType.get(s.addressType);
    if (list) list.push(s);
    else byType.set(s.addressType, [s]);
  }
  for (const t of types) {
    const p = reconcileByAddressType(input, byType.get(t) ?? [], t, errors);
    plan.create.push(...p.create);
    plan.update.push(...p.update);
    plan.delete.push(...p.delete);
  }
  // No new slices for a Service being deleted: the garbage collector is removing them.
  if (input.service.metadata.deletionTimestamp) plan.create = [];
  plan.create = plan.create.map((s) => withTriggerTime(s, input.triggerTime));
  plan.update = plan.update.map((s) => withTriggerTime(s, input.triggerTime));
  return plan;
}
