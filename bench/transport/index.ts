/**
 * The API server's transport alone: server CPU per request for a Lease-sized PUT over TLS, by how the client
 * speaks to it. Issue 8's heartbeats are ~1,500 such PUTs a second from one agent; this answers whether HTTP/2
 * (kube-apiserver's default, client-go's choice) or HTTP/1.1 pipelining would cost the server less than today's
 * HTTP/1.1 keep-alive pool, before anything is built on either.
 *
 *   npm run bench -- transport [--rate 1500] [--seconds 5] [--rounds 3] [--no-batch]
 *
 * Each case runs a fresh server process (bench/transport/server.ts: fastify, the API server's TLS preferences)
 * and an open-loop client in this process at --rate requests/s for --seconds; cases alternate within each round,
 * so a loaded machine weighs on all of them alike. Figures: the server's CPU (user+system, process.cpuUsage) per
 * request served, median over rounds, and its ratio to h1-pool; the client's (this process's) CPU per request. By default the server completes requests once per
 * turn of its event loop, as the sqlite store commits (--no-batch: each at once).
 *
 * Cases: h1-pool (undici Pool, 40 connections: RestClient and the node agent today), h1-pipelined (4 connections,
 * 10 requests in flight each), h1-pool@h2 (h1-pool against a server with HTTP/2 on and HTTP/1.1 allowed),
 * h2-undici (undici with allowH2, one connection), h2-node (node:http2, one session); without TLS, for what TLS and
 * TCP themselves cost: h1-plain (h1-pool's client, plain HTTP) and h1-unix (the same over a Unix socket).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { Pool } from 'undici';
import { createClusterCA } from '../../src/control/pki/ca.js';
import { issueCertificate } from '../../src/control/pki/issue.js';
import { flag, fmtNum, fmtRatio, median, numberFlag, printTable } from '../runner/index.js';

const SERVER = resolve(import.meta.dirname, 'server.js');
const LEASE_PATH = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/';

type CaseName = 'h1-pool' | 'h1-pipelined' | 'h1-pool@h2' | 'h2-undici' | 'h2-node' | 'h1-plain' | 'h1-unix';
type ServerMode = 'h1' | 'h2' | 'plain' | 'unix';
const CASES: { name: CaseName; server: ServerMode }[] = [
  { name: 'h1-pool', server: 'h1' },
  { name: 'h1-pipelined', server: 'h1' },
  { name: 'h1-pool@h2', server: 'h2' },
  { name: 'h2-undici', server: 'h2' },
  { name: 'h2-node', server: 'h2' },
  { name: 'h1-plain', server: 'plain' },
  { name: 'h1-unix', server: 'unix' },
];

/** A node agent's Lease, as it renews it (about 700 bytes with managedFields). */
function leaseBody(i: number): string {
  const name = `node-${i}`;
  return JSON.stringify({
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
    metadata: {
      name, namespace: 'kube-node-lease', uid: `0c1f0e8a-1111-2222-3333-${String(i).padStart(12, '0')}`, resourceVersion: '12345',
      creationTimestamp: '2026-12-03T21:00:00Z',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: `1c1f0e8a-1111-2222-3333-${String(i).padStart(12, '0')}` }],
      managedFields: [{
        manager: 'skiff-nodes', operation: 'Update', apiVersion: 'coordination.k8s.io/v1', time: '2026-12-03T21:00:00Z', fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:ownerReferences': { '.': {} } }, 'f:spec': { 'f:holderIdentity': {}, 'f:leaseDurationSeconds': {}, 'f:renewTime': {} } },
      }],
    },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') },
  });
}

const HEADERS = { accept: 'application/json', 'user-agent': 'skiff-nodes', 'content-type': 'application/json' };

interface Client {
  put(i: number): Promise<void>;
  cpu(): Promise<{ us: number; served: number }>;
  close(): Promise<void>;
}

function undiciClient(origin: string, ca: string, opts: { connections: number; pipelining: number; h2: boolean; socketPath?: string }): Client {
  const connect = opts.socketPath ? { socketPath: opts.socketPath } : { ca };
  const pool = new Pool(origin, { connections: opts.connections, pipelining: opts.pipelining, allowH2: opts.h2, connect });
  return {
    async put(i) {
      const res = await pool.request({ method: 'PUT', path: LEASE_PATH + `node-${i}`, headers: HEADERS, body: leaseBody(i) });
      await res.body.arrayBuffer();
      if (res.statusCode !== 200) throw new Error(`PUT: ${res.statusCode}`);
    },
    async cpu() {
      const res = await pool.request({ method: 'GET', path: '/cpu' });
      const c = (await res.body.json()) as { userUs: number; systemUs: number; served: number };
      return { us: c.userUs + c.systemUs, served: c.served };
    },
    close: () => pool.close(),
  };
}

function http2Client(origin: string, ca: string): Client {
  const session: ClientHttp2Session = h2connect(origin, { ca });
  const call = (method: string, path: string, body?: string) => new Promise<{ status: number; body: Buffer }>((res, rej) => {
    const st = session.request({ ':method': method, ':path': path, ...(body !== undefined ? HEADERS : {}) });
    const chunks: Buffer[] = [];
    let status = 0;
    st.on('response', (h) => { status = Number(h[':status']); });
    st.on('data', (c: Buffer) => chunks.push(c));
    st.on('end', () => res({ status, body: Buffer.concat(chunks) }));
    st.on('error', rej);
    st.end(body);
  });
  return {
    async put(i) {
      const r = await call('PUT', LEASE_PATH + `node-${i}`, leaseBody(i));
      if (r.status !== 200) throw new Error(`PUT: ${r.status}`);
    },
    async cpu() {
      const c = JSON.parse((await call('GET', '/cpu')).body.toString('utf8')) as { userUs: number; systemUs: number; served: number };
      return { us: c.userUs + c.systemUs, served: c.served };
    },
    close: async () => { session.close(); },
  };
}

