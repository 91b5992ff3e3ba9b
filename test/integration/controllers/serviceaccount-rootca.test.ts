import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigMaps, Namespaces, ServiceAccounts } from '../../../src/client/resources.js';
import { isNotFound } from '../../../src/client/rest.js';
import { startControllerManager, type RunningControllerManager } from '../../../src/control/controllers/start.js';
import { serviceAccountController } from '../../../src/control/controllers/serviceaccount.js';
import { DESCRIPTION, rootCACertPublisherController } from '../../../src/control/controllers/root-ca-publisher.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
let cluster: TestCluster;
let cm: RunningControllerManager;

beforeAll(async () => {
  cluster = await startTestCluster();
  cm = await startControllerManager({
    client: cluster.newClient('controller-manager'),
    available: [serviceAccountController, rootCACertPublisherController],
    leaderElect: false,
    options: { rootCA: CA },
  });
  expect(await cm.ready).toBe(true);
});
afterAll(async () => {
  await cm?.stop();
  await cluster?.close();
});

const c = () => cluster.client;
const gone = async (p: Promise<unknown>): Promise<boolean> => p.then(() => false, (e: unknown) => isNotFound(e));

describe('serviceaccount and root-ca-cert-publisher', () => {
  it('every bootstrapped namespace gets the default ServiceAccount and kube-root-ca.crt', async () => {
    const list = await c().list(Namespaces);
    const names = list.items.map((n) => n.metadata!.name!);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public']));
    for (const ns of names) {
      await eventually(`default SA in ${ns}`, () => c().get(ServiceAccounts, 'default', ns));
      const cmap = await eventually(`kube-root-ca.crt in ${ns}`, () => c().get(ConfigMaps, 'kube-root-ca.crt', ns));
      expect(cmap['data']).toEqual({ 'ca.crt': CA });
      expect(cmap.metadata?.annotations?.['kubernetes.io/description']).toBe(DESCRIPTION);
    }
  });

  it('a new namespace gets both within a second', async () => {
    const start = Date.now();
    await c().create(Namespaces, { metadata: { name: 'fresh' } });
    await eventually('default SA in fresh', () => c().get(ServiceAccounts, 'default', 'fresh'), 1000, 20);
    await eventually('kube-root-ca.crt in fresh', () => c().get(ConfigMaps, 'kube-root-ca.crt', 'fresh'), 1000, 20);
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('recreates a deleted default ServiceAccount and restores an edited or deleted kube-root-ca.crt', async () => {
    await c().create(Namespaces, { metadata: { name: 'heal' } });
    const sa = await eventually('default SA', () => c().get(ServiceAccounts, 'default', 'heal'));
    await c().delete(ServiceAccounts, 'heal', 'default');
    const again = await eventually('a new default SA', async () => {
      const s = await c().get(ServiceAccounts, 'default', 'heal');
      return s.metadata?.uid !== sa.metadata?.uid && s;
    });
    expect(again.metadata?.name).toBe('default');

    const cmap = await eventually('kube-root-ca.crt', () => c().get(ConfigMaps, 'kube-root-ca.crt', 'heal'));
    await c().update(ConfigMaps, { ...cmap, data: { 'ca.crt': 'not a CA', other: 'x' } });
    await eventually('restored data', async () => {
      const got = await c().get(ConfigMaps, 'kube-root-ca.crt', 'heal');
      return JSON.stringify(got['data']) === JSON.stringify({ 'ca.crt': CA });
    });
    await c().delete(ConfigMaps, 'heal', 'kube-root-ca.crt');
    await eventually('recreated kube-root-ca.crt', async () => {
      const got = await c().get(ConfigMaps, 'kube-root-ca.crt', 'heal');
      return got.metadata?.uid !== cmap.metadata?.uid && got;
    });
  });

  it('creates nothing in a terminating namespace', async () => {
    await c().create(Namespaces, { metadata: { name: 'doomed', finalizers: [] } });
    await eventually('default SA in doomed', () => c().get(ServiceAccounts, 'default', 'doomed'));
    await c().delete(Namespaces, undefined, 'doomed');
    await eventually('doomed gone', () => gone(c().get(Namespaces, 'doomed')));
    expect(await gone(c().get(ServiceAccounts, 'default', 'doomed'))).toBe(true);
  });
});
