/**
 * DNS listeners inside another network namespace (a node's, `skiff-node-<name>`), while this process stays in
 * its own: the informers keep reaching the API server on the host's loopback, and only the sockets live in the
 * node's network, where pods reach them through the kube-dns ClusterIP. A socket belongs to the namespace it
 * was made in, so a short helper (`nsenter --net=/run/netns/NAME node -e ...`) binds the UDP socket and the TCP
 * server there and hands both back over Node's IPC channel (child_process handle passing), then exits.
 * Nothing in the host's own network is touched.
 */
import { spawn } from 'node:child_process';
import type { Socket as UdpSocket } from 'node:dgram';
import type { Server } from 'node:net';
import { existsSync } from 'node:fs';
import type { DnsListeners } from './server.js';

const HELPER = `
const dgram=require('dgram'),net=require('net');const host=process.argv[1],port=Number(process.argv[2]);
const fail=(e)=>{process.send({error:e.code||e.message},()=>process.exit(1))};
const udp=dgram.createSocket(host.includes(':')?'udp6':'udp4');udp.on('error',fail);
udp.bind(port,host,()=>{const tcp=net.createServer();tcp.on('error',fail);tcp.listen({host,port:udp.address().port},()=>{
 process.send({kind:'udp',port:udp.address().port},udp,()=>{process.send({kind:'tcp'},tcp,()=>{udp.close();tcp.close();process.disconnect()})})})});
`;

/** The path of a named network namespace, checked to exist. */
export function netnsPath(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new Error(`--netns: ${JSON.stringify(name)} is not a network namespace name`);
  const p = `/run/netns/${name}`;
  if (!existsSync(p)) throw new Error(`--netns: network namespace ${JSON.stringify(name)} does not exist`);
  return p;
}

export function bindListenersInNetns(netns: string, host: string, port: number, timeoutMs = 10_000): Promise<DnsListeners> {
  const path = netnsPath(netns);
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=${path}`, process.execPath, '-e', HELPER, host, String(port)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let udp: UdpSocket | null = null;
    let done = false;
    const finish = (err: Error | null, l?: DnsListeners) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        udp?.close();
        child.kill();
        reject(err);
      } else resolve(l!);
    };
    const timer = setTimeout(() => finish(new Error(`binding DNS sockets in netns ${netns} timed out`)), timeoutMs);
    child.on('error', (err) => finish(new Error(`nsenter: ${err.message}`)));
    child.on('message', (msg: { kind?: string; error?: string }, handle: unknown) => {
      if (msg.error) return finish(new Error(`binding ${host}:${port} in netns ${netns}: ${msg.error}`));
      if (msg.kind === 'udp') udp = handle as UdpSocket;
      else if (msg.kind === 'tcp' && udp) finish(null, { udp, tcp: handle as Server });
    });
    child.on('exit', (code) => finish(new Error(`the netns socket helper exited (${code}) before handing over its sockets: ${stderr.trim()}`)));
  });
}
