/**
 * Kubelet TLS bootstrapping (upstream's kubelet --bootstrap-kubeconfig, pkg/kubelet/certificate/bootstrap): when
 * the node's kubeconfig holds no usable client certificate, the node uses the bootstrap kubeconfig (a bootstrap
 * token) to ask for one: a key is made (kept in <cert-dir> while waiting, so a restart asks again with the same
 * key), a CertificateSigningRequest for signer kubernetes.io/kube-apiserver-client-kubelet with subject
 * O=system:nodes, CN=system:node:<name> is created, and once the controllers approve and sign it the certificate
 * and key are written to <cert-dir> and the node's kubeconfig (server and CA from the bootstrap one) points at them.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { realClock, sleep, type Clock } from '../../../client/clock.js';
import { loadKubeconfig, type ClientConfig } from '../../../client/kubeconfig.js';
import { ApiError, RestClient } from '../../../client/rest.js';
import { CertificateSigningRequests } from '../../../client/resources.js';
import type { KubeObject } from '../../../client/types.js';
import { createCertificateRequest, newNodeKeyPem } from './certificate-request.js';

export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const PENDING_KEY_FILE = 'kubelet-client.key.tmp';
export const CLIENT_CERT_FILE = 'kubelet-client-current.crt';
export const CLIENT_KEY_FILE = 'kubelet-client-current.key';

export interface TLSBootstrapOptions {
  /** The kubeconfig with the bootstrap token (the kubelet's --bootstrap-kubeconfig). */
  bootstrapKubeconfig: string;
  /** The node's own kubeconfig: read when it has a valid client certificate, written after bootstrapping. */
  kubeconfig: string;
  /** Where the key and certificate live (the kubelet's --cert-dir). */
  certDir: string;
  nodeName: string;
  /** How long to wait for the certificate (default 15 minutes). */
  timeoutMs?: number;
  /** How often to look at the request while waiting (default 500 ms). */
  pollMs?: number;
  clock?: Clock;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

interface CSR extends KubeObject {
  status?: { certificate?: string; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

/** Why a kubeconfig's client credentials are not usable for `nodeName` at `now`, or null when they are. */
export function nodeCredentialsProblem(config: ClientConfig, nodeName: string, now: Date): string | null {
  if (config.token) return null;
  if (!config.certData || !config.keyData) return 'no client certificate';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(config.certData);
    if (!cert.checkPrivateKey(createPrivateKey(config.keyData))) return 'the client key does not match the certificate';
  } catch (err) {
    return `unreadable client certificate: ${(err as Error).message}`;
  }
  if (Date.parse(cert.validTo) <= now.getTime()) return `the client certificate expired at ${new Date(cert.validTo).toISOString()}`;
  if (!cert.subject.split('\n').includes(`CN=system:node:${nodeName}`)) return `the client certificate is not system:node:${nodeName}'s`;
  return null;
}

/**
 * Whether a client certificate is due for renewal: past 80% of its lifetime (upstream's certificate manager
 * rotates between 70% and 90%, jittered). Renewal uses the node's own credentials (selfnodeclient).
 */
export function renewalDue(config: ClientConfig, now: Date): boolean {
  if (!config.certData) return false;
  const cert = new X509Certificate(config.certData);
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return now.getTime() >= from + 0.8 * (to - from);
}

/** Where the node's kubeconfig is kept: the one given, else <cert-dir>/kubelet.conf. */
export const nodeKubeconfigPath = (given: string | undefined, certDir: string): string => given ?? join(certDir, 'kubelet.conf');

/** A kubeconfig for the node: server and CA as given, client certificate and key as files. */
export function nodeKubeconfigYaml(server: string, caPem: string | undefined, certFile: string, keyFile: string, insecure?: boolean): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'default-cluster', cluster: { server, ...(caPem ? { 'certificate-authority-data': Buffer.from(caPem).toString('base64') } : insecure ? { 'insecure-skip-tls-verify': true } : {}) } }],
    users: [{ name: 'default-auth', user: { 'client-certificate': certFile, 'client-key': keyFile } }],
    contexts: [{ name: 'default-context', context: { cluster: 'default-cluster', user: 'default-auth', namespace: 'default' } }],
    'current-context': 'default-context',
  });
}

function writeAtomic(path: string, data: string, mode: number): void {
  writeFileSync(`${path}.tmp-${process.pid}`, data, { mode });
  renameSync(`${path}.tmp-${process.pid}`, path);
}

