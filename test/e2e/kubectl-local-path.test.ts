/**
 * Volumes against `skiff server` with its simulated local node and the real kubectl (skipped, saying so, when
 * none is on PATH): `local-path` is the default class, a claim without a class gets it, binds once a pod uses
 * it, and its volume lives under <data-dir>/local-path; a StatefulSet's claim template gives www-web-0.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { KUBECTL, kubectlFor, warnIfNoKubectl } from './kubectl.js';

warnIfNoKubectl('the kubectl local-path end-to-end test');

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;

const { k } = kubectlFor(() => server.kubeconfig);

async function until(what: string, fn: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (fn()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const MANIFEST = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: user, namespace: default}
spec:
  containers: [{name: c, image: busybox}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
  volumeClaimTemplates:
  - metadata: {name: www}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;

describe.skipIf(!KUBECTL)('local-path volumes through skiff server', () => {
  beforeAll(async () => {
    data = makeDataDir();
    server = await startServer(data.dir, ['--nodes', '1']);
  });
  afterAll(async () => {
    await server?.stop();
    data?.remove();
  });

  test('the default class, a bound claim on the node, a StatefulSet claim', async () => {
    const sc = k('get', 'sc').trim().split('\n');
    expect(sc[1]).toMatch(/^local-path \(default\)\s+skiff\.dev\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+/);
    const file = join(data.dir, 'volumes.yaml');
    writeFileSync(file, MANIFEST);
    k('create', '-f', file);
    expect(k('get', 'pvc', 'data', '-o', 'jsonpath={.spec.storageClassName}')).toBe('local-path');
    await until('data Bound', () => k('get', 'pvc', 'data', '-o', 'jsonpath={.status.phase}') === 'Bound');
    const pv = k('get', 'pvc', 'data', '-o', 'jsonpath={.spec.volumeName}');
    const node = k('get', 'pod', 'user', '-o', 'jsonpath={.spec.nodeName}');
    expect(k('get', 'pv', pv, '-o', 'jsonpath={.spec.hostPath.path} {.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}'))
      .toBe(`${join(data.dir, 'local-path', pv)} ${node}`);
    await until('www-web-0 Bound', () => k('get', 'pvc', 'www-web-0', '-o', 'jsonpath={.status.phase}') === 'Bound');
    expect(k('get', 'pod', 'web-0', '-o', 'jsonpath={.spec.volumes[0].persistentVolumeClaim.claimName}')).toBe('www-web-0');
    expect(k('describe', 'pvc', 'data')).toMatch(/ProvisioningSucceeded\s+.*Successfully provisioned volume pvc-/);
  }, 60_000);
});
