/** A client of one API server for the benchmark: undici pools (as RestClient uses), TLS with a client certificate when given. */
import { createSecureContext } from 'node:tls';
import { Pool } from 'undici';

export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

export class Transport {
  private readonly pool: Pool;
  private readonly watchPool: Pool;

  constructor(readonly origin: string, tls?: ClientTls, connections = 16) {
    const connect = tls ? { secureContext: createSecureContext(tls), rejectUnauthorized: true } : undefined;
    this.pool = new Pool(origin, { connections, ...(connect ? { connect } : {}) });
    // One connection per watch stream, as a client's informers open them.
    this.watchPool = new Pool(origin, { pipelining: 0, bodyTimeout: 0, ...(connect ? { connect } : {}) });
  }

  async send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const res = await this.pool.request({
      method, path,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, text: await res.body.text() };
  }

  async create(path: string, body: unknown): Promise<void> {
    const r = await this.send('POST', path, body);
    if (r.status !== 201) throw new Error(`POST ${this.origin}${path}: ${r.status} ${r.text}`);
  }

  /** A watch stream's lines, until `signal` aborts it. */
  async watch(path: string, signal: AbortSignal, onReady: () => void, onLine: (line: string) => void): Promise<void> {
    const res = await this.watchPool.request({ method: 'GET', path, signal, headers: { accept: 'application/json' } });
    if (res.statusCode !== 200) throw new Error(`watch ${path}: ${res.statusCode} ${await res.body.text()}`);
    onReady();
    let buf = '';
    try {
      for await (const chunk of res.body) {
        buf += (chunk as Buffer).toString('utf8');
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      }
    } catch {
      // aborted
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.pool.destroy(), this.watchPool.destroy()]);
  }
}
