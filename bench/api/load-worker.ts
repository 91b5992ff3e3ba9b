/**
 * The load generator of bench/api's security comparison, as a process of its own in a session of its own: the
 * clients' JSON and TLS work runs neither on the API server's event loop nor in its process, as kubectl's and
 * controllers' would not. A process, not a worker thread: Linux's scheduler (autogroup) shares a busy machine
 * between sessions, so a client thread in the server's process took its CPU from the server's share, and the
 * secure side's client TLS lowered the secure server's throughput. One process per server; the bench sends a job
 * (the first message is the LoadWorkerData), the process answers each with its figures, and exits when the
 * bench closes the channel (or goes away).
 */
import { setMaxListeners } from 'node:events';
import { measureOps, nowMs, percentiles, type Latency, type Throughput } from '../runner/measure.js';
import { Transport, type ClientTls } from './transport.js';

export interface LoadWorkerData {
  origin: string;
  tls?: ClientTls;
  concurrency: number;
  namespace: string;
}

export type LoadJob =
  | { op: 'creates'; prefix: string; seconds: number; ops?: number }
  | { op: 'watch'; prefix: string; watchers: number; events: number }
  | { op: 'close' };

export type LoadReply =
  | { ok: true; creates?: Throughput & { clientCpuUs: number }; watch?: Latency }
  | { ok: false; error: string };

const podJson = (ns: string, name: string, i: number) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { app: `app-${i % 20}`, tier: i % 2 ? 'fe' : 'be' } },
  spec: { containers: [{ name: 'c', image: 'registry.example/app:1.0', ports: [{ containerPort: 8080 }] }] },
});

/** Each write's event timed at every one of `watchers` streams, `events` writes one at a time. */
async function watchFanOut(t: Transport, ns: string, prefix: string, watchers: number, events: number): Promise<Latency> {
  const list = JSON.parse((await t.send('GET', `/api/v1/namespaces/${ns}/configmaps?limit=1`)).text) as { metadata: { resourceVersion: string } };
  const sent = new Map<string, number>();
  const samples: number[] = [];
  const ac = new AbortController();
  // Every stream listens on the one signal.
  setMaxListeners(watchers + 10, ac.signal);
  let ready = 0;
  const re = new RegExp(`"name":"(${prefix}-\\d+)"`);
  const streams = Array.from({ length: watchers }, () =>
    t.watch(`/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${list.metadata.resourceVersion}`, ac.signal, () => ready++, (line) => {
      const m = re.exec(line);
      const t0 = m ? sent.get(m[1]!) : undefined;
      if (t0 !== undefined) samples.push(nowMs() - t0);
    }));
  const openBy = Date.now() + 30_000;
  while (ready < watchers) {
    if (Date.now() > openBy) throw new Error(`only ${ready}/${watchers} watches opened`);
    await new Promise((res) => setTimeout(res, 10));
  }
  for (let i = 0; i < events; i++) {
    const name = `${prefix}-${i}`;
    const target = (i + 1) * watchers;
    sent.set(name, nowMs());
    await t.create(`/api/v1/namespaces/${ns}/configmaps`, { metadata: { name }, data: { i: String(i) } });
    const deadline = Date.now() + 5000;
    while (samples.length < target && Date.now() < deadline) await new Promise((res) => setImmediate(res));
  }
  ac.abort();
  await Promise.allSettled(streams);
  return percentiles(samples);
}

let data: LoadWorkerData | undefined;
let transport: Transport | undefined;
const send = (reply: LoadReply) => process.send!(reply);
// The bench's end (or its death) closes the channel: this process must not outlive it.
process.on('disconnect', () => {
  void transport?.close().finally(() => process.exit(0));
  if (!transport) process.exit(0);
});
process.on('message', (msg: LoadWorkerData | LoadJob) => {
  if (!data) {
    data = msg as LoadWorkerData;
    transport = new Transport(data.origin, data.tls, data.concurrency);
    return;
  }
  const job = msg as LoadJob;
  const d = data;
  const t = transport!;
  void (async (): Promise<LoadReply> => {
    try {
      if (job.op === 'close') {
        await t.close();
        return { ok: true };
      }
      if (job.op === 'creates') {
        const cpu0 = process.cpuUsage();
        const creates = await measureOps((i) => t.create(`/api/v1/namespaces/${d.namespace}/pods`, podJson(d.namespace, `${job.prefix}-${i}`, i)), {
          seconds: job.seconds, concurrency: d.concurrency, ...(job.ops !== undefined ? { ops: job.ops } : {}),
        });
        const cpu = process.cpuUsage(cpu0);
        return { ok: true, creates: { ...creates, clientCpuUs: cpu.user + cpu.system } };
      }
      return { ok: true, watch: await watchFanOut(t, d.namespace, job.prefix, job.watchers, job.events) };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  })().then(send);
});
