/**
 * The downward API's values: pod fields by path (fieldRef) and container resources (resourceFieldRef), as the
 * kubelet computes them for env vars (podFieldSelectorRuntimeValue) and for downwardAPI volume files
 * (fieldpath.ExtractFieldPathAsString, resource.ExtractContainerResourceValue). Pure functions over the pod.
 */
import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { quantityScaled } from '../pod/quantity.js';
import { convertDownwardAPIFieldLabel, splitSubscriptedPath } from '../../../client/downward-field-label.js';

/** What the pod's node and sandbox contribute to status.* field paths. */
export interface PodRuntimeFacts {
  podIPs: string[];
  hostIPs: string[];
}

const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** validation.IsQualifiedName, reduced to whether it holds (the messages are not shown to users here). */
export function isQualifiedName(value: string): boolean {
  const parts = value.split('/');
  let name = value;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) return false;
    name = parts[1]!;
  } else if (parts.length !== 1) {
    return false;
  }
  return name.length > 0 && name.length <= 63 && QUALIFIED_NAME_PART.test(name);
}

/** Go's strconv.Quote for the characters labels and annotations hold. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp >= 0x80 && cp < 0xa0) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** fieldpath.FormatMap: `k="v"` lines sorted by key, no trailing newline. */
export function formatMap(m: Record<string, string> | undefined): string {
  if (!m) return '';
  return Object.keys(m)
    .sort()
    .map((k) => k + '=' + goQuote(m[k]!))
    .join('\n');
}

/** fieldpath.ExtractFieldPathAsString: the metadata paths a downwardAPI volume file may name. */
export function extractFieldPathAsString(pod: Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const sub = splitSubscriptedPath(fieldPath);
  if (sub) {
    const [path, key] = sub;
    if (path === 'metadata.annotations') {
      if (!isQualifiedName(key.toLowerCase())) throw new Error(`invalid key subscript in ${fieldPath}: ${qualifiedNameHint}`);
      return meta.annotations?.[key] ?? '';
    }
    if (path === 'metadata.labels') {
      if (!isQualifiedName(key)) throw new Error(`invalid key subscript in ${fieldPath}: ${qualifiedNameHint}`);
      return meta.labels?.[key] ?? '';
    }
    throw new Error(`fieldPath "${path}" does not support subscript`);
  }
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

const qualifiedNameHint =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** Kubelet.podFieldSelectorRuntimeValue: an env var's fieldRef. */
export function podFieldSelectorRuntimeValue(fs: ObjectFieldSelector, pod: Pod, facts: PodRuntimeFacts): string {
  const path = convertDownwardAPIFieldLabel(fs.apiVersion || 'v1', fs.fieldPath);
  switch (path) {
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      if (facts.hostIPs.length === 0) throw new Error('failed to get node IP: node has no addresses');
      return facts.hostIPs[0]!;
    case 'status.hostIPs':
      if (facts.hostIPs.length === 0) throw new Error('failed to get node IP: node has no addresses');
      return facts.hostIPs.join(',');
    case 'status.podIP':
      return facts.podIPs[0] ?? '';
    case 'status.podIPs':
      return facts.podIPs.join(',');
  }
  return extractFieldPathAsString(pod, path);
}

const LIMITED = ['cpu', 'memory', 'ephemeral-storage'] as const;

/**
 * Kubelet.defaultPodLimitsForDownwardAPI / MergeContainerResourceLimits: a container without a (non-zero) limit
 * for cpu, memory or ephemeral-storage reports the node's allocatable instead.
 */
export function withDefaultLimits(container: Container, allocatable: Record<string, string>): Container {
  const limits: Record<string, string> = { ...(container.resources?.limits ?? {}) };
  for (const r of LIMITED) {
    const have = limits[r];
    if ((have === undefined || quantityScaled(have, 3) === 0) && allocatable[r] !== undefined) limits[r] = allocatable[r]!;
  }
  return { ...container, resources: { ...(container.resources ?? {}), limits } };
}

/** resource.ExtractContainerResourceValue: ceil(value / divisor), cpu compared in millis and the rest in units. */
export function containerResourceValue(fs: ResourceFieldSelector, container: Container): string {
  const divisorText = fs.divisor === undefined || quantityScaled(fs.divisor, 3) === 0 ? '1' : String(fs.divisor);
  const dot = fs.resource.indexOf('.');
  const kind = fs.resource.slice(0, dot);
  const name = fs.resource.slice(dot + 1);
  const list = kind === 'limits' ? container.resources?.limits : kind === 'requests' ? container.resources?.requests : undefined;
  const supported = name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-');
  if (dot < 0 || (kind !== 'limits' && kind !== 'requests') || !supported) {
    throw new Error(`unsupported container resource : ${fs.resource}`);
  }
  const scale = name === 'cpu' ? 3 : 0;
  const value = quantityScaled(list?.[name] ?? '0', scale) ?? 0;
  const divisor = quantityScaled(divisorText, scale) ?? 1;
  return String(Math.ceil(value / divisor));
}

function allContainers(pod: Pod): Container[] {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
}

/**
 * resource.ExtractResourceValueByContainerNameAndNodeAllocatable (downwardAPI volume items) and the env path
 * (containerResourceRuntimeValue): the named container, or `self` when the selector names none.
 */
export function resourceFieldValue(fs: ResourceFieldSelector, pod: Pod, self: Container | undefined, allocatable: Record<string, string>): string {
  let target = self;
  if (fs.containerName) {
    target = allContainers(pod).find((c) => c.name === fs.containerName);
    if (!target) throw new Error(`container ${fs.containerName} not found`);
  }
  if (!target) throw new Error(`container name required for resource ${fs.resource}`);
  return containerResourceValue(fs, withDefaultLimits(target, allocatable));
}
