/**
 * The HorizontalPodAutoscaler controller (upstream's pkg/controller/podautoscaler, descriptor
 * `horizontalpodautoscaling`). Every HPA is reconciled once per sync period (--horizontal-pod-autoscaler-sync-period,
 * 15 s): each sync, successful or not, puts its key back after the period, and informer events wait the same
 * (upstream's fixed-interval queue), so an HPA is looked at steadily but never in a tight loop.
 *
 * A sync reads the target's scale subresource, the pods its selector picks (lister) and one PodMetrics list from
 * metrics.k8s.io, lets decide() (reconcile.ts) compute the count, writes the scale when it changes, and writes
 * status only when it differs. Recommendations and scale events live here per HPA, as upstream keeps them in
 * memory: a restarted controller starts a fresh stabilisation window.
 */
import type { SharedInformer } from '../../../client/informer.js';
import { ApiError, isNotFound } from '../../../client/rest.js';
import { HorizontalPodAutoscalers, Pods, type ResourceRef } from '../../../client/resources.js';
import { splitKey, type KubeObject } from '../../../client/types.js';
import { matchesLabels, parseLabelSelector, type LabelSelector } from '../../api/selectors/label.js';
import { deepEqual } from '../../api/validation/errors.js';
import type { ControllerContext } from '../context.js';
import type { Controller, ControllerDescriptor } from '../controller.js';
import type { Pod } from '../shared/pod-util.js';
import { emptyHistory, setCondition, storeScaleEvent, type ScaleHistory } from './normalize.js';
import { decide, type HPAOptions } from './reconcile.js';
import type { PodMetricsObject } from './replica-calculator.js';
import type { HorizontalPodAutoscaler, HPAStatus, MetricStatus, Scale } from './types.js';
import { rfc3339 } from '../../../client/time.js';

