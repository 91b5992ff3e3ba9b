import { describe, expect, it } from 'vitest';
import { onlyStatusChanged } from '../../../src/dataplane/kubelet/agent.js';
import type { Pod } from '../../../src/dataplane/kubelet/types.js';

const pod = (): Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u1', resourceVersion: '5', labels: { app: 'web' }, annotations: { a: '1' } },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx' }] },
  status: { phase: 'Pending' },
});

describe('onlyStatusChanged (the kubelet skips a pod sync for these)', () => {
  it('is true when status, resourceVersion or managedFields alone moved', () => {
    const old = pod();
    const cur = { ...structuredClone(old), status: { phase: 'Running' } };
    cur.metadata!.resourceVersion = '6';
    cur.metadata!.managedFields = [{ manager: 'kubelet' }];
    expect(onlyStatusChanged(old, cur)).toBe(true);
  });

  it('is false when the spec, labels, annotations, deletion or uid changed', () => {
    const changes: ((p: Pod) => void)[] = [
      (p) => ((p.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds = 5),
      (p) => (p.metadata!.labels = { app: 'other' }),
      (p) => (p.metadata!.annotations = {}),
      (p) => (p.metadata!.deletionTimestamp = '2026-12-05T10:00:00Z'),
      (p) => (p.metadata!.deletionGracePeriodSeconds = 0),
      (p) => (p.metadata!.uid = 'u2'),
    ];
    for (const change of changes) {
      const cur = structuredClone(pod());
      change(cur);
      expect(onlyStatusChanged(pod(), cur)).toBe(false);
    }
  });
});
