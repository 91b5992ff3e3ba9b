/**
 * Non-resource endpoints: /version (a 1.32 version.Info so kubectl 1.31-1.33 does not warn about skew),
 * /healthz /livez /readyz (with upstream's `?verbose` form), and the OpenAPI documents.
 */
import type { FastifyInstance } from 'fastify';
import type { ResourceType } from '../resource.js';
import { notAcceptable, pathNotFound } from '../status.js';
import { sendText } from '../content.js';
import { etagMatches, openapiV2, openapiV2ETag, openapiV2Json, openapiV3GroupVersion, openapiV3Paths } from '../openapi/index.js';
import { OPENAPI_V2_PROTOBUF, openapiV2Protobuf, prefersOpenAPIv2Protobuf } from '../openapi/v2-protobuf.js';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-skiff',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

/** Whether an Accept header admits JSON (protobuf-only requests get 406 so clients fall back to JSON). */
const acceptsJson = (accept: string | undefined): boolean =>
  !accept || accept.split(',').some((p) => /^\s*(application\/json|\*\/\*|application\/\*)\s*(;|$)/.test(p));

/** `resources` may be a function: the registry's kinds as they are at each request (custom resources come and go). */
export function registerSystemRoutes(
  app: FastifyInstance, served: readonly ResourceType[] | (() => readonly ResourceType[]), ready: () => boolean,
): void {
  const kinds = typeof served === 'function' ? served : () => served;
  app.get('/version', async (_req, reply) => sendText(reply, 200, 'application/json', JSON.stringify(VERSION_INFO)));

  for (const check of ['healthz', 'livez', 'readyz']) {
    const handler = async (req: { query: unknown }, reply: import('fastify').FastifyReply) => {
      const ok = check !== 'readyz' || ready();
      const verbose = (req.query as Record<string, unknown>)['verbose'] !== undefined;
      const body = verbose ? `[${ok ? '+' : '-'}]ping ok\n[${ok ? '+' : '-'}]storage ${ok ? 'ok' : 'not ready'}\n${check} check ${ok ? 'passed' : 'failed'}\n` : ok ? 'ok' : 'not ready';
      return reply.code(ok ? 200 : 500).header('content-type', 'text/plain; charset=utf-8').send(body);
    };
    app.get(`/${check}`, handler);
    app.get(`/${check}/*`, handler);
  }

  app.get('/openapi/v2', async (req, reply) => {
    // kubectl asks for gnostic's protobuf form only (its client-side validation reads it).
    // Answered as application/octet-stream, as kube-openapi does: the asked-for type's '@' is not valid in a media type.
    // Both forms carry an ETag and answer a matching If-None-Match with 304, as kube-openapi's handler.
    if (prefersOpenAPIv2Protobuf(req.headers.accept)) {
      const bytes = openapiV2Protobuf(openapiV2(kinds()));
      const etag = openapiV2ETag(bytes);
      reply.header('etag', `"${etag}"`);
      if (etagMatches(req.headers['if-none-match'], etag)) return reply.code(304).send();
      return reply.code(200).header('content-type', 'application/octet-stream').send(bytes);
    }
    if (!acceptsJson(req.headers.accept)) throw notAcceptable(['application/json', OPENAPI_V2_PROTOBUF]);
    const { body, etag } = openapiV2Json(kinds());
    reply.header('etag', `"${etag}"`);
    if (etagMatches(req.headers['if-none-match'], etag)) return reply.code(304).send();
    sendText(reply, 200, 'application/json', body);
  });
  app.get('/openapi/v3', async (req, reply) => {
    if (!acceptsJson(req.headers.accept)) throw notAcceptable(['application/json']);
    sendText(reply, 200, 'application/json', JSON.stringify(openapiV3Paths(kinds())));
  });
  app.get('/openapi/v3/*', async (req, reply) => {
    if (!acceptsJson(req.headers.accept)) throw notAcceptable(['application/json']);
    const path = (req.params as { '*': string })['*'];
    const doc = openapiV3GroupVersion(kinds(), path);
    if (!doc) throw pathNotFound();
    // Documents are addressed by content hash, so clients may cache them for good.
    if ((req.query as Record<string, unknown>)['hash']) reply.header('cache-control', 'public, immutable');
    sendText(reply, 200, 'application/json', JSON.stringify(doc));
  });
}
