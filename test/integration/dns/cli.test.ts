/**
 * The built CLI (dist/, as `npm test` builds it): `skiff server --dns-listen` answers in-process, and `skiff dns`
 * runs alone against the same server's kubeconfig (HTTPS with the cluster CA and a client certificate).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as dnsp } from 'node:dns';
import { join, resolve } from 'node:path';
import { freePort } from '../../setup/etcd.js';
import { makeDataDir, startServer, type RunningServer } from '../../e2e/server.js';

const BIN = join(resolve(import.meta.dirname, '../../..'), 'bin/skiff.js');

function resolverAt(port: number): dnsp.Resolver {
  const r = new dnsp.Resolver({ timeout: 2000, tries: 2 });
  r.setServers([`127.0.0.1:${port}`]);
  return r;
}

describe('skiff server --dns-listen and skiff dns', () => {
  const data = makeDataDir();
  let server: RunningServer;
  let dnsPort = 0;
  let standalone: ChildProcess | null = null;

  beforeAll(async () => {
    dnsPort = await freePort();
    server = await startServer(data.dir, ['--nodes', '0', '--no-scheduler', '--no-controllers', '--dns-listen', `127.0.0.1:${dnsPort}`]);
  }, 60_000);

  afterAll(async () => {
    if (standalone && standalone.exitCode === null) standalone.kill('SIGTERM');
    await server?.stop();
    data.remove();
  });

  it('the in-process server answers for kubernetes and kube-dns and refuses other names', async () => {
    const r = resolverAt(dnsPort);
    const ips = await (async () => {
      for (let i = 0; i < 100; i++) {
        try {
          return await r.resolve4('kubernetes.default.svc.cluster.local');
        } catch {
          await new Promise((res) => setTimeout(res, 100));
        }
      }
      throw new Error('no answer from the in-process DNS server');
    })();
    expect(ips).toEqual(['10.96.0.1']);
    expect(await r.resolve4('kube-dns.kube-system.svc.cluster.local')).toEqual(['10.96.0.10']);
    await expect(r.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
  });

  it('skiff dns runs alone with another cluster domain and TTL, prints its ready line, stops on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'dns', '--kubeconfig', server.kubeconfig, '--listen', `127.0.0.1:${port}`, '--cluster-domain', 'corp.example', '--ttl', '7'], { stdio: ['ignore', 'pipe', 'pipe'] });
    standalone = child;
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const line = await new Promise<string>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`skiff dns not ready: ${err}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        clearTimeout(t);
        res(d.toString());
      });
      child.once('exit', (code) => rej(new Error(`skiff dns exited ${code}: ${err}`)));
    });
    expect(line).toMatch(new RegExp(`DNS for corp\\.example on 127\\.0\\.0\\.1:${port}`));
    const r = resolverAt(port);
    expect(await r.resolve4('kubernetes.default.svc.corp.example', { ttl: true })).toEqual([{ address: '10.96.0.1', ttl: 7 }]);
    await expect(r.resolve4('kubernetes.default.svc.cluster.local')).rejects.toMatchObject({ code: 'EREFUSED' });
    const code = await new Promise<number | null>((res) => {
      child.once('exit', (c) => res(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });

  it('skiff dns names a bad flag', async () => {
    const out = await new Promise<{ code: number | null; err: string }>((res) => {
      const child = spawn(process.execPath, [BIN, 'dns', '--kubeconfig', server.kubeconfig, '--cluster-domain', 'bad_domain!'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.once('exit', (code) => res({ code, err }));
    });
    expect(out.code).not.toBe(0);
    expect(out.err).toMatch(/--cluster-domain/);
    expect(out.err).toMatch(/must be DNS labels/);
  });
});
