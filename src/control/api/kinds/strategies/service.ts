import type { Strategy } from '../../resource.js';
export const serviceStrategy: Strategy = { hasStatus: true };
