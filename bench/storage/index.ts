/**
 * Storage backends side by side: create throughput (one writer, and many concurrent ones, where sqlite's group
 * commit shows), get latency, list latency over `--keys` objects (default 10,000) and write-to-watch-event
 * latency, on sqlite (the embedded default, fsync per commit), sqlite with synchronous=NORMAL, and a real etcd
 * when `etcd` is on PATH.
 *
 * The machine is shared, so every backend is measured `--rounds` times (fresh store each time, backends taking
 * turns) and each figure is the median over the rounds; results keep every round too.
 *
 *   npm run bench -- storage [--keys 10000] [--seconds 2] [--concurrency 32] [--value-bytes 1024] [--rounds 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdStore } from '../../src/control/storage/etcd.js';
import { SqliteStore } from '../../src/control/storage/sqlite.js';
import type { Store } from '../../src/control/storage/store.js';
import { etcdBinary, startEtcd } from '../../test/setup/etcd.js';
import {
  fmtMs,
  fmtOps,
  fmtRatio,
  measureLatency,
  measureOps,
  nowMs,
  numberFlag,
  percentiles,
  printTable,
  type Latency,
} from '../runner/index.js';

interface Figures {
  createSerialPerSec: number;
  createSerialP99Ms: number;
  createConcurrentPerSec: number;
  createConcurrentP99Ms: number;
  loadSeconds: number;
  getMs: Latency;
  listAllMs: Latency;
  listFirstPageMs: Latency;
  listMiddlePageAtRevisionMs: Latency;
  /** From the start of a write to its event reaching a watcher. */
  watchEventMs: Latency;
}

interface Backend {
  name: string;
  open(): Promise<{ store: Store; stop(): Promise<void> }>;
}