function clientFor(name: CaseName, origin: string, ca: string, dir: string): Client {
  if (name === 'h1-unix') return undiciClient('http://localhost', ca, { connections: 40, pipelining: 1, h2: false, socketPath: join(dir, 'api.sock') });
  if (name === 'h1-pool' || name === 'h1-pool@h2' || name === 'h1-plain') return undiciClient(origin, ca, { connections: 40, pipelining: 1, h2: false });
  if (name === 'h1-pipelined') return undiciClient(origin, ca, { connections: 4, pipelining: 10, h2: false });
  if (name === 'h2-undici') return undiciClient(origin, ca, { connections: 1, pipelining: 100, h2: true });
  return http2Client(origin, ca);
}

async function startServer(mode: ServerMode, dir: string, batch: boolean): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [SERVER, mode, dir, batch ? 'batch' : 'each'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((res, rej) => {
    let out = '';
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) res(Number(line));
    });
    proc.on('exit', (code) => rej(new Error(`transport server exited (${code})`)));
  });
  return { proc, port };
}

interface CaseRound {
  usPerRequest: number;
  /** This process's CPU per request: the client's side, plus the open loop's own small overhead. */
  clientUsPerRequest: number;
  achievedRate: number;
}

/** Open loop: `rate` PUTs a second for `seconds`, then the server's CPU per request over that span. */
async function runCase(name: CaseName, mode: ServerMode, dir: string, ca: string, rate: number, seconds: number, batch: boolean): Promise<CaseRound> {
  const { proc, port } = await startServer(mode, dir, batch);
  const client = clientFor(name, `${mode === 'plain' ? 'http' : 'https'}://127.0.0.1:${port}`, ca, dir);
  try {
    for (let i = 0; i < 200; i++) await client.put(i);
    const before = await client.cpu();
    const clientBefore = process.cpuUsage();
    const t0 = performance.now();
    let sent = 0;
    let done = 0;
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    while (performance.now() - t0 < seconds * 1000) {
      const due = Math.floor(((performance.now() - t0) * rate) / 1000) - sent;
      for (let k = 0; k < due; k++) {
        const p: Promise<void> = client.put(sent++ % 15_000).then(() => { done++; }, (err: unknown) => { failure ??= err; }).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
    const elapsed = (performance.now() - t0) / 1000;
    const clientCpu = process.cpuUsage(clientBefore);
    const after = await client.cpu();
    const served = Math.max(1, after.served - before.served);
    return { usPerRequest: (after.us - before.us) / served, clientUsPerRequest: (clientCpu.user + clientCpu.system) / served, achievedRate: done / elapsed };
  } finally {
    await client.close().catch(() => {});
    proc.kill('SIGTERM');
  }
}

export async function run(args: string[]): Promise<unknown> {
  const rate = numberFlag(args, 'rate', 1500);
  const seconds = numberFlag(args, 'seconds', 5);
  const rounds = numberFlag(args, 'rounds', 3);
  const batch = !args.includes('--no-batch');
  const only = flag(args, 'cases')?.split(',');
  const cases = CASES.filter((c) => !only || only.includes(c.name));
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-transport-'));
  try {
    const ca = createClusterCA();
    const cert = issueCertificate(ca, { commonName: '127.0.0.1', ipAddresses: ['127.0.0.1'], usages: ['server'] });
    writeFileSync(join(dir, 'tls.crt'), cert.certPem);
    writeFileSync(join(dir, 'tls.key'), cert.keyPem);
    const results = new Map<CaseName, CaseRound[]>(cases.map((c) => [c.name, []]));
    const loads: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const c of cases) results.get(c.name)!.push(await runCase(c.name, c.server, dir, ca.certPem, rate, seconds, batch));
      loads.push(loadavg()[0]!);
    }
    const base = median(results.get(cases[0]!.name)!.map((x) => x.usPerRequest));
    const rows = cases.map((c) => {
      const rs = results.get(c.name)!;
      const us = median(rs.map((x) => x.usPerRequest));
      return [c.name, fmtNum(us), fmtRatio(us, base), rs.map((x) => fmtNum(x.usPerRequest)).join(' / '), fmtNum(median(rs.map((x) => x.clientUsPerRequest))), fmtNum(median(rs.map((x) => x.achievedRate)))];
    });
    printTable(
      `server CPU per Lease PUT at ${rate}/s, ${rounds} rounds of ${seconds} s (${batch ? 'completed once per turn' : 'each completed at once'}; load 1m ${loads.map((l) => l.toFixed(1)).join(', ')})`,
      ['case', 'server µs/request (median)', `vs ${cases[0]!.name}`, 'per round', 'client µs/request', 'achieved req/s'],
      rows,
    );
    return { rate, seconds, rounds, batch, loadAverage1m: loads, cases: Object.fromEntries([...results].map(([k, v]) => [k, v])) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
