/**
 * httpGet, tcpSocket and grpc checks (probes and lifecycle hooks) from the node's side, as the kubelet makes them: the
 * kubelet lives in the node's network, but this agent may not (the node has its own namespace unless
 * --host-network). So the checks run in one small helper process per node, started inside the node's network
 * namespace (`nsenter --net=PATH`; none when the node is the host's), speaking JSON lines on stdin/stdout:
 *   → {"id":1,"kind":"http","host":"10.244.1.5","port":80,"path":"/","scheme":"HTTP","headers":[],"timeoutMs":1000}
 *   ← {"id":1,"ok":true,"detail":"200"}
 * One process per node, not one per try: 100 pods probed every 10 s would otherwise spawn 10 processes a second.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { HttpHeader } from './probe.js';

export interface HttpCheck {
  host: string;
  port: number;
  path: string;
  scheme: 'HTTP' | 'HTTPS';
  headers: HttpHeader[];
  timeoutMs: number;
}

export interface TcpCheck {
  host: string;
  port: number;
  timeoutMs: number;
}

export interface GrpcCheck {
  host: string;
  port: number;
  /** grpc.health.v1 HealthCheckRequest.service ('' = the server as a whole). */
  service: string;
  timeoutMs: number;
}

export interface CheckResult {
  ok: boolean;
  /** The status code, or what went wrong (the kubelet's probe output). */
  detail: string;
}

export interface NetChecker {
  http(c: HttpCheck): Promise<CheckResult>;
  tcp(c: TcpCheck): Promise<CheckResult>;
  /** grpc.health.v1.Health/Check over plaintext HTTP/2; ok only for SERVING, detail the status name. */
  grpc(c: GrpcCheck): Promise<CheckResult>;
  close(): void;
}

/**
 * The helper's code (plain JS for `node -e`, so it runs from the sources and from dist alike). An HTTP answer
 * from 200 to 399 is a success, as upstream's prober; certificates are not verified (as upstream's); redirects
 * are not followed (upstream follows same-host ones only: a 3xx counts as success either way).
 */
const HELPER = `
const http=require('http'),https=require('https'),http2=require('http2'),net=require('net'),rl=require('readline');
const out=(o)=>process.stdout.write(JSON.stringify(o)+'\\n');
const varint=(n)=>{const b=[];while(n>127){b.push((n&127)|128);n>>>=7}b.push(n);return Buffer.from(b)};
const STATUS=['UNKNOWN','SERVING','NOT_SERVING','SERVICE_UNKNOWN'];
rl.createInterface({input:process.stdin}).on('line',(line)=>{let q;try{q=JSON.parse(line)}catch{return}
 let done=false;const end=(ok,detail)=>{if(!done){done=true;out({id:q.id,ok,detail})}};
 if(q.kind==='grpc'){const svc=Buffer.from(q.service||'');const msg=svc.length?Buffer.concat([Buffer.from([10]),varint(svc.length),svc]):Buffer.alloc(0);
  const frame=Buffer.alloc(5+msg.length);frame.writeUInt32BE(msg.length,1);msg.copy(frame,5);
  const c=http2.connect('http://'+(q.host.includes(':')?'['+q.host+']':q.host)+':'+q.port);
  const t=setTimeout(()=>{c.destroy();end(false,'timeout')},q.timeoutMs);const fail=(e)=>{clearTimeout(t);c.destroy();end(false,e.code||e.message)};
  c.on('error',fail);let body=Buffer.alloc(0),gs;
  const req=c.request({':method':'POST',':path':'/grpc.health.v1.Health/Check','content-type':'application/grpc','te':'trailers','user-agent':'kube-probe/1.32'});
  req.on('response',(h)=>{if(h['grpc-status']!==undefined)gs=String(h['grpc-status'])});req.on('trailers',(h)=>{if(h['grpc-status']!==undefined)gs=String(h['grpc-status'])});
  req.on('data',(d)=>{body=Buffer.concat([body,d])});req.on('error',fail);
  req.on('end',()=>{clearTimeout(t);c.close();if(gs!==undefined&&gs!=='0'){end(false,'rpc error: code = '+gs);return}
   const m=body.subarray(5);let st=0;for(let i=0;i<m.length;){const tag=m[i++];if(tag===8){st=m[i++]}else break}
   end(st===1,STATUS[st]||String(st))});
  req.end(frame);return}
 if(q.kind==='tcp'){const s=net.connect({host:q.host,port:q.port});s.setTimeout(q.timeoutMs,()=>{s.destroy();end(false,'timeout')});
  s.on('connect',()=>{s.destroy();end(true,'connected')});s.on('error',(e)=>end(false,e.code||e.message));return}
 const h={'user-agent':'kube-probe/1.32',accept:'*/*'};for(const x of q.headers||[])h[x.name.toLowerCase()]=x.value;
 const mod=q.scheme==='HTTPS'?https:http;
 const req=mod.request({host:q.host,port:q.port,path:q.path,method:'GET',headers:h,agent:false,rejectUnauthorized:false,timeout:q.timeoutMs},(r)=>{
  r.resume();end(r.statusCode>=200&&r.statusCode<400,String(r.statusCode))});
 req.on('timeout',()=>{req.destroy();end(false,'timeout')});req.on('error',(e)=>end(false,e.code||e.message));req.end()});
`;

