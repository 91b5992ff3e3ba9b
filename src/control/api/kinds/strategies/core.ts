import type { Strategy } from '../../resource.js';
export const namespaceStrategy: Strategy = { hasStatus: true };
export const nodeStrategy: Strategy = { hasStatus: true };
export const endpointsStrategy: Strategy = {};
export const configMapStrategy: Strategy = {};
export const secretStrategy: Strategy = {};
export const serviceAccountStrategy: Strategy = {};
export const eventStrategy: Strategy = {};
