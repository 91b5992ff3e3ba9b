/**
 * The API server's TLS preferences, as Go's crypto/tls server (kube-apiserver) chooses: AES-128-GCM first where
 * AES has hardware support, then AES-256-GCM, then ChaCha20-Poly1305, decided by the server rather than by the
 * client's order (Node's clients offer AES-256 first; Go's offer AES-128). Nothing is taken out of Node's default
 * list, so every client that connected before (kubectl, client-go, client-node, python's ssl) still does.
 */
import { DEFAULT_CIPHERS } from 'node:tls';

const TLS13_ORDER = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** `defaults` (an OpenSSL cipher string) with the TLS 1.3 suites in Go's order ahead of the rest, unchanged otherwise. */
export function servingCiphers(defaults: string = DEFAULT_CIPHERS): string {
  const all = defaults.split(':').filter(Boolean);
  const tls13 = TLS13_ORDER.filter((c) => all.includes(c));
  return [...tls13, ...all.filter((c) => !TLS13_ORDER.includes(c))].join(':');
}

/** Spread under the caller's own https options (theirs win). */
export const servingTlsOptions = (): { ciphers: string; honorCipherOrder: boolean } => ({ ciphers: servingCiphers(), honorCipherOrder: true });

/**
 * The API server's serving certificate, with client certificates asked for but not required: a request without one
 * still reaches the authenticator (tokens, anonymous), which verifies the ones sent against the cluster CA.
 */
export const servingWithClientCerts = (serving: { keyPem: string; certPem: string }, caPem: string) =>
  ({ key: serving.keyPem, cert: serving.certPem, ca: caPem, requestCert: true, rejectUnauthorized: false });
