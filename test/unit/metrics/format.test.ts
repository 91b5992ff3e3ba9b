import { describe, expect, test } from 'vitest';
import { cpuQuantity, goDuration, parseGoDuration, memoryQuantity, nodeMetrics, podMetrics, sumQuantities } from '../../../src/control/api/metrics/format.js';

describe('metrics-server quantities', () => {
  test('cpu: nanocores canonicalised as a DecimalSI quantity scaled 10^-9', () => {
    expect(cpuQuantity(0)).toBe('0');
    expect(cpuQuantity(52_948_763)).toBe('52948763n');
    expect(cpuQuantity(120_000_000)).toBe('120m');
    expect(cpuQuantity(1_500_000_000)).toBe('1500m');
    expect(cpuQuantity(2_000_000_000)).toBe('2');
    expect(cpuQuantity(12_345_000)).toBe('12345u');
    expect(cpuQuantity(10)).toBe('10n');
    // Fractional nanocores do not exist on the wire: rounded.
    expect(cpuQuantity(1.6)).toBe('2n');
  });

  test('memory: bytes as BinarySI (small values decimal)', () => {
    expect(memoryQuantity(0)).toBe('0');
    expect(memoryQuantity(1_455_796_224)).toBe('1421676Ki');
    expect(memoryQuantity(512 * 1024 * 1024)).toBe('512Mi');
    expect(memoryQuantity(2 * 1024 ** 3)).toBe('2Gi');
    expect(memoryQuantity(1536)).toBe('1536');
    expect(memoryQuantity(1000)).toBe('1k');
    expect(memoryQuantity(512)).toBe('512');
  });

  test('window: Go duration text', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(15)).toBe('15s');
    expect(goDuration(10.5)).toBe('10.5s');
    expect(goDuration(20.029)).toBe('20.029s');
    expect(goDuration(60)).toBe('1m0s');
    expect(goDuration(90)).toBe('1m30s');
    expect(goDuration(3600)).toBe('1h0m0s');
    expect(goDuration(0.5)).toBe('500ms');
    expect(goDuration(0.0015)).toBe('1.5ms');
    expect(goDuration(0.000002)).toBe('2µs');
  });

  test('Go durations parsed (the --metric-resolution flag)', () => {
    expect(parseGoDuration('15s')).toBe(15_000);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('500ms')).toBe(500);
    expect(parseGoDuration('1.5s')).toBe(1_500);
    expect(parseGoDuration('0')).toBe(0);
    for (const bad of ['15', 's', '15x', '1m 30s', '-1s', '']) expect(parseGoDuration(bad), bad).toBeNull();
  });

  test('sums as Quantity.Add then String()', () => {
    expect(sumQuantities(['100m', '5m'])).toBe('105m');
    expect(sumQuantities(['52948763n', '47051237n'])).toBe('100m');
    expect(sumQuantities(['64Mi', '16Mi'])).toBe('80Mi');
    expect(sumQuantities([])).toBe('0');
  });
});

describe('objects', () => {
  const now = new Date('2026-03-01T10:00:30.250Z');
  test('NodeMetrics: node name and labels, the agent timestamp and window, creationTimestamp = now', () => {
    const node = { metadata: { name: 'n1', labels: { zone: 'a' }, uid: 'u' } };
    const m = nodeMetrics(node, { nodeName: 'n1', timestamp: Date.parse('2026-03-01T10:00:15.900Z'), windowSeconds: 15, cpuNanoCores: 3e8, memoryBytes: 1024 ** 3, pods: [] }, now);
    expect(m).toEqual({
      kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: 'n1', labels: { zone: 'a' }, creationTimestamp: '2026-03-01T10:00:30Z' },
      timestamp: '2026-03-01T10:00:15Z', window: '15s', usage: { cpu: '300m', memory: '1Gi' },
    });
  });

  test('PodMetrics: containers in the reported order, the node window', () => {
    const pod = { metadata: { name: 'p', namespace: 'ns' } };
    const m = podMetrics(pod, { namespace: 'ns', name: 'p', uid: 'x', containers: [{ name: 'a', cpuNanoCores: 1e6, memoryBytes: 4096 }, { name: 'b', cpuNanoCores: 0, memoryBytes: 0 }] },
      { timestamp: Date.parse('2026-03-01T10:00:00Z'), windowSeconds: 10 }, now);
    expect(m).toEqual({
      kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: 'p', namespace: 'ns', creationTimestamp: '2026-03-01T10:00:30Z' },
      timestamp: '2026-03-01T10:00:00Z', window: '10s',
      containers: [{ name: 'a', usage: { cpu: '1m', memory: '4Ki' } }, { name: 'b', usage: { cpu: '0', memory: '0' } }],
    });
  });
});
