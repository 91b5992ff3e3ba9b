/** The client package: REST, kubeconfig, informers, workqueue. */
export * from './types.js';
export * from './resources.js';
export * from './kubeconfig.js';
export * from './rest.js';
export * from './clock.js';
export * from './time.js';
export * from './workqueue.js';
export * from './store.js';
export * from './reflector.js';
export * from './informer.js';
export * from './share-parts.js';
export * from './events.js';
export * from './expectations.js';
export * from './leader-election.js';
