/**
 * The REST client's retries on Retry-After, as client-go's: a 429 or 5xx that carries Retry-After (whole seconds)
 * is sent again after that wait, for any verb, up to 10 times; anything else is answered at once.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, RestClient, retryAfterSeconds } from '../../../src/client/rest.js';
import { ConfigMaps } from '../../../src/client/resources.js';

interface Seen { method: string; url: string; body: string }
type Answer = { status: number; retryAfter?: string; body?: unknown };

let server: Server | undefined;
let client: RestClient | undefined;

/** A server answering `answers` in turn (the last one repeats), recording every request it saw. */
async function scripted(answers: Answer[], maxRetries?: number, onWait?: () => void): Promise<{ seen: Seen[]; waits: number[]; client: RestClient }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body });
      const a = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      res.writeHead(a.status, { 'content-type': 'application/json', ...(a.retryAfter !== undefined ? { 'retry-after': a.retryAfter } : {}) });
      res.end(JSON.stringify(a.body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: a.status === 429 ? 'TooManyRequests' : 'InternalError', code: a.status }));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const waits: number[] = [];
  client = new RestClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }, {
    sleep: async (ms) => { waits.push(ms); onWait?.(); },
    ...(maxRetries !== undefined ? { maxRetries } : {}),
  });
  return { seen, waits, client };
}

afterEach(async () => {
  client?.close();
  client = undefined;
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

const cm = { metadata: { name: 'a', namespace: 'n' }, data: { k: 'v' } };
const created = { apiVersion: 'v1', kind: 'ConfigMap', ...cm, metadata: { ...cm.metadata, resourceVersion: '7' } };

describe('RestClient retries on Retry-After', () => {
  test('a create refused twice with 429 is sent again, same body, after each Retry-After, and succeeds', async () => {
    const { seen, waits, client } = await scripted([{ status: 429, retryAfter: '1' }, { status: 429, retryAfter: '2' }, { status: 201, body: created }]);
    const out = await client.create(ConfigMaps, cm);
    expect(out.metadata?.resourceVersion).toBe('7');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(Array(3).fill('POST /api/v1/namespaces/n/configmaps'));
    expect(new Set(seen.map((s) => s.body)).size).toBe(1);
    expect(JSON.parse(seen[2]!.body).data).toEqual({ k: 'v' });
    expect(waits).toEqual([1000, 2000]);
  });

  test('a 5xx with Retry-After is retried too (any verb: a DELETE here)', async () => {
    const { seen, waits, client } = await scripted([{ status: 503, retryAfter: '0' }, { status: 200, body: { kind: 'Status', status: 'Success' } }]);
    await client.delete(ConfigMaps, 'n', 'a');
    expect(seen.map((s) => s.method)).toEqual(['DELETE', 'DELETE']);
    expect(waits).toEqual([0]);
  });

  test('no Retry-After, a non-integer one, or a 4xx other than 429: answered at once', async () => {
    for (const a of [{ status: 429 }, { status: 429, retryAfter: 'Wed, 21 Oct 2015 07:28:00 GMT' }, { status: 409, retryAfter: '1' }, { status: 500, retryAfter: '1.5' }]) {
      const { seen, waits, client } = await scripted([a, { status: 201, body: created }]);
      const err = await client.create(ConfigMaps, cm).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe(a.status);
      expect(seen).toHaveLength(1);
      expect(waits).toEqual([]);
      client.close();
      await new Promise((r) => server!.close(r));
      server = undefined;
    }
  });

  test('after 10 retries (11 attempts) the last 429 is the error; maxRetries: 0 never retries', async () => {
    const { seen, waits, client } = await scripted([{ status: 429, retryAfter: '1' }]);
    const err = await client.get(ConfigMaps, 'a', 'n').catch((e: unknown) => e);
    expect((err as ApiError).code).toBe(429);
    expect((err as ApiError).reason).toBe('TooManyRequests');
    expect(seen).toHaveLength(11);
    expect(waits).toEqual(Array(10).fill(1000));
    client.close();
    await new Promise((r) => server!.close(r));
    const once = await scripted([{ status: 429, retryAfter: '1' }], 0);
    expect(((await once.client.get(ConfigMaps, 'a', 'n').catch((e: unknown) => e)) as ApiError).code).toBe(429);
    expect(once.seen).toHaveLength(1);
  });

  test('a watch refused with 429 and Retry-After is made again and then streams; without Retry-After it fails at once', async () => {
    const event = { type: 'ADDED', object: created };
    const { seen, waits, client } = await scripted([{ status: 429, retryAfter: '1' }, { status: 503, retryAfter: '2' }, { status: 200, body: event }]);
    const got: unknown[] = [];
    for await (const e of client.watch(ConfigMaps, { namespace: 'n' })) got.push(e);
    expect(got).toEqual([event]);
    expect(seen.map((s) => s.url)).toEqual(Array(3).fill('/api/v1/namespaces/n/configmaps?watch=true'));
    expect(waits).toEqual([1000, 2000]);
    client.close();
    await new Promise((r) => server!.close(r));
    const refused = await scripted([{ status: 429 }, { status: 200, body: event }]);
    const err = await (async () => { for await (const _ of refused.client.watch(ConfigMaps, { namespace: 'n' })) { /* none */ } })().catch((e: unknown) => e);
    expect((err as ApiError).code).toBe(429);
    expect(refused.seen).toHaveLength(1);
  });

  test('a watch aborted while it waits to try again ends without an error and is not made again', async () => {
    const ac = new AbortController();
    const { seen, waits, client } = await scripted([{ status: 429, retryAfter: '1' }, { status: 200, body: { type: 'ADDED', object: created } }], undefined, () => ac.abort());
    const got: unknown[] = [];
    const err = await (async () => { for await (const e of client.watch(ConfigMaps, { namespace: 'n', signal: ac.signal })) got.push(e); })().then(() => null, (e: unknown) => e);
    expect(err).toBeNull();
    expect(got).toEqual([]);
    expect(waits).toEqual([1000]);
    expect(seen).toHaveLength(1);
  });

  test('retryAfterSeconds reads the header as Go\'s strconv.Atoi', () => {
    expect(retryAfterSeconds(429, '3')).toBe(3);
    expect(retryAfterSeconds(504, '+2')).toBe(2);
    expect(retryAfterSeconds(429, '-1')).toBe(0);
    expect(retryAfterSeconds(429, ' 1')).toBeUndefined();
    expect(retryAfterSeconds(429, '')).toBeUndefined();
    expect(retryAfterSeconds(404, '1')).toBeUndefined();
    expect(retryAfterSeconds(200, '1')).toBeUndefined();
  });
});
