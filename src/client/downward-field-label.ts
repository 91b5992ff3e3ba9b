/**
 * The downward API's field labels, as upstream's API server validates them and its kubelet resolves them (one
 * definition for both here): `metadata.labels['k']`-style subscripts, and the v1 labels a fieldRef may carry.
 */

/** `metadata.labels['k']` → ['metadata.labels', 'k']; anything else → undefined. */
export function splitSubscriptedPath(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const at = s.indexOf("['");
  if (at <= 0) return undefined;
  return [s.slice(0, at), s.slice(at + 2)];
}

const CONVERTIBLE = new Set([
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName',
  'spec.restartPolicy', 'spec.serviceAccountName', 'spec.schedulerName', 'status.phase', 'status.hostIP',
  'status.hostIPs', 'status.podIP', 'status.podIPs',
]);

/**
 * podshelper.ConvertDownwardAPIFieldLabel: which labels a v1 fieldRef may carry (spec.host is the old spec.nodeName);
 * throws upstream's error for any other.
 */
export function convertDownwardAPIFieldLabel(apiVersion: string, label: string): string {
  if (apiVersion !== 'v1') throw new Error(`unsupported pod version: ${apiVersion}`);
  const sub = splitSubscriptedPath(label);
  if (sub) {
    if (sub[0] === 'metadata.annotations' || sub[0] === 'metadata.labels') return label;
    throw new Error(`field label does not support subscript: ${label}`);
  }
  if (CONVERTIBLE.has(label)) return label;
  if (label === 'spec.host') return 'spec.nodeName';
  throw new Error(`field label not supported: ${label}`);
}
