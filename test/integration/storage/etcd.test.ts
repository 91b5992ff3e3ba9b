/**
 * The Store conformance suite on a real etcd (test/setup/global.ts starts one for the run). Tests share it, so
 * each uses its own key prefix; compaction is etcd-wide, so that test gets a private etcd of its own.
 */
import { randomUUID } from 'node:crypto';
import { describe, inject, it } from 'vitest';
import { EtcdStore } from '../../../src/control/storage/etcd.js';
import { startEtcd } from '../../setup/etcd.js';
import { storeConformance, TEST_WATCH_BUFFER } from '../../unit/storage/conformance.js';

const endpoint = inject('etcdEndpoint');

if (!endpoint) {
  describe('Store conformance: etcd', () => {
    it.skip('skipped: no etcd binary on PATH (install Debian etcd-server)', () => {});
  });
} else {
  storeConformance('etcd', {
    open: async () => ({ store: await EtcdStore.connect([endpoint], { watchBuffer: TEST_WATCH_BUFFER }), prefix: `/skiff-test/${randomUUID()}/` }),
    openPrivate: async () => {
      const etcd = await startEtcd();
      if (!etcd) throw new Error('etcd vanished from PATH');
      return { store: await EtcdStore.connect([etcd.endpoint], { watchBuffer: TEST_WATCH_BUFFER }), prefix: '/registry/test/', cleanup: () => etcd.stop() };
    },
  });
}
