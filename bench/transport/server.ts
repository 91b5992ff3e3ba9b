/**
 * The server side of bench/transport, run as its own process so its CPU is its own: fastify over TLS with the API
 * server's cipher preferences and body handling, answering a Lease PUT with the Lease (resourceVersion bumped).
 * argv: h1 | h2 | plain | unix, a directory holding tls.crt and tls.key, and `batch` to complete requests once per
 * turn of the event loop as the sqlite store commits. Prints its port (unix: listens on DIR/api.sock, prints 0);
 * GET /cpu answers its CPU use and requests served. plain and unix are HTTP/1.1 without TLS, over TCP or a Unix socket.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { servingTlsOptions } from '../../src/control/pki/serving-tls.js';

const [mode, dir, batchArg] = process.argv.slice(2);
const tls = { ...servingTlsOptions(), cert: readFileSync(join(dir!, 'tls.crt')), key: readFileSync(join(dir!, 'tls.key')) };
const app = (mode === 'h2'
  ? Fastify({ http2: true, https: { allowHTTP1: true, ...tls } })
  : mode === 'plain' || mode === 'unix' ? Fastify() : Fastify({ https: tls })) as unknown as FastifyInstance;
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

let served = 0;
let turn: Promise<void> | null = null;
const committed = (): Promise<void> => (turn ??= new Promise((resolve) => setImmediate(() => { turn = null; resolve(); })));

app.get('/cpu', async () => {
  const u = process.cpuUsage();
  return { userUs: u.user, systemUs: u.system, served };
});
app.put('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/:name', async (req, reply) => {
  const lease = JSON.parse((req.body as Buffer).toString('utf8')) as { metadata: { resourceVersion?: string } };
  if (batchArg === 'batch') await committed();
  served++;
  lease.metadata.resourceVersion = String(served);
  reply.code(200).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(lease)));
  return reply;
});
if (mode === 'unix') await app.listen({ path: join(dir!, 'api.sock') });
else await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
console.log(typeof addr === 'object' && addr ? addr.port : 0);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
