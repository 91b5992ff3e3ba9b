/**
 * The CSR signing controller (upstream's csrsigning, kube-controller-manager's --cluster-signing-cert-file and
 * --cluster-signing-key-file): approved CertificateSigningRequests for kubernetes.io/kube-apiserver-client,
 * kube-apiserver-client-kubelet and kubelet-serving get a certificate from the cluster CA in status.certificate,
 * or, when the request breaks the signer's rules, a Failed condition (SignerValidationFailure) and no retry.
 * Requests not approved, denied, failed, already issued or for other signers are left alone. Keys are CSR names.
 */
import { readFileSync } from 'node:fs';
import { CertificateSigningRequests } from '../../client/resources.js';
import { parseClusterCA, type ClusterCA } from '../pki/ca.js';
import { parseCertificateRequest } from '../pki/certificate-request.js';
import { signCertificateRequest } from '../pki/sign-request.js';
import type { ControllerContext } from './context.js';
import { enqueueOnChange, runWorkers, type Controller, type ControllerDescriptor } from './controller.js';
import { isApproved, isFailed, isIssued, withCondition, type CertificateSigningRequest } from './csr-conditions.js';
import { rfc3339 } from '../../client/time.js';
import { DEFAULT_SIGNING_DURATION_MS, signerRuleError, signingDurationMs } from './csr-signer-rules.js';

export type SigningDecision =
  | { op: 'none' }
  | { op: 'fail'; message: string }
  | { op: 'sign'; certificate: string };

/** What to do with one request (pure but for the signature itself). */
export function signingDecision(csr: CertificateSigningRequest, ca: ClusterCA, maxDurationMs: number, now: Date): SigningDecision {
  if (!isApproved(csr) || isFailed(csr) || isIssued(csr)) return { op: 'none' };
  const signerName = csr.spec?.signerName ?? '';
  const usages = csr.spec?.usages ?? [];
  // Parsed before the signer is known to be ours only to keep one code path: other signers get 'none' below.
  let req;
  try {
    req = parseCertificateRequest(Buffer.from(csr.spec?.request ?? '', 'base64'));
  } catch (err) {
    // The API validated the request at create: this is not expected, and not a signer rule either.
    throw new Error(`unable to parse csr "${csr.metadata?.name}": ${(err as Error).message}`);
  }
  const why = signerRuleError(signerName, req, usages);
  if (why === undefined) return { op: 'none' };
  if (why !== null) return { op: 'fail', message: why };
  const certificate = signCertificateRequest(ca, req, { usages, ttlMs: signingDurationMs(csr.spec?.expirationSeconds, maxDurationMs), now });
  return { op: 'sign', certificate };
}

/** The signing CA from the controller options' files; undefined (and why) when not configured or unreadable. */
export function loadSigningCA(certFile: string | undefined, keyFile: string | undefined): { ca: ClusterCA } | { error: string } {
  if (!certFile || !keyFile) return { error: 'no signing CA (--cluster-signing-cert-file and --cluster-signing-key-file): certificate signing requests are not signed' };
  try {
    return { ca: parseClusterCA(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'), 'cluster signing CA') };
  } catch (err) {
    return { error: `cluster signing CA ${certFile}, ${keyFile}: ${(err as Error).message}` };
  }
}

export function newCSRSigningController(ctx: ControllerContext): Controller {
  const name = 'csrsigning';
  const queue = ctx.queue(name);
  const informer = ctx.informers.forResource<CertificateSigningRequest>(CertificateSigningRequests);
  informer.addEventHandler(enqueueOnChange(queue));
  const loaded = loadSigningCA(ctx.options.clusterSigningCertFile, ctx.options.clusterSigningKeyFile);
  const maxMs = ctx.options.clusterSigningDurationMs ?? DEFAULT_SIGNING_DURATION_MS;

  const sync = async (key: string): Promise<void> => {
    if (!('ca' in loaded)) return;
    const csr = informer.lister.get(undefined, key);
    if (!csr) return;
    const now = ctx.clock.now();
    const d = signingDecision(csr, loaded.ca, maxMs, new Date(now));
    if (d.op === 'none') return;
    const next =
      d.op === 'fail'
        ? withCondition(csr, { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: d.message, lastUpdateTime: rfc3339(now) })
        : { ...structuredClone(csr), status: { ...csr.status, certificate: Buffer.from(d.certificate).toString('base64') } };
    await ctx.client.update(CertificateSigningRequests, next, { subresource: 'status' });
  };

  return {
    name,
    async run(signal) {
      if ('error' in loaded) {
        ctx.onError(new Error(loaded.error), name);
        return;
      }
      await runWorkers(ctx, name, queue, [informer], sync, signal);
    },
  };
}

export const csrSigningController: ControllerDescriptor = {
  name: 'csrsigning',
  enabledByDefault: true,
  create: (ctx) => newCSRSigningController(ctx),
};
