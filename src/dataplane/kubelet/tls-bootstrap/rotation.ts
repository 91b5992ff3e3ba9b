/**
 * The node's client certificate rotation while the agent runs (the kubelet's certificate manager with
 * --rotate-certificates, on by default): every interval the node's kubeconfig is checked as at start-up
 * (loadOrBootstrapNodeKubeconfig): past 80% of its lifetime a new certificate is asked for with the node's own
 * identity (auto-approved by …:selfnodeclient), and an unusable one (expired, wrong node) is bootstrapped again
 * with the bootstrap kubeconfig. The files are replaced in place; the agent's REST client reads them again
 * (RestClient.reloadClientCertificate) and moves to the new certificate without a restart.
 */
import { realClock, type Clock, type TimerHandle } from '../../../client/clock.js';
import { loadOrBootstrapNodeKubeconfig, type TLSBootstrapOptions } from './bootstrap.js';

export interface NodeCertificateRotationOptions extends TLSBootstrapOptions {
  /** How often the certificate is looked at (default 5 minutes). */
  checkEveryMs?: number;
  onError?: (err: unknown) => void;
}

export interface NodeCertificateRotation {
  /** One check now (also what the timer runs): resolves true when a new certificate was written. */
  checkNow(): Promise<boolean>;
  stop(): void;
}

export function startNodeCertificateRotation(o: NodeCertificateRotationOptions): NodeCertificateRotation {
  const clock: Clock = o.clock ?? realClock;
  let running: Promise<boolean> | null = null;
  let stopped = false;
  const checkNow = (): Promise<boolean> =>
    (running ??= (async () => {
      try {
        return (await loadOrBootstrapNodeKubeconfig({ ...o, clock })).bootstrapped;
      } catch (err) {
        o.onError?.(err);
        return false;
      } finally {
        running = null;
      }
    })());
  let timer: TimerHandle | null = null;
  // The next check is armed when one ends: a slow renewal (waiting for approval) never overlaps the next.
  const arm = (): void => {
    if (!stopped) timer = clock.setTimeout(() => void checkNow().finally(arm), o.checkEveryMs ?? 5 * 60_000);
  };
  arm();
  return {
    checkNow,
    stop() {
      stopped = true;
      if (timer) clock.clearTimeout(timer);
    },
  };
}
