/**
 * The bridge to build/proxy.wasm: loads it (next to the package root, so it works from src/ under vitest and
 * from dist/src/ after tsc), flattens service ports into the typed tables assembly/proxy/tables.ts describes,
 * and wraps the text the module writes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { servicePortName, type ProxyConfig, type ServicePortInfo } from '../model.js';
import type { IptablesCompiler, RestoreText } from './types.js';
import { cidrContains } from '../reference/names.js';
import { LARGE_CLUSTER_ENDPOINTS } from '../reference/iptables.js';

// tsconfig's lib has no WebAssembly typings (no DOM); the few members used here, declared locally.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: object };
};

interface ProxyExports {
  memory: { buffer: ArrayBuffer };
  inputBase(bytes: number): number;
  msgPtr(): number;
  hash16(len: number): number;
  result(): number;
  compileFull(): void;
  compilePartial(): void;
}

let cached: ProxyExports | null = null;

function findWasm(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'build', 'proxy.wasm');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('build/proxy.wasm not found above ' + dirname(fileURLToPath(import.meta.url)) + '; run `npm run build:wasm:proxy`');
}

/** The module instance (one per process; compilers take turns, calls are synchronous). */
export function proxyWasm(): ProxyExports {
  if (cached) return cached;
  const module = new WebAssembly.Module(readFileSync(findWasm()));
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort(_msg: number, _file: number, line: number, col: number): never {
        throw new Error(`proxy.wasm aborted at ${line}:${col}`);
      },
    },
  });
  cached = instance.exports as unknown as ProxyExports;
  return cached;
}

const encoder = new TextEncoder();

/** kube-proxy's chain name, hashed in WASM: prefix + base32(sha256(servicePortName + protocol + endpoint))[:16]. */
export function chainName(prefix: string, name: string, protocol: string, endpoint = ''): string {
  const w = proxyWasm();
  const msg = name + protocol.toLowerCase() + endpoint;
  const dst = new Uint8Array(w.memory.buffer, w.msgPtr(), 1024);
  const { read, written } = encoder.encodeInto(msg, dst);
  if (read !== msg.length) throw new Error(`chain name input too long (${msg.length} characters, at most 1024 bytes)`);
  const p = w.hash16(written);
  return prefix + Buffer.from(w.memory.buffer, p, 16).toString('latin1');
}

// Header and record layouts: keep in step with assembly/proxy/tables.ts.
const HEADER_WORDS = 16;
const SVC_WORDS = 18;
const EP_WORDS = 4;
const PROTO: Record<string, number> = { TCP: 0, UDP: 1, SCTP: 2 };

/**
 * Lays services (and optional old/new pairs) out as the module's tables, straight into its memory: a counting
 * pass sizes the input, a second pass writes records and ASCII string bytes (no intermediate arrays, which at
 * 50,000 service ports cost more than the compile itself).
 */
