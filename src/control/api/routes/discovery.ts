/**
 * Discovery documents at /api, /apis, /apis/<g>, /api/v1 and /apis/<g>/<v>: legacy JSON lists, or aggregated
 * discovery v2 when the Accept header asks for it (answered with that exact Content-Type).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResourceType } from '../resource.js';
import {
  acceptsAggregatedDiscovery, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, DISCOVERY_V2_CONTENT_TYPE,
} from '../discovery.js';
import { sendText } from '../content.js';

/** Answers a discovery path, or returns false when `segs` is a resource path. */
export function serveDiscovery(
  req: FastifyRequest, reply: FastifyReply, resources: readonly ResourceType[], core: boolean, segs: string[], serverAddress: string,
): boolean {
  if (req.method !== 'GET') return false;
  const aggregated = acceptsAggregatedDiscovery(req.headers.accept);
  const json = (body: unknown, type = 'application/json') => sendText(reply, 200, type, JSON.stringify(body));
  if (core) {
    if (segs.length === 0) {
      if (aggregated) json(aggregatedDiscovery(resources, 'api'), DISCOVERY_V2_CONTENT_TYPE);
      else json(apiVersions(serverAddress));
      return true;
    }
    if (segs.length === 1) {
      const list = apiResourceList(resources, '', segs[0]!);
      if (!list) return false;
      json(list);
      return true;
    }
    return false;
  }
  if (segs.length === 0) {
    if (aggregated) json(aggregatedDiscovery(resources, 'apis'), DISCOVERY_V2_CONTENT_TYPE);
    else json(apiGroupList(resources));
    return true;
  }
  if (segs.length === 1) {
    const g = apiGroup(resources, segs[0]!);
    if (!g) return false;
    json({ kind: 'APIGroup', apiVersion: 'v1', ...g });
    return true;
  }
  if (segs.length === 2) {
    const list = apiResourceList(resources, segs[0]!, segs[1]!);
    if (!list) return false;
    json(list);
    return true;
  }
  return false;
}
