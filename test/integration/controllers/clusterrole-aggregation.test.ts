/** The ClusterRole aggregation controller against a real API server: rules follow the selected ClusterRoles. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRoles } from '../../../src/client/resources.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { clusterRoleAggregationController, type ClusterRole } from '../../../src/control/controllers/clusterrole-aggregation.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

let cluster: TestCluster;
let cm: RunningControllerManager;

beforeAll(async () => {
  cluster = await startTestCluster();
  cm = await startControllerManager({ client: cluster.newClient('controller-manager'), available: [clusterRoleAggregationController], leaderElect: false });
  expect(await cm.ready).toBe(true);
});
afterAll(async () => {
  await cm?.stop();
  await cluster?.close();
});

const role = (name: string, labels: Record<string, string>, rules: ClusterRole['rules']): ClusterRole =>
  ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels }, rules });
const rulesOf = async (name: string) => (await cluster.client.get<ClusterRole>(ClusterRoles, name)).rules ?? [];

describe('clusterrole-aggregation', () => {
  it('fills, extends and shrinks an aggregated ClusterRole as the selected roles come and go', async () => {
    const c = cluster.client;
    await c.create(ClusterRoles, role('view-pods', { 'example.com/aggregate-to-monitoring': 'true' }, [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]));
    await c.create(ClusterRoles, { ...role('monitoring', {}, []), aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate-to-monitoring': 'true' } }] } });
    await eventually('monitoring gets the pods rule', async () => (await rulesOf('monitoring')).length === 1);
    expect(await rulesOf('monitoring')).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);

    await c.create(ClusterRoles, role('view-nodes', { 'example.com/aggregate-to-monitoring': 'true' }, [
      { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
    ]));
    await eventually('monitoring gets the nodes rule once', async () => (await rulesOf('monitoring')).length === 2);
    expect((await rulesOf('monitoring')).map((r) => r.resources?.[0])).toEqual(['nodes', 'pods']);

    await c.delete(ClusterRoles, undefined, 'view-nodes');
    await eventually('monitoring loses the nodes rule', async () => (await rulesOf('monitoring')).length === 1);
    const managers = (await c.get<ClusterRole>(ClusterRoles, 'monitoring')).metadata?.managedFields?.map((m) => m.manager);
    expect(managers).toContain('clusterrole-aggregation-controller');
  });
});
