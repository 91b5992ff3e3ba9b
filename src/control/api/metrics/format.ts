/**
 * NodeMetrics and PodMetrics (metrics.k8s.io/v1beta1) as metrics-server writes them, from the usage node agents
 * report. Pure functions: the clock and the objects come in, JSON goes out.
 *
 * metrics-server's figures: cpu is a DecimalSI quantity of nanocores ("123456789n", canonicalised, so 120000000n
 * prints "120m"), memory a BinarySI quantity of bytes ("1421676Ki"); the window is a Go duration ("15s",
 * "1m30s"); timestamps are metav1.Time (RFC 3339, whole seconds); creationTimestamp is the time of the request.
 */
import type { KubeObject } from '../resource.js';
import type { ContainerUsage, NodeUsage, PodUsage } from '../../../dataplane/kubelet/types.js';
import { formatExactQuantity, parseExactQuantity, type ExactQuantity } from '../validation/quantity-canonical.js';
import { rfc3339 } from '../../../client/time.js';

export const METRICS_API_VERSION = 'metrics.k8s.io/v1beta1';

/** Nanocores as metrics-server prints them (a quantity scaled 10^-9, DecimalSI). */
export function cpuQuantity(nanoCores: number): string {
  return formatExactQuantity({ digits: BigInt(Math.max(0, Math.round(nanoCores))), exp10: -9, format: 'DecimalSI' });
}

/** Bytes as metrics-server prints them (BinarySI). */
export function memoryQuantity(bytes: number): string {
  return formatExactQuantity({ digits: BigInt(Math.max(0, Math.round(bytes))), exp10: 0, format: 'BinarySI' });
}

/** Go's time.Duration.String() for a number of seconds: "0s", "500ms", "15s", "10.5s", "1m30s", "1h0m0s". */
export function goDuration(seconds: number): string {
  let ns = BigInt(Math.round(seconds * 1e9));
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  if (ns < 0n) ns = -ns;
  const fraction = (v: bigint, unit: bigint, digits: number): string => {
    const whole = v / unit;
    const rest = (v % unit).toString().padStart(digits, '0').replace(/0+$/, '');
    return rest ? `${whole}.${rest}` : `${whole}`;
  };
  if (ns < 1_000n) return `${sign}${ns}ns`;
  if (ns < 1_000_000n) return `${sign}${fraction(ns, 1_000n, 3)}µs`;
  if (ns < 1_000_000_000n) return `${sign}${fraction(ns, 1_000_000n, 6)}ms`;
  const hours = ns / 3_600_000_000_000n;
  const minutes = (ns / 60_000_000_000n) % 60n;
  const secs = fraction(ns % 60_000_000_000n, 1_000_000_000n, 9);
  return `${sign}${hours > 0n ? `${hours}h` : ''}${hours > 0n || minutes > 0n ? `${minutes}m` : ''}${secs}s`;
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("15s", "1m30s", "500ms") in milliseconds; null when it is not one. */
export function parseGoDuration(text: string): number | null {
  const t = text.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(t)) !== null) {
    ms += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  return end > 0 && end === t.length ? ms : null;
}

const usageOf = (cpuNanoCores: number, memoryBytes: number): Record<string, string> => ({
  cpu: cpuQuantity(cpuNanoCores),
  memory: memoryQuantity(memoryBytes),
});

/** A NodeMetrics for a node: its name and labels, the agent's timestamp and window, the usage. */
export function nodeMetrics(node: KubeObject, usage: NodeUsage, now: Date): KubeObject {
  const metadata: Record<string, unknown> = { name: node.metadata?.name ?? usage.nodeName, creationTimestamp: rfc3339(now) };
  if (node.metadata?.labels && Object.keys(node.metadata.labels).length) metadata['labels'] = { ...node.metadata.labels };
  return {
    kind: 'NodeMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata,
    timestamp: rfc3339(new Date(usage.timestamp)),
    window: goDuration(usage.windowSeconds),
    usage: usageOf(usage.cpuNanoCores, usage.memoryBytes),
  };
}

/** A PodMetrics for a pod: its containers' usage, over the window of the node that reported it. */
export function podMetrics(pod: KubeObject, usage: PodUsage, node: Pick<NodeUsage, 'timestamp' | 'windowSeconds'>, now: Date): KubeObject {
  const metadata: Record<string, unknown> = {
    name: pod.metadata?.name ?? usage.name,
    namespace: pod.metadata?.namespace ?? usage.namespace,
    creationTimestamp: rfc3339(now),
  };
  if (pod.metadata?.labels && Object.keys(pod.metadata.labels).length) metadata['labels'] = { ...pod.metadata.labels };
  return {
    kind: 'PodMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata,
    timestamp: rfc3339(new Date(node.timestamp)),
    window: goDuration(node.windowSeconds),
    containers: usage.containers.map((c: ContainerUsage) => ({ name: c.name, usage: usageOf(c.cpuNanoCores, c.memoryBytes) })),
  };
}

/** The sum of quantities, printed as Quantity.String() prints a sum (the first operand's format). */
export function sumQuantities(values: readonly string[]): string {
  let sum: ExactQuantity | null = null;
  for (const v of values) {
    const q = parseExactQuantity(v);
    if (!q) continue;
    if (!sum) {
      sum = { digits: q.digits, exp10: q.exp10, format: q.format };
      continue;
    }
    const exp = Math.min(sum.exp10, q.exp10);
    const digits: bigint = sum.digits * 10n ** BigInt(sum.exp10 - exp) + q.digits * 10n ** BigInt(q.exp10 - exp);
    sum = { digits, exp10: exp, format: sum.format };
  }
  return sum ? formatExactQuantity(sum) : '0';
}
