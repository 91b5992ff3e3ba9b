/**
 * The downward API's selectors as upstream validates them, for env vars (valueFrom) and downwardAPI volume files
 * alike: a fieldRef names one of the pod fields its consumer may read (labels and annotations by key), a
 * resourceFieldRef one of the container's cpu, memory, ephemeral-storage or hugepages limits or requests, with a
 * divisor that fits the resource.
 */
import type { FieldError } from '../../resource.js';
import { invalid, notSupported, required } from '../../validation/errors.js';
import { isQualifiedName } from '../../validation/labels.js';
import { convertDownwardAPIFieldLabel, splitSubscriptedPath } from '../../../../client/downward-field-label.js';
import { quantityString, toExactQuantity } from '../../validation/quantity-canonical.js';

/** What an env var's fieldRef may read (sorted: upstream lists them so in its message). */
export const ENV_FIELD_PATHS: readonly string[] = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
];

/** What a downwardAPI volume file's fieldRef may read (sorted). */
export const VOLUME_FIELD_PATHS: readonly string[] = [
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid',
];

const RESOURCE_FIELDS: readonly string[] = [
  'limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory',
];
const HUGEPAGES_PREFIXES = ['requests.hugepages-', 'limits.hugepages-'];

const BYTE_DIVISORS = new Set(['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei']);
const BYTE_DIVISORS_TEXT = [...BYTE_DIVISORS].join(', ');

/** Upstream's validateObjectFieldSelector: `expressions` are the paths this consumer may read without a key. */
export function validateFieldRef(ref: Record<string, unknown>, expressions: readonly string[], field: string, errs: FieldError[]): void {
  const apiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
  const fieldPath = typeof ref.fieldPath === 'string' ? ref.fieldPath : '';
  if (apiVersion === '') return void errs.push(required(`${field}.apiVersion`, ''));
  if (fieldPath === '') return void errs.push(required(`${field}.fieldPath`, ''));
  let converted: string;
  try {
    converted = convertDownwardAPIFieldLabel(apiVersion, fieldPath);
  } catch (err) {
    return void errs.push(invalid(`${field}.fieldPath`, fieldPath, `error converting fieldPath: ${(err as Error).message}`));
  }
  const sub = splitSubscriptedPath(converted);
  if (sub) {
    // Annotation keys are matched case-insensitively, so upstream checks the lower-cased key.
    const key = sub[0] === 'metadata.annotations' ? sub[1].toLowerCase() : sub[1];
    for (const msg of isQualifiedName(key)) errs.push(invalid(field, key, msg));
  } else if (!expressions.includes(converted)) {
    errs.push(notSupported(`${field}.fieldPath`, converted, expressions));
  }
}

/**
 * Upstream's validateContainerResourceFieldSelector: a volume file must name its container (an env var reads its
 * own); the resource is one of the known ones or a hugepages size; the divisor fits the resource.
 */
export function validateResourceFieldRef(ref: Record<string, unknown>, field: string, volume: boolean, errs: FieldError[]): void {
  const resource = typeof ref.resource === 'string' ? ref.resource : '';
  if (volume && (typeof ref.containerName !== 'string' || ref.containerName === '')) {
    errs.push(required(`${field}.containerName`, ''));
  } else if (resource === '') {
    errs.push(required(`${field}.resource`, ''));
  } else if (!RESOURCE_FIELDS.includes(resource) && !HUGEPAGES_PREFIXES.some((p) => resource.startsWith(p))) {
    errs.push(notSupported(`${field}.resource`, resource, RESOURCE_FIELDS));
  }
  validateDivisor(resource, ref.divisor, `${field}.divisor`, errs);
}

function validateDivisor(resource: string, divisor: unknown, field: string, errs: FieldError[]): void {
  if (divisor === undefined || divisor === null) return;
  const q = toExactQuantity(divisor);
  // An unparsable quantity is the type check's to report; a zero divisor counts as unset, as upstream's does.
  if (q === null || q.digits === 0n) return;
  const text = quantityString(divisor)!;
  const onlyBytes = (what: string): void => {
    if (!BYTE_DIVISORS.has(text)) errs.push(invalid(field, resource, `only divisor's values ${BYTE_DIVISORS_TEXT} are supported with the ${what}`));
  };
  if (resource === 'limits.cpu' || resource === 'requests.cpu') {
    if (text !== '1m' && text !== '1') errs.push(invalid(field, resource, "only divisor's values 1m and 1 are supported with the cpu resource"));
  } else if (resource === 'limits.memory' || resource === 'requests.memory') {
    onlyBytes('memory resource');
  } else if (resource === 'limits.ephemeral-storage' || resource === 'requests.ephemeral-storage') {
    onlyBytes('local ephemeral storage resource');
  }
  if (HUGEPAGES_PREFIXES.some((p) => resource.startsWith(p))) onlyBytes('hugepages resource');
}
