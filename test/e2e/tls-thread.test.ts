/**
 * `skiff server --tls-thread`: TLS on the front thread, the API server's thread serving the plain bytes behind it.
 * Driven by the real kubectl as tls.test.ts drives the default: the admin certificate and the in-process
 * components' own identities, a foreign CA's certificate refused, and a Deployment's pods Running (scheduler,
 * controllers and the local node all talk to the server through the front).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { commandPath } from '../setup/commands.js';
import { eventually } from '../support/cluster.js';
import { createClusterCA } from '../../src/control/pki/ca.js';
import { issueCertificate } from '../../src/control/pki/issue.js';
import { ADMIN_SPEC } from '../../src/control/pki/cluster-certs.js';
import { kubeconfigYaml } from '../../src/cli/kubeconfig-yaml.js';

const KUBECTL = commandPath('kubectl');

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;
const run = (kubeconfig: string, ...args: string[]): string =>
  execFileSync(KUBECTL!, ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const k = (...args: string[]): string => run(server.kubeconfig, ...args);

describe.skipIf(!KUBECTL)('skiff server --tls-thread', () => {
  beforeAll(async () => {
    data = makeDataDir();
    server = await startServer(data.dir, ['--tls-thread']);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    data?.remove();
  });

  test('each identity is its certificate\'s; another CA\'s certificate is 401', () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(k('auth', 'whoami')).toMatch(/Username\s+kubernetes-admin\n\s*Groups\s+\[system:masters system:authenticated\]/);
    expect(run(join(data.dir, 'scheduler.kubeconfig'), 'auth', 'whoami')).toMatch(/Username\s+system:kube-scheduler/);
    expect(run(join(data.dir, 'node.kubeconfig'), 'auth', 'whoami')).toMatch(/Username\s+system:node:\S+\n\s*Groups\s+\[system:nodes system:authenticated\]/);
    const stranger = issueCertificate(createClusterCA(), ADMIN_SPEC);
    const bad = join(data.dir, 'bad.kubeconfig');
    writeFileSync(bad, kubeconfigYaml(server.url, { caPem: readFileSync(join(data.dir, 'ca.crt'), 'utf8'), certPem: stranger.certPem, keyPem: stranger.keyPem }));
    let refused = '';
    try {
      run(bad, 'get', 'ns');
    } catch (err) {
      refused = String((err as { stderr?: string }).stderr);
    }
    // kubectl's words for a 401: "Unauthorized" from the Status when its discovery is cached, its own otherwise.
    expect(refused).toMatch(/error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/);
  });

  test('a Deployment\'s pods run: the scheduler, controllers and node agent reach the server through the front', async () => {
    k('create', 'deployment', 'web', '--image=registry.example/web:1', '--replicas=2');
    await eventually('2 pods Running', () => {
      const phases = k('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].status.phase}').split(' ').filter(Boolean);
      return phases.length === 2 && phases.every((p) => p === 'Running');
    }, 45_000, 250);
  }, 60_000);
});
