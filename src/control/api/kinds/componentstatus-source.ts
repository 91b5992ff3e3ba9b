/**
 * The read path of core/v1 componentstatuses: each component's health, probed on request as upstream's REST
 * does (it calls each server's /healthz), reported as one Healthy condition. Skiff's components answer through
 * probes: the storage answers a revision read, the controller manager holds a live leader lease, the scheduler
 * is asked by whoever runs it in this process. A probe that throws or times out is unhealthy with its error.
 */
import type { ComputedSource, KubeObject } from '../resource.js';
import type { Store } from '../../storage/store.js';
import { notFound } from '../status.js';
import { matchesFields, parseFieldSelector } from '../selectors/field.js';
import { matchesLabels, parseLabelSelector } from '../selectors/label.js';

export interface ComponentHealth {
  healthy: boolean;
  /** What the component said (upstream: the /healthz body, "ok"). */
  message: string;
  /** Why it is unhealthy (upstream: the probe's error). */
  error?: string;
}

export interface ComponentProbe {
  name: string;
  check(): Promise<ComponentHealth>;
}

/** Upstream gives each probe 20 s; a component that has not answered in a few seconds is not healthy either. */
const PROBE_TIMEOUT_MS = 5000;

/** The ComponentStatus object of one probe's result. */
export function componentStatus(name: string, h: ComponentHealth): KubeObject {
  const condition: Record<string, string> = { type: 'Healthy', status: h.healthy ? 'True' : 'False', message: h.message };
  if (h.error) condition['error'] = h.error;
  return { kind: 'ComponentStatus', apiVersion: 'v1', metadata: { name }, conditions: [condition] };
}

async function probe(p: ComponentProbe, timeoutMs: number): Promise<KubeObject> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ComponentHealth>((resolve) => {
    timer = setTimeout(() => resolve({ healthy: false, message: '', error: `no answer within ${timeoutMs / 1000}s` }), timeoutMs);
    timer.unref();
  });
  try {
    const h = await Promise.race([p.check().catch((err: unknown): ComponentHealth => ({ healthy: false, message: '', error: err instanceof Error ? err.message : String(err) })), timeout]);
    return componentStatus(p.name, h);
  } finally {
    clearTimeout(timer);
  }
}

const GR = { group: '', resource: 'componentstatuses' };

/** componentstatuses answered from `probes`, in their order (upstream lists scheduler, controller-manager, etcd-0). */
export function componentStatusSource(probes: () => ComponentProbe[], timeoutMs = PROBE_TIMEOUT_MS): ComputedSource {
  return {
    async get(_ns, name) {
      const p = probes().find((x) => x.name === name);
      if (!p) throw notFound(GR, name);
      return probe(p, timeoutMs);
    },
    async list(_ns, selectors) {
      const labels = parseLabelSelector(selectors.labelSelector);
      const fields = parseFieldSelector(selectors.fieldSelector);
      const objs = await Promise.all(probes().map((p) => probe(p, timeoutMs)));
      return objs.filter((o) => (labels.length === 0 || matchesLabels(labels, o.metadata?.labels)) && (fields.length === 0 || matchesFields(fields, o)));
    },
  };
}

/** The storage's health: it answers a revision read (upstream's etcd-0 asks etcd's /health). */
export function storageProbe(store: Pick<Store, 'currentRevision'>, name = 'etcd-0'): ComponentProbe {
  return {
    name,
    async check() {
      await store.currentRevision();
      return { healthy: true, message: 'ok' };
    },
  };
}

/** Reads a Lease by namespace and name; null when there is none. */
export type LeaseReader = (namespace: string, name: string) => Promise<KubeObject | null>;

/**
 * A leader-elected component's health from its Lease: healthy while a holder renews it within its duration, as
 * the component's own /healthz would answer (it stops serving when it loses the lease).
 */
export function leaseProbe(name: string, leaseName: string, read: LeaseReader, now: () => Date): ComponentProbe {
  return {
    name,
    async check() {
      const lease = await read('kube-system', leaseName);
      const spec = (lease?.['spec'] ?? {}) as { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
      if (!lease || !spec.holderIdentity) return { healthy: false, message: '', error: `no ${leaseName} holds the leader lease kube-system/${leaseName}` };
      const renewed = Date.parse(spec.renewTime ?? '');
      const expires = renewed + (spec.leaseDurationSeconds ?? 0) * 1000;
      if (!Number.isFinite(expires) || expires < now().getTime()) {
        return { healthy: false, message: '', error: `the leader lease kube-system/${leaseName} of ${spec.holderIdentity} was last renewed at ${spec.renewTime ?? '(never)'}` };
      }
      return { healthy: true, message: 'ok' };
    },
  };
}

/** A component this server does not run and cannot see (upstream: the probe's connection error). */
export const absentProbe = (name: string, why: string): ComponentProbe => ({
  name,
  check: async () => ({ healthy: false, message: '', error: why }),
});
