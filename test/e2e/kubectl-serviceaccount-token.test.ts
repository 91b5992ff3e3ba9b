/**
 * ServiceAccount tokens through the real `skiff server` (TLS, controllers in-process) and the real kubectl:
 * the signing key is made in the data dir, `kubectl create token default` prints a JWT that kubectl can use as
 * the ServiceAccount, a new pod gets the projected kube-api-access volume, and a pod naming a missing
 * ServiceAccount is refused as upstream refuses it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { KUBECTL, kubectlFor, warnIfNoKubectl } from './kubectl.js';

warnIfNoKubectl('the ServiceAccount token end-to-end suite');

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;
const { k, kIn } = kubectlFor(() => server.kubeconfig);

describe.skipIf(!KUBECTL)('ServiceAccount tokens with kubectl', () => {
  beforeAll(async () => {
    data = makeDataDir();
    server = await startServer(data.dir, ['--nodes', '0', '--no-scheduler']);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    data?.remove();
  });

  test('the signing key is made on the first start; kubectl create token prints a JWT usable as the ServiceAccount', async () => {
    expect(existsSync(join(data.dir, 'sa.key'))).toBe(true);
    expect(existsSync(join(data.dir, 'sa.pub'))).toBe(true);
    // The serviceaccount controller makes default/default shortly after start.
    let token = '';
    for (let i = 0; i < 100 && !token; i++) {
      try {
        token = k('create', 'token', 'default', '-n', 'default').trim();
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(token).toMatch(/^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: 'https://kubernetes.default.svc.cluster.local', sub: 'system:serviceaccount:default:default', aud: ['https://kubernetes.default.svc.cluster.local'] });
    const who = execFileSync(KUBECTL!, ['--server', server.url, '--certificate-authority', join(data.dir, 'ca.crt'), '--token', token, 'auth', 'whoami'], { encoding: 'utf8' });
    expect(who).toMatch(/Username\s+system:serviceaccount:default:default/);
    expect(who).toMatch(/system:serviceaccounts:default/);
  });

  test('a new pod gets the projected token volume; a missing ServiceAccount is refused', () => {
    kIn('apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: c, image: busybox}]\n', 'create', '-f', '-');
    const vols = JSON.parse(k('get', 'pod', 'web', '-o', 'jsonpath={.spec.volumes}')) as Array<{ name: string; projected?: unknown }>;
    expect(vols.map((v) => v.name)).toEqual([expect.stringMatching(/^kube-api-access-[a-z0-9]{5}$/)]);
    expect(k('get', 'pod', 'web', '-o', 'jsonpath={.spec.containers[0].volumeMounts[0].mountPath} {.spec.serviceAccountName}')).toBe('/var/run/secrets/kubernetes.io/serviceaccount default');
    let err = '';
    try {
      kIn('apiVersion: v1\nkind: Pod\nmetadata: {name: lost}\nspec:\n  serviceAccountName: ghost\n  containers: [{name: c, image: busybox}]\n', 'create', '-f', '-');
    } catch (e) {
      err = String((e as { stderr?: string }).stderr);
    }
    expect(err).toContain('pods "lost" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found');
  });
});
