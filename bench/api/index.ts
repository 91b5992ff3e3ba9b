/**
 * The API server over real HTTP on loopback, sqlite and etcd side by side: pod creates/s through the full
 * write path (decode, defaults, validation, storage), list latency at 10k and 100k pods (a consistent list
 * from storage, resourceVersion=0 from the watch cache, and a 500-item page), and the latency from a write to
 * its event reaching each of 100 HTTP watchers. Then (security.ts) what TLS + authentication + RBAC + admission
 * cost: the server as `skiff server` builds it against `--insecure-http`, in alternating rounds, creates/s and
 * watch fan-out side by side (target: secure within 15% of plain creates/s).
 *
 *   npm run bench -- api [--parts backends,security] [--seconds 3] [--concurrency 16 (backends), 64 (security)] [--sizes 10000,100000]
 *                        [--watchers 100] [--events 50] [--backends sqlite,etcd] [--rounds 6] [--warmup 2]
 *                        [--warmup-creates 4000]   (the same number of unmeasured creates on both sides, security part)
 *                        [--profile DIR]   (CPU profiles of each side's creates per round, security part, and
 *                                           the server CPU per create by layer read from them: profile-layers.ts)
 *                        [--profile-interval 1000]   (the profiler's sampling interval, µs)
 *                        [--secure full|no-sa|tls]   (the secure side's layers, to tell their costs apart; default full)
 *                        [--plain-sa]   (plain runs ServiceAccount admission too: both store the same pod, token volume and all)
 *                        [--tls-thread]   (the secure server's TLS on a front thread, as skiff server --tls-thread)
 *                        [--marks FILE]   (one JSON line per measured create phase, CLOCK_MONOTONIC ns: for perf record -k mono)
 *
 * The 10k/100k pods beyond the create phase are loaded straight into storage (the same JSON the API server
 * writes), since loading is not what is measured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openStore } from '../../src/control/storage/index.js';
import type { Store } from '../../src/control/storage/store.js';
import { buildServer, type ApiServer } from '../../src/control/api/server.js';
import { bootstrap } from '../../src/control/bootstrap.js';
import { etcdBinary, startEtcd } from '../../test/setup/etcd.js';
import { flag, fmtMs, fmtNum, fmtOps, fmtRatio, measureLatency, measureOps, nowMs, numberFlag, percentiles, printTable, type Latency } from '../runner/index.js';
import { compareSecurity, SECURE_LAYERS, type SecureLayers, type SecurityFigures } from './security.js';
import { layerTable, readProfiles } from './profile-layers.js';

interface ListFigures {
  objects: number;
  consistentMs: Latency;
  cacheMs: Latency;
  pageMs: Latency;
  bytes: number;
}

interface Figures {
  createPerSec: number;
  createP50Ms: number;
  createP99Ms: number;
  lists: ListFigures[];
  watchEventMs: Latency;
  watchers: number;
}

const podJson = (ns: string, name: string, i: number) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { app: `app-${i % 20}`, tier: i % 2 ? 'fe' : 'be' } },
  spec: { containers: [{ name: 'c', image: 'registry.example/app:1.0', ports: [{ containerPort: 8080 }] }] },
});

const SECURITY_CONCURRENCY = 64;

export async function run(args: string[]): Promise<unknown> {
  const seconds = numberFlag(args, 'seconds', 3);
  const concurrency = numberFlag(args, 'concurrency', 16);
  // The security part compares CPU cost, so both servers must be saturated: at 16 clients the sqlite WAL sync
  // (~8 ms on this machine) held both at ~1,850 creates/s with the thread half idle, and the comparison read 1-3%.
  const securityConcurrency = numberFlag(args, 'concurrency', SECURITY_CONCURRENCY);
  const sizes = (flag(args, 'sizes') ?? '10000,100000').split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
  const watchers = numberFlag(args, 'watchers', 100);
  const events = numberFlag(args, 'events', 50);
  const wanted = (flag(args, 'backends') ?? 'sqlite,etcd').split(',');
  const parts = (flag(args, 'parts') ?? 'backends,security').split(',');
  for (const p of parts) if (p !== 'backends' && p !== 'security') throw new Error(`--parts: unknown part ${JSON.stringify(p)} (backends, security)`);

  let security: SecurityFigures | undefined;
  if (parts.includes('security')) {
    security = await compareSecurity({
      seconds, concurrency: securityConcurrency, watchers, events,
      rounds: numberFlag(args, 'rounds', 6),
      warmupSeconds: numberFlag(args, 'warmup', 2),
      warmupCreates: numberFlag(args, 'warmup-creates', 4000),
      ...(flag(args, 'profile') ? { profileDir: flag(args, 'profile') } : {}),
      ...(flag(args, 'profile-interval') ? { profileIntervalUs: numberFlag(args, 'profile-interval', 1000) } : {}),
      secure: secureLayers(flag(args, 'secure')),
      plainServiceAccounts: args.includes('--plain-sa'),
      tlsThread: args.includes('--tls-thread'),
      ...(flag(args, 'marks') ? { marksFile: flag(args, 'marks') } : {}),
    });
    printSecurity(security);
  }
  if (!parts.includes('backends')) return { seconds, concurrency, watchers, events, security };

  const results: Record<string, Figures> = {};
  for (const backend of wanted) {
    if (backend === 'etcd' && !etcdBinary()) {
      console.error('etcd is not on PATH: measuring sqlite only');
      continue;
    }
    const scratch = mkdtempSync(join(tmpdir(), 'skiff-bench-api-'));
    const etcd = backend === 'etcd' ? await startEtcd() : null;
    const store = await openStore(
      backend === 'etcd' ? { backend: 'etcd', etcdEndpoints: [etcd!.endpoint] } : { backend: 'sqlite', dataDir: scratch },
    );
    const server = await buildServer({ store, compactIntervalMs: 0 });
    try {
      await server.app.listen({ host: '127.0.0.1', port: 0 });
      const addr = server.app.server.address();
      const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
      await bootstrap(server.engine, { host: '127.0.0.1', port: Number(new URL(base).port) });
      results[backend] = await measure(backend, base, server, store, { seconds, concurrency, sizes, watchers, events });
    } finally {
      await server.close();
      await store.close();
      await etcd?.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  const names = Object.keys(results);
  const a = results['sqlite'];
  const b = results['etcd'];
  const ratio = (pa: number | undefined, pb: number | undefined, higherIsBetter: boolean) =>
    pa === undefined || pb === undefined ? '-' : higherIsBetter ? fmtRatio(pa, pb) : fmtRatio(pb, pa);
  const rows: (string | number)[][] = [];
  const row = (label: string, pick: (f: Figures) => number | undefined, fmt: (n: number) => string, higher: boolean) =>
    rows.push([label, ...names.map((n) => { const v = pick(results[n]!); return v === undefined ? '-' : fmt(v); }), ratio(a && pick(a), b && pick(b), higher)]);
  row(`pod creates/s (${concurrency} clients)`, (f) => f.createPerSec, fmtOps, true);
  row('pod create p50', (f) => f.createP50Ms, fmtMs, false);
  row('pod create p99', (f) => f.createP99Ms, fmtMs, false);
  for (const size of sizes) {
    const pick = (f: Figures) => f.lists.find((l) => l.objects === size);
    row(`list ${size.toLocaleString('en-US')} pods, consistent p50`, (f) => pick(f)?.consistentMs.p50, fmtMs, false);
    row(`list ${size.toLocaleString('en-US')} pods, rv=0 (cache) p50`, (f) => pick(f)?.cacheMs.p50, fmtMs, false);
    row(`list ${size.toLocaleString('en-US')} pods, limit=500 p50`, (f) => pick(f)?.pageMs.p50, fmtMs, false);
  }
  row(`write to event, ${watchers} watchers p50`, (f) => f.watchEventMs.p50, fmtMs, false);
  row(`write to event, ${watchers} watchers p99`, (f) => f.watchEventMs.p99, fmtMs, false);
  printTable('API server over HTTP on loopback (2-core shared machine)', ['metric', ...names, 'sqlite vs etcd (x better)'], rows);
  return { seconds, concurrency, sizes, watchers, events, backends: results, ...(security ? { security } : {}) };
}

function secureLayers(v: string | undefined): SecureLayers {
  if (v === undefined) return 'full';
  if (!(SECURE_LAYERS as readonly string[]).includes(v)) throw new Error(`--secure: unknown value ${JSON.stringify(v)} (${SECURE_LAYERS.join(', ')})`);
  return v as SecureLayers;
}

function printSecurity(s: SecurityFigures): void {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  const o = s.options;
  const rows: (string | number)[][] = s.rounds.map((r) => [
    `round ${r.round} (${r.order.join(' then ')})`,
    fmtOps(r.createPerSec.plain), fmtOps(r.createPerSec.secure), `${(r.ratio * 100).toFixed(1)}%`,
    `${fmtMs(r.createP50Ms.plain)} / ${fmtMs(r.createP50Ms.secure)}`,
    `${fmtNum(r.createServerCpuUs.plain)} / ${fmtNum(r.createServerCpuUs.secure)}`,
    `${fmtNum(r.createCpuUs.plain)} / ${fmtNum(r.createCpuUs.secure)}`,
    `${fmtNum(r.createClientCpuUs.plain)} / ${fmtNum(r.createClientCpuUs.secure)}`,
    `${fmtMs(r.watchEventMs.plain.p50)} / ${fmtMs(r.watchEventMs.secure.p50)}`,
    `${fmtMs(r.watchEventMs.plain.p99)} / ${fmtMs(r.watchEventMs.secure.p99)}`,
  ]);
  rows.push([
    'median', fmtOps(s.medianCreatePerSec.plain), fmtOps(s.medianCreatePerSec.secure), `${(s.medianRatio * 100).toFixed(1)}%`, '',
    `${fmtNum(s.medianCreateServerCpuUs.plain)} / ${fmtNum(s.medianCreateServerCpuUs.secure)}`,
    `${fmtNum(s.medianCreateCpuUs.plain)} / ${fmtNum(s.medianCreateCpuUs.secure)}`,
    `${fmtNum(s.medianCreateClientCpuUs.plain)} / ${fmtNum(s.medianCreateClientCpuUs.secure)}`,
    `${fmtMs(s.medianWatchP50Ms.plain)} / ${fmtMs(s.medianWatchP50Ms.secure)}`,
    `${fmtMs(s.medianWatchP99Ms.plain)} / ${fmtMs(s.medianWatchP99Ms.secure)}`,
  ]);
  printTable(
    `Security on vs off, sqlite, ${o.concurrency} clients x ${o.seconds} s per side per round, ${o.watchers} watchers x ${o.events} events; ` +
      ((o.secure ?? 'full') === 'full' ? `secure = HTTPS + client cert + Node,RBAC (${s.user}) + ServiceAccount admission` : `secure = ${s.user}`) +
      (o.tlsThread ? ' (TLS on a front thread: --tls-thread)' : '') +
      (o.plainServiceAccounts ? '; plain = --insecure-http + ServiceAccount admission (--plain-sa: the same pods on both)' : '; plain = --insecure-http (no ServiceAccount admission: pods without the token volume)'),
    ['round', 'plain creates/s', 'secure creates/s', 'secure/plain', 'create p50 plain / secure', 'server thread CPU µs/create plain / secure', 'server process CPU µs/create plain / secure', 'client process CPU µs/create plain / secure', `event p50 plain / secure`, 'event p99 plain / secure'],
    rows,
  );
  const verdict = s.overhead <= 0.15 ? 'within' : 'OVER';
  console.log(`security costs ${(s.overhead * 100).toFixed(1)}% of create throughput (median of ${s.rounds.length} rounds): ${verdict} the 15% target`);
  const above = (a: number, b: number) => `${(100 * (b / a - 1)).toFixed(1)}%`;
  console.log(`per create, secure above plain (medians): server thread CPU ${above(s.medianCreateServerCpuUs.plain, s.medianCreateServerCpuUs.secure)}, ` +
    `server process CPU (all threads) ${above(s.medianCreateCpuUs.plain, s.medianCreateCpuUs.secure)}, ` +
    `client process CPU ${above(s.medianCreateClientCpuUs.plain, s.medianCreateClientCpuUs.secure)}`);
  // A fair bench gives the same ratio whichever side goes first; the settle CPU is what the phase before left behind.
  const byOrder = (first: 'plain' | 'secure') => s.rounds.filter((r) => r.order[0] === first).map((r) => `${(r.ratio * 100).toFixed(1)}%`).join(' ');
  const maxSettle = (c: 'plain' | 'secure') => Math.max(...s.rounds.map((r) => r.settleCpuMs[c])).toFixed(0);
  console.log(`secure/plain by order: plain first ${byOrder('plain')}; secure first ${byOrder('secure')}. ` +
    `Server-thread CPU settled off before a create phase (max): plain ${maxSettle('plain')} ms, secure ${maxSettle('secure')} ms`);
  console.log(`load average (1, 5, 15 min) before ${load(s.loadBefore)}, after ${load(s.loadAfter)}; 2 shared cores`);
  if (o.profileDir) printLayers(s, o.profileDir);
}

/** The profiles' breakdown of each side's server CPU per create by layer (profile-layers.ts). */
function printLayers(s: SecurityFigures, dir: string): void {
  const creates = { plain: 0, secure: 0 };
  for (const r of s.rounds) for (const c of ['plain', 'secure'] as const) creates[c] += r.createPerSec[c] * s.options.seconds;
  const rows = layerTable(readProfiles(dir), creates, s.medianCreateServerCpuUs);
  const total = (c: 'plain' | 'secure') => rows.reduce((a, r) => a + r[c], 0);
  printTable(
    `Server thread CPU per create by layer (µs; CPU profiles in ${dir}: self time, scaled down if above the median server CPU per create; what they fall short of it in its own row)`,
    ['layer', 'plain', 'secure', 'secure - plain'],
    [...rows, { layer: 'total', plain: total('plain'), secure: total('secure') }].map((r) => [r.layer, r.plain.toFixed(1), r.secure.toFixed(1), (r.secure - r.plain).toFixed(1)]),
  );
}

