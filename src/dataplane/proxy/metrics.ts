/**
 * The proxy's Prometheus metrics, named as kube-proxy's (`kubeproxy_…`), rendered in the text exposition
 * format. Small on purpose: histograms, counters and gauges with fixed label sets.
 */

type Labels = Record<string, string>;

function labelText(l: Labels): string {
  const e = Object.entries(l);
  return e.length ? `{${e.map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`).join(',')}}` : '';
}

export class Histogram {
  private counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    this.buckets.forEach((b, i) => {
      if (v <= b) this.counts[i]!++;
    });
  }
  get samples(): number {
    return this.count;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${b}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines.join('\n');
  }
}

export class Series {
  private values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}
  set(value: number, labels: Labels = {}): void {
    this.values.set(labelText(labels), { labels, value });
  }
  inc(labels: Labels = {}, by = 1): void {
    const k = labelText(labels);
    this.values.set(k, { labels, value: (this.values.get(k)?.value ?? 0) + by });
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    if (this.values.size === 0 && this.type === 'counter') lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${v.value}`);
    return lines.join('\n');
  }
}

/** kube-proxy's exponential buckets for sync durations: 1 ms × 2^i, 15 buckets. */
const SYNC_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

export class ProxyMetrics {
  readonly syncDuration = new Histogram('kubeproxy_sync_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds', SYNC_BUCKETS);
  readonly fullSyncDuration = new Histogram('kubeproxy_sync_full_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds for full resyncs', SYNC_BUCKETS);
  readonly partialSyncDuration = new Histogram('kubeproxy_sync_partial_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds for partial resyncs', SYNC_BUCKETS);
  readonly lastSync = new Series('kubeproxy_sync_proxy_rules_last_timestamp_seconds', 'The last time proxy rules were successfully synced', 'gauge');
  readonly iptablesRules = new Series('kubeproxy_sync_proxy_rules_iptables_total', 'Total number of iptables rules owned by kube-proxy', 'gauge');
  readonly nftablesObjects = new Series('kubeproxy_sync_proxy_rules_nftables_objects_total', 'Chains, rules and set elements in the proxy table', 'gauge');
  readonly partialRestoreFailures = new Series(
    'kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total',
    'Cumulative proxy iptables partial restore failures',
    'counter',
  );
  readonly syncFailures = new Series('kubeproxy_sync_proxy_rules_failures_total', 'Syncs that failed to apply rules', 'counter');
  readonly servicesTotal = new Series('kubeproxy_sync_proxy_rules_service_ports_total', 'Service ports in the last synced model', 'gauge');

  render(): string {
    return (
      [
        this.syncDuration,
        this.fullSyncDuration,
        this.partialSyncDuration,
        this.lastSync,
        this.iptablesRules,
        this.nftablesObjects,
        this.partialRestoreFailures,
        this.syncFailures,
        this.servicesTotal,
      ]
        .map((m) => m.render())
        .join('\n') + '\n'
    );
  }
}
