/**
 * Reading a CertificateSigningRequest's state as upstream's certificates helpers do: approved or denied, failed,
 * already issued; and the spec fields the signer and approver use.
 */
import type { KubeObject } from '../../client/types.js';

export interface CSRCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface CertificateSigningRequest extends KubeObject {
  spec?: {
    request?: string;
    signerName?: string;
    usages?: string[];
    expirationSeconds?: number;
    username?: string;
    uid?: string;
    groups?: string[];
    extra?: Record<string, string[]>;
  };
  status?: { conditions?: CSRCondition[]; certificate?: string };
}

const hasTrue = (csr: CertificateSigningRequest, type: string): boolean => (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

/** Approved and not denied (upstream's IsCertificateRequestApproved). */
export const isApproved = (csr: CertificateSigningRequest): boolean => hasTrue(csr, 'Approved') && !hasTrue(csr, 'Denied');
export const isDenied = (csr: CertificateSigningRequest): boolean => hasTrue(csr, 'Denied');
export const isFailed = (csr: CertificateSigningRequest): boolean => hasTrue(csr, 'Failed');
export const isIssued = (csr: CertificateSigningRequest): boolean => (csr.status?.certificate ?? '') !== '';

/** A copy of `csr` with `condition` appended (the cached object stays as it is). */
export function withCondition(csr: CertificateSigningRequest, condition: CSRCondition): CertificateSigningRequest {
  const copy = structuredClone(csr);
  copy.status = { ...copy.status, conditions: [...(copy.status?.conditions ?? []), condition] };
  return copy;
}
