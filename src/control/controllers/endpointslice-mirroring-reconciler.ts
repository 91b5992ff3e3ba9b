/**
 * EndpointSlice mirroring, as a pure function (upstream's pkg/controller/endpointslicemirroring reconciler):
 * a hand-written Endpoints object of a selectorless Service → EndpointSlices. One slice per (address type, port
 * set), at most maxEndpointsPerSubset addresses each (the rest skipped and reported); a slice that already says
 * the same is left alone, otherwise the first existing slice of its key is rewritten and extra ones deleted, and
 * a create paired with a delete of the same address type becomes an update.
 */
import { isIP } from 'node:net';
import type { OwnerReference } from '../../client/types.js';
import { endpointHash, endpointsEqualBeyondHash, portMapKey } from './endpointslice/pod-endpoint.js';
import { slicePrefix } from './endpointslice/reconciler.js';
import type { AddressType, Endpoint, EndpointAddress, EndpointPort, Endpoints, EndpointSlice } from './endpointslice/types.js';
import {
  ANNOTATION_LAST_APPLIED,
  ANNOTATION_LAST_CHANGE_TRIGGER_TIME,
  ANNOTATION_LEADER,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  LABEL_SKIP_MIRROR,
  MIRRORING_CONTROLLER_NAME,
} from './endpointslice/types.js';

/** --mirroring-max-endpoints-per-subset's default. */
export const DEFAULT_MAX_ENDPOINTS_PER_SUBSET = 1000;

/** Endpoints are mirrored unless labelled skip-mirror=true or used as a leader-election lock. */
export function shouldMirror(ep: Endpoints | undefined): boolean {
  if (!ep) return false;
  if (ep.metadata.labels?.[LABEL_SKIP_MIRROR] === 'true') return false;
  return ep.metadata.annotations?.[ANNOTATION_LEADER] === undefined;
}

export interface MirrorPlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
  /** Addresses that are not IPs. */
  invalid: number;
  /** Addresses not mirrored: invalid ones and those beyond maxEndpointsPerSubset. */
  skipped: number;
}

const keyOf = (addressType: AddressType, ports: EndpointPort[] | null | undefined): string => `${addressType}\u0003${portMapKey(ports)}`;

function addressToEndpoint(a: EndpointAddress, ready: boolean): { ep: Endpoint; type: AddressType } | undefined {
  const family = isIP(a.ip);
  if (family === 0) return undefined;
  const ep: Endpoint = { addresses: [a.ip], conditions: { ready } };
  if (a.targetRef) ep.targetRef = a.targetRef;
  if (a.nodeName) ep.nodeName = a.nodeName;
  if (a.hostname) ep.hostname = a.hostname;
  return { ep, type: family === 6 ? 'IPv6' : 'IPv4' };
}

function sliceLabels(ep: Endpoints): Record<string, string> {
  return { ...(ep.metadata.labels ?? {}), [LABEL_SERVICE_NAME]: ep.metadata.name ?? '', [LABEL_MANAGED_BY]: MIRRORING_CONTROLLER_NAME };
}

function sliceAnnotations(ep: Endpoints): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ep.metadata.annotations ?? {})) {
    if (k !== ANNOTATION_LAST_CHANGE_TRIGGER_TIME && k !== ANNOTATION_LAST_APPLIED) out[k] = v;
  }
  return out;
}

const sameMap = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean => {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b ?? {}).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b ?? {}, k) && a![k] === b![k]);
};

