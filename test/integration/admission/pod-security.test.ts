import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';
import { ApiError } from '../../../src/client/rest.js';
import { Deployments, Namespaces, Pods } from '../../../src/client/resources.js';
import type { KubeObject } from '../../../src/client/types.js';

const run = promisify(execFile);
let cluster: TestCluster;
let dir: string;

const ns = (name: string, labels: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const privileged = (name: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] },
});
const RESTRICTED_PRIVILEGED = 'privileged (container "c" must not set securityContext.privileged=true), '
  + 'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), '
  + 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
  + 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
  + 'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

/** POSTs with fetch to see the response's Warning headers (RestClient does not surface them). */
async function post(path: string, body: object): Promise<{ status: number; warnings: string[]; body: { message?: string } }> {
  const res = await fetch(`${cluster.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const warning = res.headers.get('warning');
  return { status: res.status, warnings: warning ? warning.split(/,\s*(?=299 )/) : [], body: (await res.json()) as { message?: string } };
}

beforeAll(async () => {
  cluster = await startTestCluster();
  dir = mkdtempSync(join(tmpdir(), 'skiff-psa-'));
  await cluster.client.create(Namespaces, ns('locked', { 'pod-security.kubernetes.io/enforce': 'restricted' }));
  await cluster.client.create(Namespaces, ns('warned', { 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/warn-version': 'v1.30' }));
  await cluster.client.create(Namespaces, ns('open', {}));
});

afterAll(async () => {
  await cluster?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('PodSecurity', () => {
  test('restricted enforce refuses a privileged pod with upstream\'s message', async () => {
    try {
      await cluster.client.create(Pods, privileged('x'), { namespace: 'locked' });
      throw new Error('created');
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe(403);
      expect((err as ApiError).status?.message).toBe(`pods "x" is forbidden: violates PodSecurity "restricted:latest": ${RESTRICTED_PRIVILEGED}`);
    }
  });

  test('warn level admits with a Warning header; workloads only warn', async () => {
    const res = await post('/api/v1/namespaces/warned/pods', privileged('w'));
    expect(res.status).toBe(201);
    expect(res.warnings).toEqual(['299 - "would violate PodSecurity \\"baseline:v1.30\\": privileged (container \\"c\\" must not set securityContext.privileged=true)"']);
    const deploy = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x' }] } } },
    };
    const d = await post('/apis/apps/v1/namespaces/warned/deployments', deploy);
    expect(d.status).toBe(201);
    expect(d.warnings[0]).toContain('would violate PodSecurity \\"baseline:v1.30\\": host namespaces (hostNetwork)');
    // Enforce never applies to a workload: its pods are checked when created.
    await cluster.client.create(Namespaces, ns('locked-workloads', { 'pod-security.kubernetes.io/enforce': 'restricted' }));
    expect((await post('/apis/apps/v1/namespaces/locked-workloads/deployments', deploy)).status).toBe(201);
    expect(await cluster.client.get(Deployments, 'd', 'locked-workloads')).toBeTruthy();
  });

  test('kubectl shows the warning; tightening a namespace warns about its pods; invalid labels are refused', async () => {
    const file = join(dir, 'pod.json');
    writeFileSync(file, JSON.stringify(privileged('k')));
    const out = await run('kubectl', ['--kubeconfig', cluster.kubeconfig, 'create', '-n', 'warned', '-f', file]);
    expect(out.stderr).toContain('Warning: would violate PodSecurity "baseline:v1.30": privileged (container "c" must not set securityContext.privileged=true)');

    await cluster.client.create(Pods, privileged('p1'), { namespace: 'open' });
    const label = await run('kubectl', ['--kubeconfig', cluster.kubeconfig, 'label', 'ns', 'open', 'pod-security.kubernetes.io/enforce=baseline']);
    expect(label.stderr).toContain('Warning: existing pods in namespace "open" violate the new PodSecurity enforce level "baseline:latest"');
    expect(label.stderr).toContain('Warning: p1: privileged (container "c" must not set securityContext.privileged=true)');

    const bad = await run('kubectl', ['--kubeconfig', cluster.kubeconfig, 'label', 'ns', 'open', '--overwrite', 'pod-security.kubernetes.io/enforce=strict']).catch((e: { stderr: string }) => e);
    expect(bad.stderr).toContain('metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted');
  });
});