export function flatten(config: ProxyConfig, services: readonly ServicePortInfo[], large: boolean, pairs: number[] | null): void {
  let nEp = 0;
  let nStr = 0;
  let nBytes = 0;
  for (const sp of services) {
    nEp += sp.endpoints.length;
    nStr += 1 + sp.externalIPs.length + sp.loadBalancerIPs.length + sp.loadBalancerSourceRanges.length + sp.endpoints.length;
    nBytes += sp.namespace.length + sp.name.length + sp.portName.length + 2 + sp.clusterIP.length;
    for (const x of sp.externalIPs) nBytes += x.length;
    for (const x of sp.loadBalancerIPs) nBytes += x.length;
    for (const x of sp.loadBalancerSourceRanges) nBytes += x.length;
    for (const e of sp.endpoints) nBytes += e.ip.length;
  }
  nStr += 1 + config.nodeIPs.length;
  nBytes += config.clusterCIDR.length;
  for (const x of config.nodeIPs) nBytes += x.length;
  const nSvc = services.length;
  const nPairs = pairs ? pairs.length / 2 : 0;
  const svcOff = HEADER_WORDS;
  const epOff = svcOff + nSvc * SVC_WORDS;
  const strOff = epOff + nEp * EP_WORDS;
  const pairsOff = strOff + nStr * 2;
  const totalWords = pairsOff + nPairs * 2;
  const wasm = proxyWasm();
  const base = wasm.inputBase(totalWords * 4 + nBytes);
  const w = new Int32Array(wasm.memory.buffer, base, totalWords);
  const b = new Uint8Array(wasm.memory.buffer, base + totalWords * 4, nBytes);
  w.fill(0, 0, HEADER_WORDS);
  let pos = 0;
  let si = 0;
  const put = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) throw new Error(`service names and addresses must be ASCII: ${JSON.stringify(s)}`);
      b[pos++] = c;
    }
  };
  const str = (s: string): number => {
    w[strOff + si * 2] = pos;
    w[strOff + si * 2 + 1] = s.length;
    put(s);
    return si++;
  };
  let e = 0;
  const node = config.nodeIPs[0];
  for (let s = 0; s < nSvc; s++) {
    const sp = services[s]!;
    const o = svcOff + s * SVC_WORDS;
    w[o] = pos;
    put(sp.namespace);
    b[pos++] = 47; // '/'
    put(sp.name);
    if (sp.portName) {
      b[pos++] = 58; // ':'
      put(sp.portName);
    }
    w[o + 1] = pos - w[o]!;
    // The module hashes name + protocol + endpoint in a 1,024-byte buffer; Kubernetes names are far shorter.
    if (w[o + 1]! > 900) throw new Error(`service port name too long for a chain hash: ${servicePortName(sp).slice(0, 80)}…`);
    for (const p of [sp.port, sp.nodePort, sp.healthCheckNodePort]) {
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`${servicePortName(sp)}: port ${p} out of range`);
    }
    const proto = PROTO[sp.protocol];
    if (proto === undefined) throw new Error(`${servicePortName(sp)}: unsupported protocol ${String(sp.protocol)}`);
    w[o + 2] = proto;
    w[o + 3] = str(sp.clusterIP);
    w[o + 4] = 0;
    w[o + 5] = sp.port;
    w[o + 6] = sp.nodePort;
    w[o + 7] = sp.healthCheckNodePort;
    w[o + 8] = sp.affinityTimeoutSeconds;
    let allow = false;
    if (node !== undefined) for (const r of sp.loadBalancerSourceRanges) if (cidrContains(r, node)) allow = true;
    w[o + 9] = (sp.internalTrafficLocal ? 1 : 0) | (sp.externalTrafficLocal ? 2 : 0) | (allow ? 4 : 0);
    w[o + 10] = si;
    for (const ip of sp.externalIPs) str(ip);
    w[o + 11] = sp.externalIPs.length;
    w[o + 12] = si;
    for (const ip of sp.loadBalancerIPs) str(ip);
    w[o + 13] = sp.loadBalancerIPs.length;
    w[o + 14] = si;
    for (const r of sp.loadBalancerSourceRanges) str(r);
    w[o + 15] = sp.loadBalancerSourceRanges.length;
    w[o + 16] = e;
    w[o + 17] = sp.endpoints.length;
    for (const ep of sp.endpoints) {
      if (!Number.isInteger(ep.port) || ep.port < 0 || ep.port > 65535) throw new Error(`${servicePortName(sp)}: endpoint port ${ep.port} out of range`);
      if (ep.ip.length > 45) throw new Error(`${servicePortName(sp)}: endpoint address ${ep.ip.slice(0, 60)} is not an IP`);
      const eo = epOff + e * EP_WORDS;
      w[eo] = str(ep.ip);
      w[eo + 1] = 0;
      w[eo + 2] = ep.port;
      w[eo + 3] = (ep.ready ? 1 : 0) | (ep.serving ? 2 : 0) | (ep.terminating ? 4 : 0) | (ep.isLocal ? 8 : 0);
      e++;
    }
  }
  const cidr = config.clusterCIDR === '' ? -1 : str(config.clusterCIDR);
  const nodeStart = si;
  for (const ip of config.nodeIPs) str(ip);
  if (pairs) w.set(pairs, pairsOff);
  w[0] = nSvc;
  w[1] = nEp;
  w[2] = si;
  w[3] = pos;
  w[4] = svcOff * 4;
  w[5] = epOff * 4;
  w[6] = strOff * 4;
  w[7] = totalWords * 4;
  w[8] = cidr;
  w[9] = nodeStart;
  w[10] = config.nodeIPs.length;
  w[11] = config.masqueradeBit;
  w[12] = large ? 1 : 0;
  // Output capacity: a generous estimate so the module rarely has to move its buffer.
  w[13] = pairs ? 65536 : Math.min(2 ** 31 - 1, 65536 + nSvc * (700 + 4 * 40) + nEp * (300 + 4 * 40));
  w[14] = nPairs;
  w[15] = pairsOff * 4;
}