export function endpointsControllerRef(ep: Endpoints): OwnerReference {
  return { apiVersion: 'v1', kind: 'Endpoints', name: ep.metadata.name ?? '', uid: ep.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

function newSlice(ep: Endpoints, ports: EndpointPort[], addressType: AddressType, existing: EndpointSlice | undefined): EndpointSlice {
  const metadata: EndpointSlice['metadata'] = {
    namespace: ep.metadata.namespace,
    labels: sliceLabels(ep),
    annotations: sliceAnnotations(ep),
    ownerReferences: [endpointsControllerRef(ep)],
  };
  if (existing) {
    metadata.name = existing.metadata.name;
    metadata.resourceVersion = existing.metadata.resourceVersion;
  } else {
    metadata.generateName = slicePrefix(ep.metadata.name ?? '');
  }
  return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata, addressType, endpoints: [], ports };
}

/** Whether `slice` already holds exactly `desired` (and the labels and annotations the Endpoints give it). */
function unchanged(slice: EndpointSlice, desired: Map<string, Endpoint>, ep: Endpoints): boolean {
  const eps = slice.endpoints ?? [];
  if (eps.length !== desired.size) return false;
  for (const e of eps) {
    const want = desired.get(endpointHash(e));
    if (!want || !endpointsEqualBeyondHash(want, e)) return false;
  }
  return sameMap(slice.metadata.labels, sliceLabels(ep)) && sameMap(slice.metadata.annotations, sliceAnnotations(ep));
}

export function mirrorEndpoints(ep: Endpoints, existingSlices: readonly EndpointSlice[], maxEndpointsPerSubset = DEFAULT_MAX_ENDPOINTS_PER_SUBSET): MirrorPlan {
  const plan: MirrorPlan = { create: [], update: [], delete: [], invalid: 0, skipped: 0 };
  const desired = new Map<string, { ports: EndpointPort[]; type: AddressType; set: Map<string, Endpoint> }>();
  for (const subset of ep.subsets ?? []) {
    const ports: EndpointPort[] = (subset.ports ?? []).map((p) => {
      const out: EndpointPort = { name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' };
      if (p.appProtocol !== undefined) out.appProtocol = p.appProtocol;
      return out;
    });
    // Both address types get a key, so slices of a family that disappeared are deleted.
    const keys = {} as Record<AddressType, string>;
    for (const t of ['IPv4', 'IPv6'] as const) {
      keys[t] = keyOf(t, ports);
      if (!desired.has(keys[t])) desired.set(keys[t], { ports, type: t, set: new Map() });
    }
    const total = (subset.addresses?.length ?? 0) + (subset.notReadyAddresses?.length ?? 0);
    let added = 0;
    const take = (addrs: EndpointAddress[] | undefined, ready: boolean): void => {
      for (const a of addrs ?? []) {
        if (added >= maxEndpointsPerSubset) return;
        const conv = addressToEndpoint(a, ready);
        if (!conv) {
          plan.invalid++;
          continue;
        }
        desired.get(keys[conv.type])!.set.set(endpointHash(conv.ep), conv.ep);
        added++;
      }
    };
    take(subset.addresses, true);
    take(subset.notReadyAddresses, false);
    plan.skipped += total - added;
  }

  const existingByKey = new Map<string, EndpointSlice[]>();
  for (const s of existingSlices) {
    const k = keyOf(s.addressType, s.ports);
    const list = existingByKey.get(k);
    if (list) list.push(s);
    else existingByKey.set(k, [s]);
  }

  for (const [k, d] of desired) {
    const existing = existingByKey.get(k) ?? [];
    if (d.set.size === 0) {
      plan.delete.push(...existing);
      continue;
    }
    plan.delete.push(...existing.slice(1));
    if (existing[0] && unchanged(existing[0], d.set, ep)) continue;
    const slice = newSlice(ep, d.ports, d.type, existing[0]);
    slice.endpoints = [...d.set.values()].slice(0, maxEndpointsPerSubset);
    (existing[0] ? plan.update : plan.create).push(slice);
  }
  for (const [k, slices] of existingByKey) if (!desired.has(k)) plan.delete.push(...slices);

  // Recycle: per address type, a create and a delete become one update.
  for (const t of ['IPv4', 'IPv6'] as const) {
    for (;;) {
      const ci = plan.create.findIndex((s) => s.addressType === t);
      const di = plan.delete.findIndex((s) => s.addressType === t);
      if (ci < 0 || di < 0) break;
      const [fresh] = plan.create.splice(ci, 1);
      const [victim] = plan.delete.splice(di, 1);
      const { generateName: _g, ...meta } = fresh!.metadata;
      plan.update.push({ ...fresh!, metadata: { ...meta, name: victim!.metadata.name, resourceVersion: victim!.metadata.resourceVersion } });
    }
  }
  // Don't make slices for an Endpoints object on its way out.
  if (ep.metadata.deletionTimestamp) plan.create = [];
  return plan;
}
