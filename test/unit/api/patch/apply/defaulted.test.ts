import { describe, expect, it } from 'vitest';
import { serverSideApply, trackUpdate } from '../../../../../src/control/api/patch/apply/index.js';
import { resources } from '../../../../../src/control/api/kinds/index.js';
import type { KubeObject } from '../../../../../src/control/api/resource.js';

const T0 = new Date('2026-11-25T12:00:00Z');
const T1 = new Date('2026-11-25T12:30:00Z');

const kind = (k: string) => resources.find((r) => r.kind === k)!;

/** What the route does: apply, then the kind's defaulting. */
function applyAndDefault(live: KubeObject | null, cfg: KubeObject, manager: string, now: Date, force = false): KubeObject {
  const r = kind(cfg.kind!);
  const out = serverSideApply(live, cfg, { manager, force, definition: r.definition, now });
  r.strategy.default?.(out);
  return out;
}

const configs: KubeObject[] = [
  {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 2, selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] }] },
      },
    },
  },
  {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }, { port: 53, protocol: 'UDP' }] },
  },
  {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { a: '1', b: '2' },
  },
];

describe('server-side apply over defaulted objects (the registry\'s defaulting)', () => {
  for (const cfg of configs) {
    it(`re-applying the same ${cfg.kind} changes nothing, defaults included`, () => {
      const first = applyAndDefault(null, cfg, 'kubectl', T0);
      const again = applyAndDefault(first, cfg, 'kubectl', T1);
      expect(again).toEqual(first);
    });
  }

  it('a second applier of the same Service ports (protocol omitted, defaulted to TCP) shares them without conflict', () => {
    const svc = configs[1]!;
    const first = applyAndDefault(null, svc, 'a', T0);
    const second = applyAndDefault(first, { ...svc, spec: { ports: [{ port: 80, targetPort: 8080 }] } }, 'b', T1);
    expect((second['spec'] as { ports: unknown[] }).ports).toHaveLength(2);
    const fields = (second.metadata!.managedFields as Array<{ manager: string; fieldsV1: object }>).find((e) => e.manager === 'b')!.fieldsV1;
    expect(fields).toEqual({ 'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:targetPort': {} } } } });
  });

  it('a ConfigMap key dropped by its applier disappears; keys written by kubectl edit stay', () => {
    const cm = configs[2]!;
    const first = applyAndDefault(null, cm, 'a', T0);
    const edited = structuredClone(first);
    (edited['data'] as Record<string, string>)['c'] = '3';
    const afterEdit = trackUpdate(first, edited, 'kubectl-edit', 'v1', T1);
    const out = applyAndDefault(afterEdit, { ...cm, data: { a: '1' } }, 'a', T1);
    expect(out['data']).toEqual({ a: '1', c: '3' });
  });
});
