/** The bootstrapped kube-dns Service follows the Service CIDR, and a range too small for it does not stop the server. */
import { describe, expect, it } from 'vitest';
import { Services, isNotFound } from '../../../src/client/index.js';
import { startTestCluster } from '../../support/cluster.js';

describe('kube-dns bootstrap', () => {
  it('sits at the tenth address of another Service CIDR, selectorless', async () => {
    const c = await startTestCluster({ engine: { serviceCIDR: '172.20.0.0/16' } });
    try {
      const svc = await c.client.get(Services, 'kube-dns', 'kube-system');
      expect(svc.spec).toMatchObject({ clusterIP: '172.20.0.10', type: 'ClusterIP' });
      expect(svc.spec!.selector).toBeUndefined();
      expect(svc.metadata!.labels).toMatchObject({ 'k8s-app': 'kube-dns' });
    } finally {
      await c.close();
    }
  });

  it('is skipped when the range has no tenth address; the API server still starts', async () => {
    const c = await startTestCluster({ engine: { serviceCIDR: '10.0.0.0/29' } });
    try {
      await expect(c.client.get(Services, 'kube-dns', 'kube-system')).rejects.toSatisfy(isNotFound);
      expect((await c.client.get(Services, 'kubernetes', 'default')).spec!.clusterIP).toBe('10.0.0.1');
    } finally {
      await c.close();
    }
  });
});
