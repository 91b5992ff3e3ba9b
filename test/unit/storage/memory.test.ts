import { MemoryStore } from '../../../src/control/storage/memory.js';
import { storeConformance } from './conformance.js';

storeConformance('memory', { open: async () => ({ store: new MemoryStore(), prefix: '/registry/test/' }) });