/** Waits for the request's certificate; throws when it is denied, fails, vanishes or the time runs out. */
async function waitForCertificate(client: RestClient, name: string, opts: Required<Pick<TLSBootstrapOptions, 'timeoutMs' | 'pollMs'>> & { clock: Clock }): Promise<string> {
  const end = opts.clock.now() + opts.timeoutMs;
  for (;;) {
    let csr: CSR;
    try {
      csr = await client.get<CSR>(CertificateSigningRequests, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) throw new Error(`certificate signing request ${name} was deleted before it was signed`);
      throw err;
    }
    for (const c of csr.status?.conditions ?? []) {
      if ((c.type === 'Denied' || c.type === 'Failed') && c.status === 'True') {
        throw new Error(`certificate signing request ${name} is ${c.type.toLowerCase()}: ${c.reason ?? ''}${c.message ? `: ${c.message}` : ''}`);
      }
    }
    if (csr.status?.certificate) return Buffer.from(csr.status.certificate, 'base64').toString('utf8');
    if (opts.clock.now() >= end) throw new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for certificate signing request ${name} to be approved and signed`);
    await sleep(opts.clock, opts.pollMs);
  }
}

/**
 * The kubeconfig the node should run with: `opts.kubeconfig` as it is when its credentials are good, otherwise
 * after bootstrapping a client certificate with the bootstrap kubeconfig.
 */
export async function loadOrBootstrapNodeKubeconfig(opts: TLSBootstrapOptions): Promise<{ kubeconfig: string; bootstrapped: boolean }> {
  const clock = opts.clock ?? realClock;
  const log = opts.log ?? (() => {});
  const kubeconfig = resolve(opts.kubeconfig);
  if (existsSync(kubeconfig)) {
    let why: string | null;
    let current: ClientConfig | undefined;
    try {
      current = loadKubeconfig(kubeconfig);
      why = nodeCredentialsProblem(current, opts.nodeName, new Date(clock.now()));
    } catch (err) {
      why = (err as Error).message;
    }
    if (why === null && current && !renewalDue(current, new Date(clock.now()))) return { kubeconfig, bootstrapped: false };
    if (why === null && current) {
      // Renewed with the node's own certificate; the current one stays in use should that fail.
      try {
        await requestClientCertificate(current, kubeconfig, opts, clock, log, newNodeKeyPem());
        return { kubeconfig, bootstrapped: true };
      } catch (err) {
        log('renewing the node client certificate failed; keeping the current one', { error: (err as Error).message });
        return { kubeconfig, bootstrapped: false };
      }
    }
    log('node kubeconfig is not usable, bootstrapping a client certificate', { kubeconfig, why });
  }
  const boot = loadKubeconfig(opts.bootstrapKubeconfig);
  const certDir = resolve(opts.certDir);
  mkdirSync(certDir, { recursive: true, mode: 0o700 });
  // The same key across restarts while a request is pending, as upstream keeps kubelet-client.key.tmp.
  const pendingKey = join(certDir, PENDING_KEY_FILE);
  let keyPem: string;
  if (existsSync(pendingKey)) keyPem = readFileSync(pendingKey, 'utf8');
  else {
    keyPem = newNodeKeyPem();
    writeAtomic(pendingKey, keyPem, 0o600);
  }
  await requestClientCertificate(boot, kubeconfig, opts, clock, log, keyPem);
  rmSync(pendingKey, { force: true });
  return { kubeconfig, bootstrapped: true };
}

/** Asks for a client certificate for `keyPem` as `as` (bootstrap token or the node itself) and writes it and the kubeconfig. */
async function requestClientCertificate(as: ClientConfig, kubeconfig: string, opts: TLSBootstrapOptions, clock: Clock, log: (msg: string, fields?: Record<string, unknown>) => void, keyPem: string): Promise<void> {
  const certDir = resolve(opts.certDir);
  mkdirSync(certDir, { recursive: true, mode: 0o700 });
  const request = createCertificateRequest(keyPem, { commonName: `system:node:${opts.nodeName}`, organizations: ['system:nodes'] });
  const client = new RestClient(as, { userAgent: 'skiff-kubelet-bootstrap' });
  // The clock's timers are unref'd and an idle keep-alive socket holds nothing: without this handle a CLI waiting
  // for its certificate would simply exit.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    const created = await client.create<CSR>(CertificateSigningRequests, {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { generateName: 'csr-' },
      spec: {
        request: Buffer.from(request).toString('base64'),
        signerName: KUBELET_CLIENT_SIGNER,
        // An ECDSA key: no key encipherment (upstream's usages for non-RSA keys).
        usages: ['digital signature', 'client auth'],
      },
    });
    const name = created.metadata?.name ?? '';
    log('waiting for the node client certificate', { csr: name, node: opts.nodeName });
    const certPem = await waitForCertificate(client, name, { timeoutMs: opts.timeoutMs ?? 15 * 60_000, pollMs: opts.pollMs ?? 500, clock });
    const certFile = join(certDir, CLIENT_CERT_FILE);
    const keyFile = join(certDir, CLIENT_KEY_FILE);
    writeAtomic(keyFile, keyPem, 0o600);
    writeAtomic(certFile, certPem, 0o644);
    mkdirSync(dirname(kubeconfig), { recursive: true });
    writeAtomic(kubeconfig, nodeKubeconfigYaml(as.server, as.caData, certFile, keyFile, as.insecureSkipTLSVerify), 0o600);
    log('node client certificate issued', { csr: name, kubeconfig });
  } finally {
    clearInterval(keepAlive);
    client.close();
  }
}
