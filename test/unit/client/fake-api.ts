/**
 * A minimal list/watch server for one collection (/api/v1/pods), enough to drive the reflector: a revision
 * counter, an event history that can be compacted, paged lists, and watches that replay history after the
 * requested revision then stream live events.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../../../src/client/types.js';

interface Ev {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  rv: number;
  object: KubeObject;
}

export class FakeApi {
  rv = 100;
  objects = new Map<string, KubeObject>();
  history: Ev[] = [];
  compacted = 0;
  lists = 0;
  watches: string[] = [];
  /** When set, a watch from a compacted revision gets an ERROR event instead of an HTTP 410. */
  expiredAsEvent = false;
  private streams = new Set<{ res: http.ServerResponse; from: number }>();
  private server = http.createServer((req, res) => this.handle(req, res));

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.streams) s.res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  write(type: Ev['type'], name: string, extra: Record<string, unknown> = {}): void {
    this.rv++;
    const object: KubeObject = { kind: 'Pod', metadata: { name, namespace: 'ns', resourceVersion: String(this.rv) }, ...extra };
    if (type === 'DELETED') this.objects.delete(name);
    else this.objects.set(name, object);
    const ev = { type, rv: this.rv, object };
    this.history.push(ev);
    for (const s of this.streams) if (ev.rv > s.from) s.res.write(JSON.stringify({ type, object }) + '\n');
  }

  /** Forgets history up to the current revision and ends open watches (as a server restart would). */
  compactAndDropWatches(): void {
    this.compacted = this.rv;
    this.history = [];
    for (const s of this.streams) s.res.end();
    this.streams.clear();
  }

  bookmark(): void {
    for (const s of this.streams) s.res.write(JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', metadata: { resourceVersion: String(this.rv) } } }) + '\n');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v1/pods') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound' }));
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      const from = Number(url.searchParams.get('resourceVersion') ?? '0');
      this.watches.push(`${from}:${url.searchParams.get('allowWatchBookmarks')}`);
      if (from < this.compacted) {
        const status = { kind: 'Status', status: 'Failure', code: 410, reason: 'Expired', message: `too old resource version: ${from}` };
        if (this.expiredAsEvent) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
        } else {
          res.writeHead(410, { 'content-type': 'application/json' }).end(JSON.stringify(status));
        }
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      const s = { res, from };
      this.streams.add(s);
      res.on('close', () => this.streams.delete(s));
      for (const ev of this.history) if (ev.rv > from) res.write(JSON.stringify({ type: ev.type, object: ev.object }) + '\n');
      return;
    }
    this.lists++;
    const all = [...this.objects.values()];
    const limit = Number(url.searchParams.get('limit') ?? '0') || all.length;
    const start = Number(url.searchParams.get('continue') ?? '0');
    const items = all.slice(start, start + limit);
    const next = start + limit < all.length ? String(start + limit) : undefined;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: String(this.rv), continue: next }, items }));
  }
}