/** Bumped on every compile: output views into the module's memory are valid until the next one. */
let generation = 0;

/**
 * Output held in the module's memory until first read: `bytes` copies it out once (stable afterwards; at
 * 50,000 service ports the copy is ~100 ms of page faults, so callers that only stream it can use view(),
 * valid until the next compile by any WASM compiler in this process). `text` decodes once and stays valid.
 */
class WasmText implements RestoreText {
  private decoded: string | undefined;
  private copied: Uint8Array | undefined;
  private readonly gen = generation;
  constructor(
    private readonly mem: Uint8Array,
    readonly kind: 'full' | 'partial',
    readonly filterRules: number,
    readonly natRules: number,
    readonly filterChains: number,
    readonly natChains: number,
  ) {}
  private live(): Uint8Array {
    if (this.gen !== generation) throw new Error('compiler output was overwritten by a later compile; read bytes or text before compiling again');
    return this.mem;
  }
  view(): Uint8Array {
    return this.copied ?? this.live();
  }
  get bytes(): Uint8Array {
    return (this.copied ??= this.live().slice());
  }
  get text(): string {
    if (this.decoded === undefined) {
      const v = this.view();
      this.decoded = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
    }
    return this.decoded;
  }
  copy(): Uint8Array {
    return this.bytes.slice();
  }
}

function run(partial: boolean): RestoreText {
  const w = proxyWasm();
  generation++;
  if (partial) w.compilePartial();
  else w.compileFull();
  const r = new Int32Array(w.memory.buffer, w.result(), 6);
  const view = new Uint8Array(w.memory.buffer, r[0]! >>> 0, r[1]!);
  return new WasmText(view, partial ? 'partial' : 'full', r[2]!, r[3]!, r[4]!, r[5]!);
}

function countEndpoints(model: Iterable<ServicePortInfo>): number {
  let n = 0;
  for (const sp of model) n += sp.endpoints.length;
  return n;
}

export class WasmIptablesCompiler implements IptablesCompiler {
  private state: Map<string, ServicePortInfo> | null = null;
  private endpoints = 0;
  private large = false;

  constructor(private readonly config: ProxyConfig) {
    proxyWasm();
  }

  reset(): void {
    this.state = null;
  }

  full(model: readonly ServicePortInfo[]): RestoreText {
    const endpoints = countEndpoints(model);
    const large = endpoints > LARGE_CLUSTER_ENDPOINTS;
    flatten(this.config, model, large, null);
    const out = run(false);
    const state = new Map<string, ServicePortInfo>();
    for (const sp of model) state.set(servicePortName(sp), sp);
    this.state = state;
    this.endpoints = endpoints;
    this.large = large;
    return out;
  }

  partial(changed: readonly ServicePortInfo[], removed: readonly string[]): RestoreText {
    const state = this.state;
    if (state === null) throw new Error('iptables compiler: partial() before full()');
    let endpoints = this.endpoints;
    for (const name of removed) endpoints -= state.get(name)?.endpoints.length ?? 0;
    for (const sp of changed) endpoints += sp.endpoints.length - (state.get(servicePortName(sp))?.endpoints.length ?? 0);
    const large = endpoints > LARGE_CLUSTER_ENDPOINTS;
    if (large !== this.large) {
      const next = new Map(state);
      for (const name of removed) next.delete(name);
      for (const sp of changed) next.set(servicePortName(sp), sp);
      return this.full([...next.values()]);
    }
    // Stage the new state aside: bad input throws from flatten() and must leave the compiler as it was.
    const staged = new Map<string, ServicePortInfo | null>();
    const current = (name: string): ServicePortInfo | undefined => (staged.has(name) ? staged.get(name) ?? undefined : state.get(name));
    const services: ServicePortInfo[] = [];
    const pairs: number[] = [];
    for (const name of removed) {
      const old = current(name);
      if (old === undefined) continue;
      services.push(old);
      pairs.push(services.length - 1, -1);
      staged.set(name, null);
    }
    for (const sp of changed) {
      const name = servicePortName(sp);
      const old = current(name);
      let oi = -1;
      if (old !== undefined) {
        services.push(old);
        oi = services.length - 1;
      }
      services.push(sp);
      pairs.push(oi, services.length - 1);
      staged.set(name, sp);
    }
    flatten(this.config, services, large, pairs);
    const out = run(true);
    for (const [name, sp] of staged) {
      if (sp === null) state.delete(name);
      else state.set(name, sp);
    }
    this.endpoints = endpoints;
    return out;
  }
}
