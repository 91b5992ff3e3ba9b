/**
 * A throw-away cluster network built from network namespaces, for dataplane tests. Everything lives in
 * namespaces named `skiff-t-<run>-…` (unique per run); the host's own namespace is never configured: every
 * command goes through `ip -n NAME` or `ip netns exec NAME`. Cleanup deletes only the names this run created
 * and kills only the processes it started (by PID), also on failure and on process exit.
 *
 *   client ns ──veth── node1 ns (br0 10.244.1.1/24) ──veth── pod ns … (10.244.1.x)
 *  192.168.100.2      192.168.100.1
 *                        │ 10.100.0.1/30 (routed link)
 *                     node2 ns (br0 10.244.2.1/24) ──veth── pod ns … (10.244.2.x)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { commandPath } from '../setup/commands.js';

export const CLIENT_IP = '192.168.100.2';
export const NODE1_IP = '192.168.100.1';
export const NODE2_LINK_IP = '10.100.0.2';
export const CLUSTER_CIDR = '10.244.0.0/16';

/** Why dataplane tests cannot run here, or null when they can. */
export function dataplaneSkipReason(tools: string[] = ['nft']): string | null {
  if (process.platform !== 'linux') return 'dataplane tests need Linux network namespaces';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'dataplane tests need root (network namespaces)';
  for (const t of ['ip', ...tools]) {
    if (!commandPath(t)) return `dataplane tests need the '${t}' command`;
  }
  return null;
}

function run(argv: string[], input?: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export interface Pod {
  name: string;
  ns: string;
  ip: string;
  node: 1 | 2;
  port: number;
}

const live = new Set<NetnsLab>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const lab of live) lab.cleanupSync();
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const lab of live) lab.cleanupSync();
      process.exit(130);
    });
  }
}

export class NetnsLab {
  readonly run: string;
  private readonly created: string[] = [];
  private readonly procs: ChildProcess[] = [];
  readonly pods: Pod[] = [];
  node1 = '';
  node2 = '';
  client = '';

  private constructor() {
    this.run = `${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`;
  }

  name(suffix: string): string {
    return `skiff-t-${this.run}-${suffix}`;
  }

  addNetns(suffix: string): string {
    const n = this.name(suffix);
    run(['ip', 'netns', 'add', n]);
    this.created.push(n);
    run(['ip', '-n', n, 'link', 'set', 'lo', 'up']);
    return n;
  }

  /** Run `cmd` inside namespace `ns` and return stdout (throws on failure). */
  exec(ns: string, cmd: string[], input?: string): string {
    if (!this.created.includes(ns)) throw new Error(`netns ${ns} was not created by this lab`);
    return run(['ip', 'netns', 'exec', ns, ...cmd], input);
  }

  private ipn(ns: string, args: string): void {
    run(['ip', '-n', ns, ...args.split(' ')]);
  }

  /** Build the two-node topology with `pods1` pods on node 1 and `pods2` on node 2. */
  static async create(pods1: number, pods2: number, port = 8080): Promise<NetnsLab> {
    const lab = new NetnsLab();
    live.add(lab);
    hookExit();
    try {
      lab.build(pods1, pods2, port);
      await Promise.all(lab.pods.map((p) => lab.startServer(p)));
    } catch (e) {
      await lab.cleanup();
      throw e;
    }
    return lab;
  }

