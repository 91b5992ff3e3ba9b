/**
 * Prometheus text for the controller manager's /metrics: client-go's workqueue metrics per queue (depth, adds,
 * retries, queue and work duration as summaries' sum and count).
 */
import type { WorkQueue } from '../../client/workqueue.js';

const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

export function workqueueMetricsText(queues: readonly WorkQueue<string>[]): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string, value: (q: WorkQueue<string>) => number, suffix = ''): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const q of queues) out.push(`${name}${suffix}{name="${esc(q.name)}"} ${value(q)}`);
  };
  family('workqueue_depth', 'gauge', 'Current depth of workqueue', (q) => q.len());
  family('workqueue_adds_total', 'counter', 'Total number of adds handled by workqueue', (q) => q.metrics.adds);
  family('workqueue_retries_total', 'counter', 'Total number of retries handled by workqueue', (q) => q.metrics.retries);
  for (const [name, pick, help] of [
    ['workqueue_queue_duration_seconds', 'queueSeconds', 'How long in seconds an item stays in workqueue before being requested.'],
    ['workqueue_work_duration_seconds', 'workSeconds', 'How long in seconds processing an item from workqueue takes.'],
  ] as const) {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} summary`);
    for (const q of queues) {
      out.push(`${name}_sum{name="${esc(q.name)}"} ${q.metrics[pick].sum}`);
      out.push(`${name}_count{name="${esc(q.name)}"} ${q.metrics[pick].count}`);
    }
  }
  return out.join('\n') + '\n';
}
