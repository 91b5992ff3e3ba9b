/**
 * What each kubernetes.io signer the controller manager runs accepts (upstream's signer.go and
 * pkg/apis/certificates helpers), and the certificate lifetime it grants. Pure: a parsed request and
 * spec.usages in, an error message (the Failed condition's) or null out.
 */
import type { CertificateRequestInfo } from '../pki/certificate-request.js';

export const KUBE_APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
export const SIGNERS = [KUBE_APISERVER_CLIENT_SIGNER, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER] as const;

/** Upstream's --cluster-signing-duration default: one year. */
export const DEFAULT_SIGNING_DURATION_MS = 365 * 24 * 3600_000;
/** The least a request's expirationSeconds gets: twice the 5 minute backdate. */
export const MIN_SIGNING_DURATION_MS = 10 * 60_000;

const sameSet = (a: readonly string[], b: ReadonlySet<string>): boolean => a.length === b.size && a.every((x) => b.has(x));
/** Go's %v of a sorted string list. */
const goList = (xs: readonly string[]): string => `[${[...xs].sort().join(' ')}]`;

const KUBELET_CLIENT_USAGES = ['digital signature', 'key encipherment', 'client auth'];
const KUBELET_CLIENT_USAGES_NO_RSA = ['digital signature', 'client auth'];
const KUBELET_SERVING_USAGES = ['digital signature', 'key encipherment', 'server auth'];
const KUBELET_SERVING_USAGES_NO_RSA = ['digital signature', 'server auth'];

const onlySystemNodes = (req: CertificateRequestInfo): boolean => req.organizations.length === 1 && req.organizations[0] === 'system:nodes';

/** upstream's ValidateKubeletClientCSR. */
export function kubeletClientError(req: CertificateRequestInfo, usages: readonly string[]): string | null {
  const set = new Set(usages);
  if (!onlySystemNodes(req)) return 'subject organization is not system:nodes';
  if (req.dnsNames.length) return 'DNS subjectAltNames are not allowed';
  if (req.emailAddresses.length) return 'Email subjectAltNames are not allowed';
  if (req.ipAddresses.length) return 'IP subjectAltNames are not allowed';
  if (req.uris.length) return 'URI subjectAltNames are not allowed';
  if (!req.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  if (!sameSet(KUBELET_CLIENT_USAGES, set) && !sameSet(KUBELET_CLIENT_USAGES_NO_RSA, set)) return `usages did not match ${goList(KUBELET_CLIENT_USAGES)}`;
  return null;
}

/** upstream's ValidateKubeletServingCSR. */
export function kubeletServingError(req: CertificateRequestInfo, usages: readonly string[]): string | null {
  const set = new Set(usages);
  if (!onlySystemNodes(req)) return 'subject organization is not system:nodes';
  if (!req.dnsNames.length && !req.ipAddresses.length) return 'DNS or IP subjectAltName is required';
  if (req.emailAddresses.length) return 'Email subjectAltNames are not allowed';
  if (req.uris.length) return 'URI subjectAltNames are not allowed';
  if (!sameSet(KUBELET_SERVING_USAGES, set) && !sameSet(KUBELET_SERVING_USAGES_NO_RSA, set)) return `usages did not match ${goList(KUBELET_SERVING_USAGES)}`;
  if (!req.commonName.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  return null;
}

/** upstream's validAPIServerClientUsages: client auth required, digital signature and key encipherment allowed. */
export function apiServerClientError(usages: readonly string[]): string | null {
  for (const u of usages) if (u !== 'digital signature' && u !== 'key encipherment' && u !== 'client auth') return `invalid usage for client certificate: ${u}`;
  if (!usages.includes('client auth')) return 'missing required usage for client certificate: client auth';
  return null;
}

/** Why `signerName`'s signer refuses the request (null: it signs), or undefined when it is none of ours. */
export function signerRuleError(signerName: string, req: CertificateRequestInfo, usages: readonly string[]): string | null | undefined {
  switch (signerName) {
    case KUBELET_CLIENT_SIGNER:
      return kubeletClientError(req, usages);
    case KUBELET_SERVING_SIGNER:
      return kubeletServingError(req, usages);
    case KUBE_APISERVER_CLIENT_SIGNER:
      return apiServerClientError(usages);
    default:
      return undefined;
  }
}

/** The lifetime granted: the requested expirationSeconds, at most `maxMs`, at least ten minutes (upstream's duration()). */
export function signingDurationMs(expirationSeconds: number | undefined, maxMs: number): number {
  if (expirationSeconds === undefined) return maxMs;
  const requested = expirationSeconds * 1000;
  if (requested > maxMs) return maxMs;
  if (requested < MIN_SIGNING_DURATION_MS) return MIN_SIGNING_DURATION_MS;
  return requested;
}
