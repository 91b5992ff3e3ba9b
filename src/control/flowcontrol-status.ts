/**
 * The Dangling condition of every FlowSchema, kept current as kube-apiserver's APF configuration controller keeps
 * it (`kubectl get flowschemas`' MissingPL column): True when the PriorityLevelConfiguration the schema names does
 * not exist, False when it does. Informers on both kinds; any change recomputes (danglingStatusUpdates, pure) and
 * writes only the schemas whose condition moved, through /status.
 */
import { realClock, type Clock, type TimerHandle } from '../client/clock.js';
import { isConflict, isNotFound, type RestClient } from '../client/rest.js';
import { SharedInformerFactory } from '../client/informer.js';
import type { ResourceRef } from '../client/resources.js';
import type { KubeObject } from '../client/types.js';
import { danglingCondition, FLOWCONTROL_GROUP } from './api/kinds/flowcontrol.js';
import { rfc3339 } from '../client/time.js';

export const FlowSchemas: ResourceRef = { group: FLOWCONTROL_GROUP, version: 'v1', plural: 'flowschemas', namespaced: false };
export const PriorityLevelConfigurations: ResourceRef = { group: FLOWCONTROL_GROUP, version: 'v1', plural: 'prioritylevelconfigurations', namespaced: false };

type Condition = { type?: string; status?: string };
const conditionsOf = (o: KubeObject): Condition[] => ((o.status as { conditions?: Condition[] } | undefined)?.conditions ?? []);
const levelOf = (fs: KubeObject): string => (fs.spec as { priorityLevelConfiguration?: { name?: string } } | undefined)?.priorityLevelConfiguration?.name ?? '';

/** The schemas whose Dangling condition must change, each with its new status (other conditions kept). */
export function danglingStatusUpdates(schemas: readonly KubeObject[], levels: ReadonlySet<string>, now: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const fs of schemas) {
    const exists = levels.has(levelOf(fs));
    const prev = conditionsOf(fs).find((c) => c.type === 'Dangling');
    if (prev && prev.status === (exists ? 'False' : 'True')) continue;
    out.push({ ...fs, status: { ...(fs.status as object | undefined), conditions: [...conditionsOf(fs).filter((c) => c.type !== 'Dangling'), danglingCondition(fs, exists, now)] } });
  }
  return out;
}

export interface FlowSchemaStatusOptions {
  client: RestClient;
  clock?: Clock;
  /** How long changes are gathered before one recomputation (default 100 ms). */
  debounceMs?: number;
  onError?: (err: unknown) => void;
}

export function startFlowSchemaStatus(o: FlowSchemaStatusOptions): { synced: Promise<boolean>; stop(): void } {
  const clock = o.clock ?? realClock;
  const factory = new SharedInformerFactory(o.client);
  const schemas = factory.forResource<KubeObject>(FlowSchemas, {});
  const levels = factory.forResource<KubeObject>(PriorityLevelConfigurations, {});
  const abort = new AbortController();
  let timer: TimerHandle | null = null;
  let running = false;
  let again = false;
  const sync = async (): Promise<void> => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      const names = new Set(levels.indexer.list().map((l) => l.metadata?.name ?? ''));
      const now = rfc3339(clock.now());
      for (const fs of danglingStatusUpdates(schemas.indexer.list(), names, now)) {
        if (abort.signal.aborted) return;
        try {
          await o.client.update(FlowSchemas, fs, { subresource: 'status' });
        } catch (err) {
          // A newer version arrives through the informer and is looked at again; a deleted one needs nothing.
          if (!isConflict(err) && !isNotFound(err)) o.onError?.(err);
        }
      }
    } finally {
      running = false;
      if (again && !abort.signal.aborted) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = (): void => {
    if (timer || abort.signal.aborted || !schemas.hasSynced() || !levels.hasSynced()) return;
    timer = clock.setTimeout(() => void sync(), o.debounceMs ?? 100);
  };
  const handler = { onAdd: schedule, onUpdate: schedule, onDelete: schedule };
  schemas.addEventHandler(handler);
  levels.addEventHandler(handler);
  factory.start(abort.signal);
  const synced = Promise.all([schemas.waitForSync(abort.signal), levels.waitForSync(abort.signal)]).then((oks) => {
    schedule();
    return oks.every(Boolean);
  });
  return {
    synced,
    stop() {
      abort.abort();
      if (timer) clock.clearTimeout(timer);
    },
  };
}
