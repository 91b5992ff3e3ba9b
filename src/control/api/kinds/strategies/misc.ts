import type { Strategy } from '../../resource.js';
export const endpointSliceStrategy: Strategy = {};
export const leaseStrategy: Strategy = {};
export const hpaStrategy: Strategy = { hasStatus: true, hasGeneration: true };