  private build(pods1: number, pods2: number, port: number): void {
    const n1 = (this.node1 = this.addNetns('n1'));
    const n2 = (this.node2 = this.addNetns('n2'));
    const c = (this.client = this.addNetns('c'));
    // Safety net: these must be fresh namespaces, never the host's.
    for (const ns of [n1, n2, c]) {
      const id = this.exec(ns, ['ip', 'netns', 'identify']).trim();
      if (id !== ns) throw new Error(`netns identify says ${JSON.stringify(id)} inside ${ns}`);
    }
    for (const ns of [n1, n2]) {
      this.exec(ns, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      // Rejects answer with ICMP; the per-namespace rate limit would turn back-to-back rejects into 1 s SYN retries.
      this.exec(ns, ['sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0']);
    }
    // client <-> node1
    this.ipn(n1, `link add eth-c type veth peer name eth0 netns ${c}`);
    this.ipn(n1, `addr add ${NODE1_IP}/24 dev eth-c`);
    this.ipn(n1, 'link set eth-c up');
    this.ipn(c, `addr add ${CLIENT_IP}/24 dev eth0`);
    this.ipn(c, 'link set eth0 up');
    this.ipn(c, `route add default via ${NODE1_IP}`);
    // node1 <-> node2, routed
    this.ipn(n1, `link add eth-n2 type veth peer name eth-n1 netns ${n2}`);
    this.ipn(n1, 'addr add 10.100.0.1/30 dev eth-n2');
    this.ipn(n1, 'link set eth-n2 up');
    this.ipn(n2, `addr add ${NODE2_LINK_IP}/30 dev eth-n1`);
    this.ipn(n2, 'link set eth-n1 up');
    this.ipn(n1, `route add 10.244.2.0/24 via ${NODE2_LINK_IP}`);
    this.ipn(n2, 'route add default via 10.100.0.1');
    // Like a real node, node 1 has a default route, so a ClusterIP without rules is routable (and then rejected).
    this.ipn(n1, `route add default via ${NODE2_LINK_IP}`);
    for (const [node, ns, count] of [[1, n1, pods1], [2, n2, pods2]] as const) {
      this.ipn(ns, 'link add br0 type bridge');
      this.ipn(ns, `addr add 10.244.${node}.1/24 dev br0`);
      this.ipn(ns, 'link set br0 up');
      for (let i = 0; i < count; i++) {
        const name = `p${node}${String.fromCharCode(97 + i)}`;
        const pns = this.addNetns(name);
        const ip = `10.244.${node}.${10 + i}`;
        this.ipn(ns, `link add v-${name} type veth peer name eth0 netns ${pns}`);
        this.ipn(ns, `link set v-${name} master br0`);
        this.ipn(ns, `link set v-${name} up`);
        this.ipn(pns, `addr add ${ip}/24 dev eth0`);
        this.ipn(pns, 'link set eth0 up');
        this.ipn(pns, `route add default via 10.244.${node}.1`);
        this.pods.push({ name, ns: pns, ip, node, port });
      }
    }
  }

  /** An HTTP server inside the pod that answers its pod name; `ip netns exec` execs node, so the PID is node's. */
  private startServer(p: Pod): Promise<void> {
    const code =
      `const s=require('http').createServer((q,r)=>{r.setHeader('connection','close');r.end(${JSON.stringify(p.name)}+' '+q.socket.remoteAddress)});` +
      `s.listen(${p.port},'0.0.0.0',()=>process.stdout.write('ready\\n'));`;
    const child = spawn('ip', ['netns', 'exec', p.ns, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.push(child);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`server in ${p.ns} did not start`)), 10_000);
      child.stdout!.on('data', (b: Buffer) => {
        if (b.toString().includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`server in ${p.ns} exited with ${code}`));
      });
    });
  }

  /**
   * `count` sequential HTTP GETs from namespace `ns` (a new connection each); returns each answer's pod name,
   * or 'ERR:<code>' (ECONNREFUSED, ETIMEDOUT …) with the time it took, and the source address each server saw.
   */
  async requests(ns: string, url: string, count: number, timeoutMs = 2000): Promise<{ answers: string[]; peers: string[]; ms: number[] }> {
    const code = `
      const http=require('http');const [url,count,timeout]=process.argv.slice(1);const answers=[],peers=[],ms=[];
      (async()=>{for(let i=0;i<+count;i++){const t0=Date.now();
        answers.push(await new Promise(res=>{const req=http.get(url,{agent:false,timeout:+timeout},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>{const w=b.split(' ');peers.push(w[1]||'');res(w[0])})});
          req.on('timeout',()=>{req.destroy();res('ERR:ETIMEDOUT')});req.on('error',e=>res('ERR:'+(e.code||e.message)))}));ms.push(Date.now()-t0);}
        process.stdout.write(JSON.stringify({answers,peers,ms}));})();`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code, url, String(count), String(timeoutMs)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let buf = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (buf += b));
      child.stderr.on('data', (b: Buffer) => (err += b));
      child.on('exit', (c) => (c === 0 ? resolve(buf) : reject(new Error(`client failed: ${err}`))));
    });
    return JSON.parse(out) as { answers: string[]; peers: string[]; ms: number[] };
  }

  cleanupSync(): void {
    for (const p of this.procs) if (p.pid && p.exitCode === null && p.signalCode === null) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.procs.length = 0;
    for (const n of this.created.splice(0)) spawnSync('ip', ['netns', 'del', n]);
    live.delete(this);
  }

  async cleanup(): Promise<void> {
    const waits = this.procs
      .filter((p) => p.exitCode === null && p.signalCode === null)
      .map((p) => new Promise<void>((r) => p.once('exit', () => r())));
    this.cleanupSync();
    await Promise.race([Promise.all(waits), new Promise((r) => setTimeout(r, 2000))]);
  }
}

/** A single empty namespace (for `nft -c`, `iptables-restore --test`, benchmarks); call the returned cleanup. */
export function scratchNetns(tag: string): { name: string; cleanup: () => void } {
  const name = `skiff-t-${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}-${tag}`;
  run(['ip', 'netns', 'add', name]);
  let done = false;
  const cleanup = () => {
    if (done) return;
    done = true;
    spawnSync('ip', ['netns', 'del', name]);
  };
  process.on('exit', cleanup);
  return { name, cleanup };
}
