import { MemoryStore } from '../../../src/control/storage/memory.js';
import { storeConformance, TEST_WATCH_BUFFER } from './conformance.js';

storeConformance('memory', {
  open: async () => ({ store: new MemoryStore({ watchBuffer: TEST_WATCH_BUFFER }), prefix: '/registry/test/' }),
});
