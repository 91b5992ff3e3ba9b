import { describe, expect, test } from 'vitest';
import { startHarness } from '../../integration/api/harness.js';
import { addDefaultTolerations } from '../../../src/control/api/kinds/strategies/pod.js';

const nr = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
const ur = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };

describe('DefaultTolerationSeconds', () => {
  test('adds both 300 s tolerations, not-ready first', () => {
    const spec: Record<string, unknown> = {};
    addDefaultTolerations(spec);
    expect(spec.tolerations).toEqual([nr, ur]);
  });

  test('keeps a pod’s own toleration of one taint and adds only the other', () => {
    const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 };
    const spec: Record<string, unknown> = { tolerations: [own] };
    addDefaultTolerations(spec);
    expect(spec.tolerations).toEqual([own, nr]);
  });

  test('an empty key with an empty effect tolerates everything: nothing added', () => {
    const spec: Record<string, unknown> = { tolerations: [{ operator: 'Exists' }] };
    addDefaultTolerations(spec);
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
  });

  test('a pod created through the API carries them', async () => {
    const h = await startHarness();
    try {
      const res = await h.json<{ spec: { tolerations: unknown[] } }>('POST', '/api/v1/namespaces/default/pods', {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] },
      });
      expect(res.status).toBe(201);
      expect(res.body.spec.tolerations).toEqual([nr, ur]);
    } finally {
      await h.close();
    }
  });
});
