import type { Strategy } from '../../resource.js';
export const deploymentStrategy: Strategy = { hasStatus: true, hasGeneration: true };
export const replicaSetStrategy: Strategy = { hasStatus: true, hasGeneration: true };
export const statefulSetStrategy: Strategy = { hasStatus: true, hasGeneration: true };
export const daemonSetStrategy: Strategy = { hasStatus: true, hasGeneration: true };
