/**
 * A node joins `skiff server` with a bootstrap token, as with kubeadm: `skiff token create` stores the token and
 * writes a bootstrap kubeconfig; `skiff nodes --bootstrap-kubeconfig --cert-dir` (one simulated node) asks for its
 * client certificate, which the server's controllers approve and sign; the node then registers as itself.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { freePort } from '../setup/etcd.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { RestClient } from '../../src/client/rest.js';
import { CertificateSigningRequests, Nodes } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { eventually } from '../support/cluster.js';

const BIN = join(resolve(import.meta.dirname, '../..'), 'bin/skiff.js');
const run = promisify(execFile);

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;
let nodes: ChildProcess | undefined;
let admin: RestClient;
let nodesErr = '';

describe('joining a node with a bootstrap token', () => {
  beforeAll(async () => {
    data = makeDataDir();
    server = await startServer(data.dir, ['--nodes', '0', '--no-scheduler']);
    admin = new RestClient(loadKubeconfig(server.kubeconfig));
  }, 60_000);
  afterAll(async () => {
    if (nodes && nodes.exitCode === null) {
      const exited = new Promise((r) => nodes!.once('exit', r));
      nodes.kill('SIGTERM');
      await exited;
    }
    admin?.close();
    await server?.stop();
    data?.remove();
  });

  test('skiff token create prints a token and writes a bootstrap kubeconfig; the node joins with it', async () => {
    const boot = join(data.dir, 'bootstrap.kubeconfig');
    const { stdout } = await run(process.execPath, [BIN, 'token', 'create', '--kubeconfig', server.kubeconfig, '--bootstrap-kubeconfig', boot, '--ttl', '1h']);
    const token = stdout.trim();
    expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(loadKubeconfig(boot)).toMatchObject({ server: server.url, token });

    const certDir = join(data.dir, 'node-pki');
    const port = await freePort();
    nodes = spawn(process.execPath, [BIN, 'nodes', '--bootstrap-kubeconfig', boot, '--cert-dir', certDir, '--count', '1', '--name-prefix', 'joined-', '--listen', `127.0.0.1:${port}`, '--v', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    nodes.stderr!.on('data', (d: Buffer) => (nodesErr += d.toString()));
    let out = '';
    nodes.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await eventually('skiff nodes registered', () => out.includes('registered'), 75_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}; skiff nodes said: ${nodesErr}`);
    });

    const node = await admin.get(Nodes, 'joined-0');
    expect(node.metadata?.name).toBe('joined-0');
    const cert = new X509Certificate(readFileSync(join(certDir, 'kubelet-client-current.crt')));
    expect(cert.subject).toBe('O=system:nodes\nCN=system:node:joined-0');
    expect(cert.checkIssued(new X509Certificate(readFileSync(join(server.dataDir, 'ca.crt'))))).toBe(true);
    expect(existsSync(join(certDir, 'kubelet.conf'))).toBe(true);
    const csrs = (await admin.list<KubeObject & { spec?: { username?: string }; status?: { conditions?: Array<{ type: string; reason?: string }> } }>(CertificateSigningRequests)).items;
    expect(csrs.map((c) => [c.spec?.username, c.status?.conditions?.[0]?.type, c.status?.conditions?.[0]?.reason])).toEqual([[`system:bootstrap:${token.split('.')[0]}`, 'Approved', 'AutoApproved']]);
  }, 120_000);
});
