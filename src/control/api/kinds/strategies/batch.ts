import type { Strategy } from '../../resource.js';
export const jobStrategy: Strategy = { hasStatus: true, hasGeneration: true };
export const cronJobStrategy: Strategy = { hasStatus: true, hasGeneration: true };
