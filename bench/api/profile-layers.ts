/**
 * Where the secure server's extra CPU per create goes, from the security part's CPU profiles (--profile DIR): each
 * sample's self time is put in a layer by the function it landed in (TLS's native write, authentication,
 * authorisation, APF, admission, validation, storage, …), summed per config and divided by that config's creates.
 * The profiler samples the thread's wall time: when the samples add up to more than the thread's measured CPU (a
 * busy machine stretched them), they are scaled down to it; when to less, the rest is a row of its own, CPU the
 * profiler did not see: native work it counts as idle (perf put it in OpenSSL, TLSWrap and malloc on the secure
 * side: TLS reads and decryption). Scaling every layer up to the measured CPU instead, as this did before, spread
 * that TLS work over all layers, and identical code read 10-15% slower on the secure side. The secure minus plain
 * column is what each layer costs.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './security.js';

/** The parts of a V8 .cpuprofile this reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

type Frame = CpuProfile['nodes'][number]['callFrame'];

/** Layers in the order they are tried; the first that matches a frame takes its self time. */
export const LAYERS: readonly { name: string; matches: (f: Frame) => boolean }[] = [
  { name: 'TLS: encrypt + write (native writev)', matches: (f) => f.url === '' && f.functionName === 'writev' },
  { name: 'node net/stream/tls internals', matches: (f) => /^node:(_tls|tls|net|internal\/stream|internal\/tls)/.test(f.url) },
  { name: 'node http', matches: (f) => /^node:_http/.test(f.url) },
  { name: 'authentication (auth/)', matches: (f) => /\/api\/auth\//.test(f.url) },
  { name: 'authorisation (authz/)', matches: (f) => /\/api\/authz\//.test(f.url) },
  { name: 'APF and limits (flowcontrol/, limits/)', matches: (f) => /\/api\/(flowcontrol|limits)\//.test(f.url) },
  { name: 'ServiceAccount admission', matches: (f) => /\/admission\/service-account\./.test(f.url) },
  { name: 'other admission', matches: (f) => /\/api\/admission\//.test(f.url) },
  { name: 'validation', matches: (f) => /(strategies\/podspec\.|strategies\/pod\.|\/api\/validation\/(?!decode-types))/.test(f.url) },
  { name: 'encode for storage (stored-form)', matches: (f) => /stored-form\./.test(f.url) },
  { name: 'watch cache (watch/)', matches: (f) => /\/api\/watch\//.test(f.url) },
  { name: 'storage (storage/, sqlite statements, fdatasync)', matches: (f) => /\/storage\//.test(f.url) || (f.url === '' && ['run', 'fdatasync', 'get', 'all'].includes(f.functionName)) },
  { name: 'request body decoding', matches: (f) => /\/api\/(content\.|validation\/decode-types\.)/.test(f.url) },
  { name: 'managed fields (patch/apply/)', matches: (f) => /\/patch\/apply\//.test(f.url) },
  { name: 'garbage collector', matches: (f) => f.functionName === '(garbage collector)' },
  { name: '(program)', matches: (f) => f.functionName === '(program)' },
  { name: 'fastify, find-my-way', matches: (f) => /node_modules\/(fastify|find-my-way)\//.test(f.url) },
  { name: 'other project code', matches: (f) => /\/src\//.test(f.url) },
  { name: 'other', matches: () => true },
];

/** Not the server's work: the thread waiting, and the profiler's own stop call (inspector `dispatch`). */
const skipped = (f: Frame): boolean => f.functionName === '(idle)' || (f.url === '' && f.functionName === 'dispatch');

/** Self time (µs) per layer of one profile. */
export function layerTimes(p: CpuProfile): Map<string, number> {
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const out = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const f = frames.get(p.samples[i]!);
    if (!f || skipped(f)) continue;
    const layer = LAYERS.find((l) => l.matches(f))!.name;
    out.set(layer, (out.get(layer) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  return out;
}

export interface LayerRow { layer: string; plain: number; secure: number }

/**
/** The row of CPU the profiler did not see (see the header). */
export const UNSAMPLED = 'not seen by the profiler (native work it counts as idle)';

/**
 * Per create, per layer, for each config: the profiles' self time summed over rounds and divided by that config's
 * creates, scaled down when it adds up to more than the config's measured server-thread CPU per create; what the
 * measured CPU has beyond the samples is the UNSAMPLED row. The rows add up to the measured CPU (to the samples
 * where there is no measured figure, off Linux).
 */
export function layerTable(profiles: Record<Config, CpuProfile[]>, creates: Record<Config, number>, serverCpuUs: Record<Config, number>): LayerRow[] {
  const perCreate = {} as Record<Config, Map<string, number>>;
  for (const c of ['plain', 'secure'] as const) {
    const sum = new Map<string, number>();
    for (const p of profiles[c]) for (const [k, v] of layerTimes(p)) sum.set(k, (sum.get(k) ?? 0) + v);
    const sampled = [...sum.values()].reduce((a, b) => a + b, 0) / Math.max(1, creates[c]);
    const measured = serverCpuUs[c];
    const scale = (Number.isFinite(measured) && sampled > measured ? measured / sampled : 1) / Math.max(1, creates[c]);
    perCreate[c] = new Map([...sum].map(([k, v]) => [k, v * scale]));
    perCreate[c].set(UNSAMPLED, Number.isFinite(measured) ? Math.max(0, measured - sampled) : 0);
  }
  return [...LAYERS.map((l) => l.name), UNSAMPLED].map((layer) => ({ layer, plain: perCreate.plain.get(layer) ?? 0, secure: perCreate.secure.get(layer) ?? 0 }));
}

/** The profiles the security part wrote (<config>-round<N>.cpuprofile). */
export function readProfiles(dir: string): Record<Config, CpuProfile[]> {
  const out: Record<Config, CpuProfile[]> = { plain: [], secure: [] };
  for (const f of readdirSync(dir)) {
    const m = /^(plain|secure)-round\d+\.cpuprofile$/.exec(f);
    if (m) out[m[1] as Config].push(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile);
  }
  return out;
}
