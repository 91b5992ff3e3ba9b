/**
 * The Store conformance suite on a real etcd (test/setup/global.ts starts one for the run). Tests share it, so
 * each uses its own key prefix; compaction is etcd-wide, so that test gets a private etcd of its own.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
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

describe.skipIf(!endpoint)('etcd storage specifics', () => {
  it('stays usable after many watches are opened and closed (closing is not a connection failure)', async () => {
    const store = await EtcdStore.connect([endpoint]);
    const p = `/skiff-test/${randomUUID()}/`;
    try {
      // The client's circuit breaker opens after three consecutive failures: close more watches than that.
      const from = await store.currentRevision();
      const watches = Array.from({ length: 5 }, () => store.watch(p, from));
      await store.create(`${p}k`, new TextEncoder().encode('v'));
      for (const w of watches) expect((await w[Symbol.asyncIterator]().next()).done).toBe(false);
      for (const w of watches) w.close();
      await new Promise((r) => setTimeout(r, 100));
      expect((await store.list(p)).items).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
