/**
 * Start a node agent against an API server: what `skiff nodes` runs and what `skiff server --nodes N` calls
 * in-process. The HTTP API listens first (its port goes into every Node's daemonEndpoints), then the nodes
 * register; `registered` resolves when all have.
 */
import type { FastifyInstance } from 'fastify';
import { RestClient, type ClientConfig } from '../../client/index.js';
import { DEFAULT_STATUS_CONCURRENCY, NodeAgent, type NodeAgentOptions } from './agent.js';
import { buildAgentApp } from './http.js';
import { DEFAULT_NODE_SPEC, expandNodes, type NodeConfig, type NodeSpec } from './spec.js';
import type { PodDriverFactory } from './types.js';
import { simulatedPodDriverFactory, type SimulatedDriverOptions } from './runtime/simulated/driver.js';
import { hostPort } from '../../net/host-port.js';

export interface StartNodeAgentOptions extends Omit<NodeAgentOptions, 'client' | 'nodes' | 'driverFactory' | 'kubeletPort'> {
  /** API server (a kubeconfig's parsed form), or a ready client (left open on stop). */
  client: ClientConfig | RestClient;
  /** Which nodes: a validated spec (default: one roomy node, see spec.ts) or explicit configs. */
  spec?: NodeSpec;
  nodes?: NodeConfig[];
  /** Default: the simulated runtime's driver, with `simulated` as its options. */
  driverFactory?: PodDriverFactory;
  simulated?: SimulatedDriverOptions;
  /** Where the agent's HTTP API listens; default 127.0.0.1 on a free port; null for none. */
  listen?: { host: string; port: number } | null;
}

export interface RunningNodeAgent {
  agent: NodeAgent;
  /** http://host:port of the agent's API, when it listens. */
  url?: string;
  port: number;
  app?: FastifyInstance;
  /** Resolves once every node has registered. */
  registered: Promise<void>;
  /** Stops renewals, watches and the HTTP API. Nodes and leases stay, as a stopped kubelet leaves them. */
  stop(): Promise<void>;
}

export async function startNodeAgent(o: StartNodeAgentOptions): Promise<RunningNodeAgent> {
  const listen = o.listen === undefined ? { host: '127.0.0.1', port: 0 } : o.listen;
  // Nodes without a nodeCIDR are reached at the agent's own address; a wildcard listener is reached on loopback.
  const agentAddress = !listen || listen.host === '0.0.0.0' || listen.host === '::' || listen.host === '' ? '127.0.0.1' : listen.host;
  const nodes = o.nodes ?? expandNodes(o.spec ?? DEFAULT_NODE_SPEC, agentAddress);
  // Sockets for the node/lease requests and the pod status writes, which run side by side.
  const maxSockets = (o.maxInFlight ?? 32) + (o.statusConcurrency ?? DEFAULT_STATUS_CONCURRENCY);
  const client = o.client instanceof RestClient ? o.client : new RestClient(o.client, { userAgent: 'skiff-nodes', maxSockets });
  const driverFactory = o.driverFactory ?? simulatedPodDriverFactory(o.simulated);
  const agent = new NodeAgent({ ...o, client, nodes, driverFactory });
  let app: FastifyInstance | undefined;
  let url: string | undefined;
  try {
    if (listen) {
      app = await buildAgentApp(agent);
      await app.listen({ host: listen.host, port: listen.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : listen.port;
      agent.setKubeletPort(port);
      url = `http://${hostPort(listen.host, port)}`;
    }
  } catch (err) {
    await app?.close();
    if (!(o.client instanceof RestClient)) client.close();
    throw err;
  }
  agent.start();
  return {
    agent,
    url,
    port: agent.kubeletPort,
    app,
    registered: agent.registered(),
    async stop() {
      await agent.stop();
      await app?.close();
      if (!(o.client instanceof RestClient)) client.close();
    },
  };
}
