/** Worker entry for thread.ts: runs the controller manager until the parent says 'stop'. */
import { componentData, serveComponentThread } from '../component-thread.js';
import type { ControllerOptions } from './context.js';
import { startControllerManager } from './start.js';

const data = componentData<{ kubeconfig: string; controllers?: string[]; options?: Partial<ControllerOptions> }>();

// The server's own copy still elects: a second `skiff controller-manager` pointed at this server must not act
// beside it.
await serveComponentThread((onError) => startControllerManager({ kubeconfig: data.kubeconfig, controllers: data.controllers, options: data.options, onError }));