const COMPONENT = 'horizontal-pod-autoscaler';
const PodMetricsRef: ResourceRef = { group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods', namespaced: true };

export interface HPAControllerOptions extends HPAOptions {
  syncPeriodMs: number;
}

export function hpaOptions(ctx: ControllerContext): HPAControllerOptions {
  const o = ctx.options;
  return {
    syncPeriodMs: o.horizontalPodAutoscalerSyncPeriodMs ?? 15_000,
    downscaleStabilisationWindowMs: o.horizontalPodAutoscalerDownscaleStabilizationMs ?? 300_000,
    cpuInitializationPeriodMs: o.horizontalPodAutoscalerCPUInitializationPeriodMs ?? 300_000,
    delayOfInitialReadinessStatusMs: o.horizontalPodAutoscalerInitialReadinessDelayMs ?? 30_000,
    tolerance: o.horizontalPodAutoscalerTolerance ?? 0.1,
  };
}

/** Where a scaleTargetRef's scale subresource lives (upstream asks the RESTMapper; these are the kinds served with scale). */
export function scaleTargetResource(ref: { apiVersion?: string; kind: string }): ResourceRef {
  const [group, version] = (ref.apiVersion ?? '').includes('/') ? ref.apiVersion!.split('/') as [string, string] : ['', ref.apiVersion || 'v1'];
  const plural = ref.kind.toLowerCase().endsWith('s') ? `${ref.kind.toLowerCase()}es` : `${ref.kind.toLowerCase()}s`;
  return { group, version, plural, namespaced: true };
}

const errText = (err: unknown): string => (err instanceof ApiError ? (err.status?.message ?? err.message) : err instanceof Error ? err.message : String(err));

export class HorizontalPodAutoscalerController implements Controller {
  readonly name = 'horizontalpodautoscaling';
  private readonly queue;
  private readonly hpas: SharedInformer<HorizontalPodAutoscaler>;
  private readonly pods: SharedInformer<Pod>;
  private readonly history = new Map<string, ScaleHistory>();
  readonly opts: HPAControllerOptions;

  constructor(private readonly ctx: ControllerContext, opts: Partial<HPAControllerOptions> = {}) {
    this.opts = { ...hpaOptions(ctx), ...opts };
    this.queue = ctx.queue('horizontalpodautoscaler');
    this.hpas = ctx.informers.forResource<HorizontalPodAutoscaler>(HorizontalPodAutoscalers);
    this.pods = ctx.informers.forResource<Pod>(Pods);
    const enqueue = (o: KubeObject): void => this.queue.addAfter(keyOf(o), this.opts.syncPeriodMs);
    this.hpas.addEventHandler({
      onAdd: enqueue,
      // Our own status writes come back as updates; only spec changes matter, and those wait the period too.
      onUpdate: (_old, cur) => enqueue(cur),
      onDelete: (o) => {
        this.history.delete(keyOf(o));
        this.queue.forget(keyOf(o));
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    if (signal.aborted) return;
    const synced = await Promise.all([this.hpas.waitForSync(signal), this.pods.waitForSync(signal)]);
    if (!synced.every(Boolean)) return;
    const worker = async (): Promise<void> => {
      for (;;) {
        const key = await this.queue.get();
        if (key === undefined) return;
        try {
          const deleted = await this.sync(key);
          // Every HPA comes back after the sync period, whatever this sync did (upstream's processNextWorkItem).
          if (!deleted) this.queue.addAfter(key, this.opts.syncPeriodMs);
        } catch (err) {
          if (!signal.aborted) {
            this.ctx.onError(err, `${this.name}: syncing ${key}`);
            this.queue.addAfter(key, this.opts.syncPeriodMs);
          }
        } finally {
          this.queue.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.ctx.options.workers) }, worker));
  }

  /** One reconcile; true when the HPA no longer exists. Errors are reported in status and events, and returned. */
  async sync(key: string): Promise<boolean> {
    const { namespace, name } = splitKey(key);
    const cached = this.hpas.lister.get(namespace, name);
    if (!cached) {
      this.history.delete(key);
      return true;
    }
    const hpa: HorizontalPodAutoscaler = structuredClone(cached);
    const spec = hpa.spec;
    if (!spec?.scaleTargetRef) return false;
    const now = this.ctx.clock.now();
    const nowIso = rfc3339(now);
    const original = hpa.status;
    const targetRef = spec.scaleTargetRef;
    const reference = `${targetRef.kind}/${targetRef.name}`;
    const targetResource = scaleTargetResource(targetRef);

    let scale: Scale;
    try {
      scale = await this.ctx.client.get<Scale>(targetResource, targetRef.name, namespace, 'scale');
    } catch (err) {
      const msg = errText(err);
      this.ctx.event(COMPONENT, hpa, 'Warning', 'FailedGetScale', msg);
      const conditions = setCondition(hpa.status?.conditions, {
        type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: ${msg}`,
      }, nowIso);
      await this.writeStatus(hpa, original, {
        ...this.baseStatus(hpa, hpa.status?.currentReplicas ?? 0, hpa.status?.desiredReplicas ?? 0, hpa.status?.currentMetrics), conditions,
      });
      throw new Error(`failed to query scale subresource for ${reference}: ${msg}`, { cause: err });
    }

    let selector: LabelSelector | { error: string } | undefined;
    const selectorText = scale.status?.selector;
    if (selectorText) {
      try {
        selector = parseLabelSelector(selectorText);
      } catch (err) {
        selector = { error: errText(err) };
      }
    }
    const pods = Array.isArray(selector) ? this.podsMatching(namespace, selector) : [];
    const needsMetrics = (spec.metrics ?? []).some((m) => m.type === 'Resource' || m.type === 'ContainerResource');
    let podMetrics: PodMetricsObject[] | Error | undefined;
    if (Array.isArray(selector) && needsMetrics) {
      try {
        const list = await this.ctx.client.list<PodMetricsObject & KubeObject>(PodMetricsRef, { namespace, labelSelector: selectorText });
        podMetrics = list.items;
      } catch (err) {
        podMetrics = new Error(`unable to fetch metrics from resource metrics API: ${errText(err)}`);
      }
    }

    const d = decide({
      hpa, scale, selector, pods, podMetrics, history: this.history.get(key) ?? emptyHistory(), nowMs: now, opts: this.opts,
    });
    let history = d.history;
    this.history.set(key, history);
    let conditions = hpa.status?.conditions;
    for (const c of d.conditions) conditions = setCondition(conditions, c, nowIso);
    for (const e of d.events) this.ctx.event(COMPONENT, hpa, e.type, e.reason, e.message);

    if (d.metricsError !== undefined) {
      await this.writeStatus(hpa, original, {
        ...this.baseStatus(hpa, d.currentReplicas, hpa.status?.desiredReplicas ?? 0, d.metricStatuses), conditions,
      });
      return false;
    }

    let lastScaleTime = hpa.status?.lastScaleTime;
    if (d.rescale) {
      try {
        await this.ctx.client.update<Scale>(targetResource, {
          ...scale, metadata: { ...scale.metadata, name: targetRef.name, namespace }, spec: { ...scale.spec, replicas: d.desiredReplicas },
        }, { subresource: 'scale' });
      } catch (err) {
        const msg = errText(err);
        this.ctx.event(COMPONENT, hpa, 'Warning', 'FailedRescale', `New size: ${d.desiredReplicas}; reason: ${d.rescaleReason}; error: ${msg}`);
        conditions = setCondition(conditions, {
          type: 'AbleToScale', status: 'False', reason: 'FailedUpdateScale', message: `the HPA controller was unable to update the target scale: ${msg}`,
        }, nowIso);
        await this.writeStatus(hpa, original, {
          ...this.baseStatus(hpa, d.currentReplicas, hpa.status?.desiredReplicas ?? 0, d.metricStatuses), conditions,
        });
        throw err;
      }
      conditions = setCondition(conditions, {
        type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${d.desiredReplicas}`,
      }, nowIso);
      this.ctx.event(COMPONENT, hpa, 'Normal', 'SuccessfulRescale', `New size: ${d.desiredReplicas}; reason: ${d.rescaleReason}`);
      history = storeScaleEvent(history, spec.behavior, d.currentReplicas, d.desiredReplicas, now, Math.trunc(this.opts.downscaleStabilisationWindowMs / 1000));
      this.history.set(key, history);
      lastScaleTime = nowIso;
    }
    await this.writeStatus(hpa, original, {
      ...this.baseStatus(hpa, d.currentReplicas, d.desiredReplicas, d.metricStatuses), lastScaleTime, conditions,
    });
    return false;
  }

  private podsMatching(namespace: string, selector: LabelSelector): Pod[] {
    return this.pods.lister.list(namespace).filter((p) => matchesLabels(selector, p.metadata?.labels));
  }

  private baseStatus(hpa: HorizontalPodAutoscaler, current: number, desired: number, metrics: MetricStatus[] | undefined): HPAStatus {
    const s: HPAStatus = { currentReplicas: current, desiredReplicas: desired };
    if (hpa.metadata?.generation !== undefined) s.observedGeneration = hpa.metadata.generation;
    if (hpa.status?.lastScaleTime) s.lastScaleTime = hpa.status.lastScaleTime;
    if (metrics && metrics.length) s.currentMetrics = metrics;
    return s;
  }

  /** updateStatusIfNeeded: one write through /status when anything changed; a failure posts FailedUpdateStatus. */
  private async writeStatus(hpa: HorizontalPodAutoscaler, original: HPAStatus | undefined, status: HPAStatus): Promise<void> {
    if (status.lastScaleTime === undefined) delete status.lastScaleTime;
    if (deepEqual(original, status)) return;
    try {
      await this.ctx.client.update<HorizontalPodAutoscaler>(HorizontalPodAutoscalers, { ...hpa, status }, { subresource: 'status' });
    } catch (err) {
      if (isNotFound(err)) return;
      this.ctx.event(COMPONENT, hpa, 'Warning', 'FailedUpdateStatus', errText(err));
      throw new Error(`failed to update status for ${hpa.metadata?.name ?? ''}: ${errText(err)}`, { cause: err });
    }
  }
}

const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export const horizontalPodAutoscalerController: ControllerDescriptor = {
  name: 'horizontalpodautoscaling',
  enabledByDefault: true,
  create: (ctx) => new HorizontalPodAutoscalerController(ctx),
};