/** Runs checks through the helper in `netnsPath` (undefined: this process's own network; a function: asked when the helper starts). */
export class HelperNetChecker implements NetChecker {
  private child: ChildProcessWithoutNullStreams | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: CheckResult) => void; timer: NodeJS.Timeout }>();
  private closed = false;

  constructor(private readonly netnsPath?: string | (() => string | undefined)) {}

  private ensure(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const ns = typeof this.netnsPath === 'function' ? this.netnsPath() : this.netnsPath;
    const argv = ns ? ['nsenter', `--net=${ns}`, process.execPath, '-e', HELPER] : [process.execPath, '-e', HELPER];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    createInterface({ input: child.stdout }).on('line', (line) => {
      let msg: { id?: number; ok?: boolean; detail?: string };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        return;
      }
      const w = msg.id !== undefined ? this.waiting.get(msg.id) : undefined;
      if (!w) return;
      this.waiting.delete(msg.id!);
      clearTimeout(w.timer);
      w.resolve({ ok: msg.ok === true, detail: String(msg.detail ?? '') });
    });
    child.stderr.resume();
    child.on('error', () => this.lost(child));
    child.on('exit', () => this.lost(child));
    child.stdin.on('error', () => this.lost(child));
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    return child;
  }

  /** The helper died: every check in flight fails; the next one starts a new helper. */
  private lost(child: ChildProcessWithoutNullStreams): void {
    if (this.child !== child) return;
    this.child = null;
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.resolve({ ok: false, detail: 'probe helper exited' });
      this.waiting.delete(id);
    }
  }

  private ask(q: Record<string, unknown>, timeoutMs: number): Promise<CheckResult> {
    if (this.closed) return Promise.resolve({ ok: false, detail: 'node is shutting down' });
    const child = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve) => {
      // The helper enforces the timeout; this one only covers a helper that hangs.
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ ok: false, detail: 'timeout' });
      }, timeoutMs + 2000);
      timer.unref();
      this.waiting.set(id, { resolve, timer });
      child.stdin.write(`${JSON.stringify({ ...q, id })}\n`);
    });
  }

  http(c: HttpCheck): Promise<CheckResult> {
    return this.ask({ kind: 'http', ...c }, c.timeoutMs);
  }

  tcp(c: TcpCheck): Promise<CheckResult> {
    return this.ask({ kind: 'tcp', ...c }, c.timeoutMs);
  }

  grpc(c: GrpcCheck): Promise<CheckResult> {
    return this.ask({ kind: 'grpc', ...c }, c.timeoutMs);
  }

  close(): void {
    this.closed = true;
    const child = this.child;
    this.child = null;
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.resolve({ ok: false, detail: 'node is shutting down' });
    }
    this.waiting.clear();
    if (child?.pid && child.exitCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}
