import type { Strategy } from '../../resource.js';
export const podStrategy: Strategy = { hasStatus: true };