async function measure(
  name: string, base: string, server: ApiServer, store: Store,
  o: { seconds: number; concurrency: number; sizes: number[]; watchers: number; events: number },
): Promise<Figures> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`${name}: POST ${path}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  await post('/api/v1/namespaces', { metadata: { name: 'bench' } });
  await post('/api/v1/namespaces', { metadata: { name: 'load' } });

  // Creates through the whole write path.
  const creates = await measureOps((i) => post('/api/v1/namespaces/bench/pods', podJson('bench', `p-${i}`, i)), {
    seconds: o.seconds, concurrency: o.concurrency, label: `${name} creates`,
  });

  // Load pods straight into storage up to each size, then list over HTTP.
  const lists: ListFigures[] = [];
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  let loaded = 0;
  for (const size of o.sizes) {
    await measureOps(
      async (j) => {
        const i = loaded + j;
        const name2 = `pod-${String(i).padStart(7, '0')}`;
        const obj = podJson('load', name2, i);
        const full = { ...obj, metadata: { ...obj.metadata, uid: randomUUID(), creationTimestamp: now }, status: { phase: 'Pending' } };
        const r = await store.create(`/registry/pods/load/${name2}`, Buffer.from(JSON.stringify(full)));
        if (!r.ok) throw new Error('load failed');
      },
      { ops: size - loaded, concurrency: 64, label: `${name} load to ${size}` },
    );
    loaded = size;
    // The load bypassed the API server: tell the cache what to catch up to before timing cache reads.
    const podCache = server.engine.cache(server.registry.lookup('', 'v1', 'pods')!);
    podCache.noteWrite(await store.currentRevision());
    if (!(await podCache.waitFresh(120_000))) throw new Error(`${name}: watch cache did not catch up with the load`);
    let bytes = 0;
    const get = async (q: string) => {
      const res = await fetch(`${base}/api/v1/namespaces/load/pods${q}`);
      const buf = await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${name}: list ${q}: ${res.status}`);
      bytes = Math.max(bytes, buf.byteLength);
    };
    const runs = size >= 50_000 ? 3 : 5;
    const consistentMs = await measureLatency(() => get(''), runs, 1);
    const cacheMs = await measureLatency(() => get('?resourceVersion=0'), runs, 1);
    const pageMs = await measureLatency(() => get('?limit=500'), 20, 2);
    lists.push({ objects: size, consistentMs, cacheMs, pageMs, bytes });
  }

  // Watch latency: N HTTP watchers on config maps; each write's event timed at every watcher.
  const list = await (await fetch(`${base}/api/v1/namespaces/bench/configmaps`)).json() as { metadata: { resourceVersion: string } };
  const sent = new Map<string, number>();
  const samples: number[] = [];
  const controllers: AbortController[] = [];
  let ready = 0;
  const streams = Array.from({ length: o.watchers }, async () => {
    const ac = new AbortController();
    controllers.push(ac);
    const res = await fetch(`${base}/api/v1/namespaces/bench/configmaps?watch=1&resourceVersion=${list.metadata.resourceVersion}`, { signal: ac.signal });
    ready++;
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buf += dec.decode(value, { stream: true });
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = line.match(/"name":"(w-\d+)"/);
          const t0 = m ? sent.get(m[1]!) : undefined;
          if (t0 !== undefined) samples.push(nowMs() - t0);
        }
      }
    } catch {
      // aborted
    }
  });
  while (ready < o.watchers) await new Promise((r) => setTimeout(r, 10));
  for (let i = 0; i < o.events; i++) {
    const wname = `w-${i}`;
    const target = (i + 1) * o.watchers;
    sent.set(wname, nowMs());
    await post('/api/v1/namespaces/bench/configmaps', { metadata: { name: wname }, data: { i: String(i) } });
    const deadline = Date.now() + 5000;
    while (samples.length < target && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  }
  for (const ac of controllers) ac.abort();
  await Promise.allSettled(streams);

  return {
    createPerSec: creates.opsPerSec,
    createP50Ms: creates.latency.p50,
    createP99Ms: creates.latency.p99,
    lists,
    watchEventMs: percentiles(samples),
    watchers: o.watchers,
  };
}
