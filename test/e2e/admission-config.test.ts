/**
 * `skiff server --admission-control-config-file`: PodSecurity's defaults refuse a privileged pod in a namespace
 * without labels, an exempt namespace takes it, and a bad file stops the server with the field named.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { KUBECTL, kubectlFor, warnIfNoKubectl } from './kubectl.js';

warnIfNoKubectl('the admission configuration end-to-end test');

const config = (podSecurity: string) => `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: PodSecurity
    configuration:
      apiVersion: pod-security.admission.config.k8s.io/v1
      kind: PodSecurityConfiguration
${podSecurity.replace(/^/gm, '      ')}
`;

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;
const { k, kFail } = kubectlFor(() => server.kubeconfig);

describe.skipIf(!KUBECTL)('skiff server --admission-control-config-file', () => {
  beforeAll(async () => {
    data = makeDataDir();
    const file = join(data.dir, 'admission.yaml');
    writeFileSync(file, config('defaults: { enforce: baseline }\nexemptions: { namespaces: [kube-system] }'));
    server = await startServer(join(data.dir, 'server'), ['--nodes', '0', '--no-controllers', '--no-scheduler', '--admission-control-config-file', file]);
  });
  afterAll(async () => {
    await server?.stop();
    data?.remove();
  });

  test('the default enforce level applies where no label says otherwise; exempt namespaces are not checked', () => {
    k('create', 'namespace', 'team');
    expect(kFail('-n', 'team', 'run', 'p', '--image=x', '--privileged')).toContain('pods "p" is forbidden: violates PodSecurity "baseline:latest": privileged (container "p" must not set securityContext.privileged=true)');
    expect(k('-n', 'kube-system', 'run', 'p', '--image=x', '--privileged')).toContain('pod/p created');
  });

  test('a bad file: exit 1 naming the field, before anything starts', () => {
    const bad = join(data.dir, 'bad.yaml');
    writeFileSync(bad, config('defaults: { warn: loud }'));
    const r = spawnSync(process.execPath, ['bin/skiff.js', 'server', '--data-dir', join(data.dir, 'bad'), '--listen', '127.0.0.1:0', '--admission-control-config-file', bad], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`--admission-control-config-file: ${bad}: plugins[0].configuration.defaults.warn: Unsupported value: "loud"`);
  });
});
