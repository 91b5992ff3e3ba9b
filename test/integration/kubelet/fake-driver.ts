/**
 * A tiny PodDriver for the agent's tests: a bound pod goes Running at once (podIP from a counter); a pod with
 * a deletionTimestamp stops after `stopMs` (a wakeAt), then asks to be removed.
 */
import type { NodeContext, NodeUsage, Pod, PodDriver, PodDriverFactory, SyncResult } from '../../../src/dataplane/kubelet/types.js';

export interface FakeDriverLog {
  contexts: NodeContext[];
  forgotten: string[];
  syncs: number;
}

export function fakeDriverFactory(log: FakeDriverLog = { contexts: [], forgotten: [], syncs: 0 }, stopMs = 100): PodDriverFactory {
  let ipSeq = 1;
  return (initial: NodeContext): PodDriver => {
    let ctx = initial;
    log.contexts.push(ctx);
    const phase = new Map<string, string>();
    const stopAt = new Map<string, number>();
    return {
      sync(pod: Pod, now: number): SyncResult {
        log.syncs++;
        const uid = pod.metadata!.uid!;
        if (pod.metadata?.deletionTimestamp) {
          const at = stopAt.get(uid) ?? now + stopMs;
          stopAt.set(uid, at);
          return now >= at ? { status: null, wakeAt: null, remove: true } : { status: null, wakeAt: at, remove: false };
        }
        if (phase.get(uid) === 'Running') return { status: null, wakeAt: null, remove: false };
        phase.set(uid, 'Running');
        const ip = `10.0.${Math.floor(ipSeq / 250)}.${(ipSeq++ % 250) + 1}`;
        return {
          status: {
            phase: 'Running',
            hostIP: ctx.hostIP,
            podIP: ip,
            podIPs: [{ ip }],
            conditions: [{ type: 'Ready', status: 'True' }],
            startTime: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'),
          },
          wakeAt: null,
          remove: false,
        };
      },
      forget(uid: string) {
        log.forgotten.push(uid);
        phase.delete(uid);
        stopAt.delete(uid);
      },
      setContext(c: NodeContext) {
        ctx = c;
        log.contexts.push(c);
      },
      usage(now: number): NodeUsage {
        return { nodeName: ctx.nodeName, timestamp: now, windowSeconds: 10, cpuNanoCores: 0, memoryBytes: 0, pods: [] };
      },
    };
  };
}