export async function run(args: string[]): Promise<unknown> {
  const keys = numberFlag(args, 'keys', 10_000);
  const seconds = numberFlag(args, 'seconds', 2);
  const rounds = Math.max(1, numberFlag(args, 'rounds', 3));
  const concurrency = numberFlag(args, 'concurrency', 32);
  const valueBytes = numberFlag(args, 'value-bytes', 1024);
  const value = objectOfSize(valueBytes);
  const scratch = mkdtempSync(join(tmpdir(), 'skiff-bench-storage-'));

  const backends: Backend[] = [
    { name: 'sqlite', open: async () => sqlite(join(scratch, 'full.db'), 'full') },
    { name: 'sqlite (sync=normal)', open: async () => sqlite(join(scratch, 'normal.db'), 'normal') },
  ];
  if (etcdBinary()) {
    backends.push({
      name: 'etcd',
      open: async () => {
        const etcd = (await startEtcd())!;
        const store = await EtcdStore.connect([etcd.endpoint]);
        return { store, stop: async () => (await store.close(), await etcd.stop()) };
      },
    });
  } else {
    console.error('etcd is not on PATH: measuring sqlite only');
  }

  const perRound: Record<string, Figures[]> = Object.fromEntries(backends.map((b) => [b.name, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const b of backends) {
        const { store, stop } = await b.open();
        try {
          perRound[b.name]!.push(await measure(`${b.name} #${r + 1}`, store, { keys, seconds, concurrency, value }));
        } finally {
          await stop();
          rmSync(scratch, { recursive: true, force: true });
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const results: Record<string, Figures> = Object.fromEntries(
    Object.entries(perRound).map(([name, figures]) => [name, medianOf(figures) as Figures]),
  );

  const names = Object.keys(results);
  const base = results['sqlite']!;
  const other = results['etcd'];
  const row = (label: string, pick: (f: Figures) => number, fmt: (n: number) => string, higherIsBetter: boolean) => [
    label,
    ...names.map((n) => fmt(pick(results[n]!))),
    other ? (higherIsBetter ? fmtRatio(pick(base), pick(other)) : fmtRatio(pick(other), pick(base))) : '-',
  ];
  printTable(
    `Storage: ${keys.toLocaleString('en-US')} keys of ${valueBytes} B, ${concurrency} concurrent writers, median of ${rounds} rounds`,
    ['metric', ...names, 'sqlite vs etcd (x faster)'],
    [
      row('create, 1 writer', (f) => f.createSerialPerSec, fmtOps, true),
      row('create, 1 writer p99', (f) => f.createSerialP99Ms, fmtMs, false),
      row(`create, ${concurrency} writers`, (f) => f.createConcurrentPerSec, fmtOps, true),
      row(`create, ${concurrency} writers p99`, (f) => f.createConcurrentP99Ms, fmtMs, false),
      row(`load ${keys} keys`, (f) => f.loadSeconds * 1000, fmtMs, false),
      row('get p50', (f) => f.getMs.p50, fmtMs, false),
      row(`list all ${keys} p50`, (f) => f.listAllMs.p50, fmtMs, false),
      row(`list all ${keys} p99`, (f) => f.listAllMs.p99, fmtMs, false),
      row('list first 500 p50', (f) => f.listFirstPageMs.p50, fmtMs, false),
      row('list 500 mid-way at a revision p50', (f) => f.listMiddlePageAtRevisionMs.p50, fmtMs, false),
      row('write to watch event p50', (f) => f.watchEventMs.p50, fmtMs, false),
      row('write to watch event p99', (f) => f.watchEventMs.p99, fmtMs, false),
    ],
  );
  return { keys, seconds, concurrency, valueBytes, rounds, median: results, rounds_detail: perRound };
}

/** Median of each numeric field across rounds (objects of the same shape). */
function medianOf(values: unknown[]): unknown {
  const first = values[0];
  if (typeof first === 'number') {
    const s = (values as number[]).slice().sort((a, b) => a - b);
    return s[s.length >> 1];
  }
  if (first && typeof first === 'object') {
    return Object.fromEntries(Object.keys(first).map((k) => [k, medianOf(values.map((v) => (v as Record<string, unknown>)[k]))]));
  }
  return first;
}

async function sqlite(file: string, synchronous: 'full' | 'normal') {
  const store = SqliteStore.open(file, { synchronous });
  return { store, stop: () => store.close() };
}

async function measure(
  name: string,
  store: Store,
  o: { keys: number; seconds: number; concurrency: number; value: Uint8Array },
): Promise<Figures> {
  const mustCreate = async (key: string) => {
    const r = await store.create(key, o.value);
    if (!r.ok) throw new Error(`${name}: create ${key} failed`);
  };
  const serial = await measureOps((i) => mustCreate(`/bench/serial/k${i}`), { seconds: o.seconds, label: `${name} create x1` });
  const concurrent = await measureOps((i) => mustCreate(`/bench/concurrent/k${i}`), {
    seconds: o.seconds,
    concurrency: o.concurrency,
    label: `${name} create x${o.concurrency}`,
  });

  const key = (i: number) => `/registry/pods/ns-${i % 10}/pod-${String(i).padStart(6, '0')}`;
  const load = await measureOps((i) => mustCreate(key(i)), { ops: o.keys, concurrency: 64, label: `${name} load` });

  const getMs = await measureLatency(() => store.get(key(o.keys >> 1)), 200, 10);
  const listAllMs = await measureLatency(async () => {
    const r = await store.list('/registry/pods/');
    if (r.items.length !== o.keys) throw new Error(`${name}: listed ${r.items.length} of ${o.keys}`);
  }, 10);
  const listFirstPageMs = await measureLatency(() => store.list('/registry/pods/', { limit: 500 }), 30);
  const pinned = await store.currentRevision();
  // A later write, so the pinned revision really is in the past.
  await mustCreate('/registry/pods/ns-0/zz-after');
  const sorted = Array.from({ length: o.keys }, (_, i) => key(i)).sort();
  const middle = sorted[sorted.length >> 1]!;
  const listMiddlePageAtRevisionMs = await measureLatency(
    () => store.list('/registry/pods/', { limit: 500, startAfter: middle, revision: pinned }),
    30,
  );
  const watchEventMs = await watchLatency(store, 300);
  return {
    createSerialPerSec: serial.opsPerSec,
    createSerialP99Ms: serial.latency.p99,
    createConcurrentPerSec: concurrent.opsPerSec,
    createConcurrentP99Ms: concurrent.latency.p99,
    loadSeconds: load.seconds,
    getMs,
    listAllMs,
    listFirstPageMs,
    listMiddlePageAtRevisionMs,
    watchEventMs,
  };
}

async function watchLatency(store: Store, writes: number): Promise<Latency> {
  const w = store.watch('/bench/watched/', await store.currentRevision());
  const it = w[Symbol.asyncIterator]();
  const samples: number[] = [];
  const value = new TextEncoder().encode('{}');
  for (let i = 0; i < writes; i++) {
    const t0 = nowMs();
    const arrived = it.next().then(() => nowMs());
    await store.create(`/bench/watched/k${i}`, value);
    samples.push((await arrived) - t0);
  }
  w.close();
  return percentiles(samples);
}

/** A JSON document of about `bytes` bytes, shaped like a small object (what the API server stores). */
function objectOfSize(bytes: number): Uint8Array {
  const head = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bench', namespace: 'default' }, spec: { pad: '' } };
  const base = JSON.stringify(head).length;
  head.spec.pad = 'x'.repeat(Math.max(0, bytes - base));
  return new TextEncoder().encode(JSON.stringify(head));
}
