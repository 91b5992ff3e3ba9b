/**
 * The CSR approving controller (upstream's csrapproving, approver/sarapprove.go): a kubelet client request
 * (signer kubernetes.io/kube-apiserver-client-kubelet, O=system:nodes, CN=system:node:<name>, no SANs, the client
 * usages) is approved when its requester may `create` certificatesigningrequests/selfnodeclient (a node renewing
 * its own certificate: spec.username is the CN) or certificatesigningrequests/nodeclient (a bootstrapper), as a
 * SubjectAccessReview for spec.username/uid/groups/extra answers. Anything else waits for a person.
 */
import { ApiError, type RestClient } from '../../client/rest.js';
import { CertificateSigningRequests } from '../../client/resources.js';
import { parseCertificateRequest, type CertificateRequestInfo } from '../pki/certificate-request.js';
import type { ControllerContext } from './context.js';
import { enqueueOnChange, runWorkers, type Controller, type ControllerDescriptor } from './controller.js';
import { isApproved, isDenied, isIssued, withCondition, type CertificateSigningRequest } from './csr-conditions.js';
import { rfc3339 } from '../../client/time.js';
import { KUBELET_CLIENT_SIGNER, kubeletClientError } from './csr-signer-rules.js';

export type ApprovalPermission = 'selfnodeclient' | 'nodeclient';

export interface Recognizer {
  permission: ApprovalPermission;
  recognize(csr: CertificateSigningRequest, req: CertificateRequestInfo): boolean;
  message: string;
}

const isNodeClient = (csr: CertificateSigningRequest, req: CertificateRequestInfo): boolean =>
  csr.spec?.signerName === KUBELET_CLIENT_SIGNER && kubeletClientError(req, csr.spec?.usages ?? []) === null;

/** In upstream's order: the node's own renewal first, then a bootstrapper's request. */
export const RECOGNIZERS: readonly Recognizer[] = [
  {
    permission: 'selfnodeclient',
    recognize: (csr, req) => csr.spec?.username === req.commonName && isNodeClient(csr, req),
    message: 'Auto approving self kubelet client certificate after SubjectAccessReview.',
  },
  {
    permission: 'nodeclient',
    recognize: isNodeClient,
    message: 'Auto approving kubelet client certificate after SubjectAccessReview.',
  },
];

/** May the requester of `csr` create certificatesigningrequests/<permission>? */
export type AccessCheck = (csr: CertificateSigningRequest, permission: ApprovalPermission) => Promise<boolean>;

/**
 * Before authorization.k8s.io is served, upstream's default policy in plain code: the bootstrap policy grants
 * nodeclient to bootstrap tokens (kubeadm binds system:bootstrappers:kubeadm:default-node-token; any
 * system:bootstrappers member here) and selfnodeclient to system:nodes.
 */
export function defaultPolicyAllows(csr: CertificateSigningRequest, permission: ApprovalPermission): boolean {
  const groups = csr.spec?.groups ?? [];
  return permission === 'nodeclient' ? groups.includes('system:bootstrappers') : groups.includes('system:nodes');
}

/**
 * A SubjectAccessReview through the API, as upstream. While the server does not serve authorization.k8s.io
 * (404), the default policy above answers instead.
 * TODO(issue 11): drop the fallback once RBAC and SubjectAccessReview are served by every skiff server.
 */
export function subjectAccessReviewCheck(client: RestClient): AccessCheck {
  return async (csr, permission) => {
    const spec = csr.spec ?? {};
    const review = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: spec.username,
        ...(spec.uid ? { uid: spec.uid } : {}),
        groups: spec.groups ?? [],
        ...(spec.extra ? { extra: spec.extra } : {}),
        resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', verb: 'create', subresource: permission },
      },
    };
    try {
      const r = await client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', review);
      return r.status?.allowed === true;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return defaultPolicyAllows(csr, permission);
      throw err;
    }
  };
}

export type ApprovalDecision = { op: 'none' } | { op: 'approve'; message: string } | { op: 'unauthorized'; tried: ApprovalPermission[] };

/** What to do with one request, given the access check. */
export async function approvalDecision(csr: CertificateSigningRequest, check: AccessCheck): Promise<ApprovalDecision> {
  if (isIssued(csr) || isApproved(csr) || isDenied(csr)) return { op: 'none' };
  let req: CertificateRequestInfo;
  try {
    req = parseCertificateRequest(Buffer.from(csr.spec?.request ?? '', 'base64'));
  } catch (err) {
    throw new Error(`unable to parse csr "${csr.metadata?.name}": ${(err as Error).message}`);
  }
  const tried: ApprovalPermission[] = [];
  for (const r of RECOGNIZERS) {
    if (!r.recognize(csr, req)) continue;
    tried.push(r.permission);
    if (await check(csr, r.permission)) return { op: 'approve', message: r.message };
  }
  return tried.length ? { op: 'unauthorized', tried } : { op: 'none' };
}

export function newCSRApprovingController(ctx: ControllerContext, check: AccessCheck = subjectAccessReviewCheck(ctx.client)): Controller {
  const name = 'csrapproving';
  const queue = ctx.queue(name);
  const informer = ctx.informers.forResource<CertificateSigningRequest>(CertificateSigningRequests);
  informer.addEventHandler(enqueueOnChange(queue));

  const sync = async (key: string): Promise<void> => {
    const csr = informer.lister.get(undefined, key);
    if (!csr) return;
    const d = await approvalDecision(csr, check);
    // Upstream's IgnorableError: not retried; a later change to the request (or a resync) looks again.
    if (d.op !== 'approve') return;
    const next = withCondition(csr, { type: 'Approved', status: 'True', reason: 'AutoApproved', message: d.message, lastUpdateTime: rfc3339(ctx.clock.now()) });
    await ctx.client.update(CertificateSigningRequests, next, { subresource: 'approval' });
  };

  return { name, run: (signal) => runWorkers(ctx, name, queue, [informer], sync, signal) };
}

export const csrApprovingController: ControllerDescriptor = {
  name: 'csrapproving',
  enabledByDefault: true,
  create: (ctx) => newCSRApprovingController(ctx),
};
