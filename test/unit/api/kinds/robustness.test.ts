import { describe, expect, test } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import { resources } from '../../../../src/control/api/kinds/index.js';
import { toTable } from '../../../../src/control/api/table.js';

// Shapes a careless or hostile client might send: wrong types at every level the strategies read.
const weird: unknown[] = [null, 0, -1, 1.5, '', 'x', true, [], [null], [1, 'a'], {}, { a: null }, { a: [] }];
const fields = ['spec', 'status', 'data', 'binaryData', 'subsets', 'endpoints', 'ports', 'involvedObject', 'type'];
const specFields = ['containers', 'initContainers', 'volumes', 'ports', 'selector', 'template', 'strategy', 'updateStrategy',
  'replicas', 'tolerations', 'jobTemplate', 'schedule', 'metrics', 'scaleTargetRef', 'clusterIP', 'externalIPs', 'nodeSelector'];

function* samples(): Generator<KubeObject> {
  for (const v of weird) {
    yield { metadata: { name: 'x', namespace: 'd', labels: v as Record<string, string> } };
    yield { metadata: v as KubeObject['metadata'] };
    for (const f of fields) yield { metadata: { name: 'x', namespace: 'd' }, [f]: v };
    for (const f of specFields) yield { metadata: { name: 'x', namespace: 'd' }, spec: { [f]: v } };
    yield { metadata: { name: 'x', namespace: 'd' }, spec: { containers: [{ name: v, image: v, ports: [{ containerPort: v, protocol: v }], env: v, resources: { limits: v } }] } };
    yield { metadata: { name: 'x', namespace: 'd' }, spec: { template: { metadata: { labels: v }, spec: { containers: v } }, selector: { matchLabels: v, matchExpressions: v } } };
  }
}

describe('strategies and printers never throw on malformed objects', () => {
  for (const r of resources) {
    test(r.plural, () => {
      for (const sample of samples()) {
        const obj = structuredClone(sample);
        expect(() => {
          r.strategy.default?.(obj);
          r.strategy.validate?.(obj);
          r.strategy.validateUpdate?.(obj, structuredClone(sample));
          for (const c of r.columns) c.value(obj, new Date());
        }, `${r.plural} ${JSON.stringify(sample)}`).not.toThrow();
      }
      // And the whole table renders for the same inputs.
      expect(() => toTable(r, [...samples()], { includeObject: 'Metadata', now: new Date() })).not.toThrow();
    });
  }
});
