/**
 * Renewal while the server runs: every interval, the stored certificates are checked again (renewalReason) and
 * those issued anew are handed to `apply`: the serving certificate is swapped into the listening TLS server
 * (new connections get it; open ones keep theirs), kubeconfigs are rewritten. A check that fails is reported
 * and tried again at the next interval.
 */
import type { SecureContextOptions } from 'node:tls';
import type { ServerCertificates } from './cluster-certs.js';
import type { StoredCert } from './stored.js';

export interface RotationOptions {
  /** Loads or issues the certificates as of now (loadOrIssueServerCertificates with the server's names). */
  check(): Promise<ServerCertificates>;
  /** Told what was issued anew (only called when something was). */
  apply(certs: ServerCertificates, renewed: StoredCert[]): void;
  everyMs: number;
  onError?(err: unknown): void;
}

export interface Rotation {
  /** One check now (also what the timer runs); resolves with what was renewed. */
  checkNow(): Promise<StoredCert[]>;
  stop(): void;
}

export function startCertificateRotation(o: RotationOptions): Rotation {
  let running: Promise<StoredCert[]> | null = null;
  const checkNow = (): Promise<StoredCert[]> =>
    (running ??= (async () => {
      try {
        const certs = await o.check();
        const renewed = [certs.serving, certs.admin, ...Object.values(certs.components)].filter((c) => c.issued !== null);
        if (renewed.length) o.apply(certs, renewed);
        return renewed;
      } catch (err) {
        o.onError?.(err);
        return [];
      } finally {
        running = null;
      }
    })());
  const timer = setInterval(() => void checkNow(), o.everyMs);
  timer.unref();
  return { checkNow, stop: () => clearInterval(timer) };
}

/** Swaps a renewed serving certificate into a listening HTTPS server (or the TLS front), keeping its other TLS settings. */
export function useServingCertificate(server: { setSecureContext(o: SecureContextOptions): void }, serving: StoredCert, caPem: string): void {
  server.setSecureContext({ key: serving.keyPem, cert: serving.certPem, ca: caPem });
}
