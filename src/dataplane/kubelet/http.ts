/**
 * The agent's small HTTP API on 127.0.0.1 (its port is every node's daemonEndpoints.kubeletEndpoint.Port):
 *   GET  /healthz               ok
 *   GET  /nodes                 every node's state (registered, ready, lease, pods)
 *   GET  /nodes/:node           one node
 *   POST /faults/:node          {"lease": "stop"|"run", "ready": false|true}
 *   GET  /skiff/v1/usage        every node's usage, or ?node= one (usage-endpoint.ts; metrics.k8s.io reads it)
 * The kubelet API's logs, exec, attach and port-forward: streaming/server.ts.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { UnknownNodeError, type FaultRequest, type NodeAgent } from './agent.js';
import { registerStreamingRoutes } from './streaming/server.js';
import { registerKubeletRoutes } from './usage-endpoint.js';

export class FaultRequestError extends Error {}

/** Checks a fault body; errors name the field. */
export function parseFaultRequest(body: unknown): FaultRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new FaultRequestError('body: expected a JSON object such as {"lease": "stop"} or {"ready": false}');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (k !== 'lease' && k !== 'ready') throw new FaultRequestError(`${k}: unknown field; known fields: lease, ready`);
  const out: FaultRequest = {};
  if (b.lease !== undefined) {
    if (b.lease !== 'stop' && b.lease !== 'run') throw new FaultRequestError(`lease: ${JSON.stringify(b.lease)}: supported values: "stop", "run"`);
    out.lease = b.lease;
  }
  if (b.ready !== undefined) {
    if (typeof b.ready !== 'boolean') throw new FaultRequestError(`ready: ${JSON.stringify(b.ready)}: must be true or false`);
    out.ready = b.ready;
  }
  if (out.lease === undefined && out.ready === undefined) throw new FaultRequestError('body: give lease and/or ready');
  return out;
}

export async function buildAgentApp(agent: NodeAgent): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof UnknownNodeError) return reply.code(404).send({ error: err.message });
    if (err instanceof FaultRequestError) return reply.code(400).send({ error: err.message });
    const code = (err as { statusCode?: number }).statusCode;
    return reply.code(code && code >= 400 && code < 500 ? code : 500).send({ error: (err as Error).message });
  });
  app.get('/healthz', async () => 'ok');
  app.get('/nodes', async () => ({ nodes: agent.summaries() }));
  app.get<{ Params: { node: string } }>('/nodes/:node', async (req) => agent.summary(req.params.node));
  app.post<{ Params: { node: string } }>('/faults/:node', async (req) => {
    if (!agent.hasNode(req.params.node)) throw new UnknownNodeError(req.params.node);
    return agent.fault(req.params.node, parseFaultRequest(req.body));
  });
  registerStreamingRoutes(app, { lookupPod: (ns, name) => agent.lookupPod(ns, name), now: () => agent.clock.now() });
  registerKubeletRoutes(app, agent);
  return app;
}
