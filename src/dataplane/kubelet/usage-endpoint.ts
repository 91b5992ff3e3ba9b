/**
 * The agent's usage endpoint, which the API server's metrics.k8s.io scrapes (as metrics-server scrapes the
 * kubelet's /metrics/resource):
 *   GET /skiff/v1/usage            → {"nodes": NodeUsage[]} for every node of this agent
 *   GET /skiff/v1/usage?node=NAME  → the same for one node (404 when this agent does not run it)
 * Two mountings of one pure answer (usageResponse): registerKubeletRoutes for the agent's fastify app (http.ts
 * loads it by name), and usageRoutes, a plain node:http handler that answers its own paths and returns false
 * for every other request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { realClock, type Clock } from '../../client/clock.js';
import type { NodeUsage } from './types.js';

export const USAGE_PATH = '/skiff/v1/usage';

/** What the agent knows: its nodes, and each node's current usage (PodDriver.usage). */
export interface UsageSource {
  nodeNames(): string[];
  /** undefined when the node is not (or no longer) run by this agent. */
  nodeUsage(name: string, now: number): NodeUsage | undefined;
}

/** The response body for a request's query, or an error status; pure apart from reading the source. */
export function usageResponse(source: UsageSource, node: string | null, now: number): { code: number; body: unknown } {
  if (node !== null) {
    const u = node ? source.nodeUsage(node, now) : undefined;
    if (!u) return { code: 404, body: { message: `node "${node}" is not run by this agent` } };
    return { code: 200, body: { nodes: [u] } };
  }
  const nodes: NodeUsage[] = [];
  for (const name of source.nodeNames()) {
    const u = source.nodeUsage(name, now);
    if (u) nodes.push(u);
  }
  return { code: 200, body: { nodes } };
}

/** A request handler for USAGE_PATH: true when it answered the request, false when the path is not its own. */
export function usageRoutes(source: UsageSource, clock: Clock = realClock): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    if (url.pathname !== USAGE_PATH && url.pathname !== `${USAGE_PATH}/`) return false;
    const send = (code: number, body: unknown, headers: Record<string, string> = {}): void => {
      const text = JSON.stringify(body);
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, { message: `method ${req.method} is not allowed on ${USAGE_PATH}` }, { allow: 'GET, HEAD' });
      return true;
    }
    try {
      const { code, body } = usageResponse(source, url.searchParams.get('node'), clock.now());
      send(code, body);
    } catch (err) {
      // A driver that throws must not take the agent's server down: the scraper logs a 500 and moves on.
      send(500, { message: `usage: ${err instanceof Error ? err.message : String(err)}` });
    }
    return true;
  };
}

/** What the node agent offers (NodeAgent's methods; the agent's own clock stamps the figures). */
export interface AgentUsage {
  nodeNames(): string[];
  hasNode(name: string): boolean;
  nodeUsage(name: string): NodeUsage;
}

/** The source over a node agent: a node it does not run has no figures. */
export function agentUsageSource(agent: AgentUsage): UsageSource {
  return {
    nodeNames: () => agent.nodeNames(),
    nodeUsage: (name) => (agent.hasNode(name) ? agent.nodeUsage(name) : undefined),
  };
}

/** The agent's fastify app gets GET (and HEAD) USAGE_PATH. */
export function registerKubeletRoutes(app: FastifyInstance, agent: AgentUsage): void {
  const source = agentUsageSource(agent);
  app.get<{ Querystring: { node?: string | string[] } }>(USAGE_PATH, async (req, reply) => {
    const node = Array.isArray(req.query.node) ? req.query.node[0] : req.query.node;
    // The agent's clock is inside nodeUsage: `now` is not read by this source.
    const { code, body } = usageResponse(source, node ?? null, 0);
    return reply.code(code).header('content-type', 'application/json').send(JSON.stringify(body));
  });
}
