/**
 * CustomResourceDefinitions with kubectl 1.32 against `skiff server` (sqlite): apply a CRD and wait for it,
 * apply a custom object, printer columns, short names and `get all`, `explain` from the CRD's schema, `scale`
 * through the scale subresource, a 422 with the field path, a restart that serves the CRD at once, and
 * `delete crd` taking its instances with it. Skipped, saying so, without kubectl on PATH.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { KUBECTL, kubectlFor, warnIfNoKubectl } from './kubectl.js';
import { CRONTAB_CRD } from '../integration/crd/fixtures.js';

warnIfNoKubectl('the kubectl CRD tests');

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;
const ARGS = ['--no-scheduler', '--no-controllers', '--nodes', '0'];

beforeAll(async () => {
  data = makeDataDir();
  server = await startServer(data.dir, ARGS);
});
afterAll(async () => {
  await server?.stop();
  data?.remove();
});

const { k, kFail } = kubectlFor(() => server.kubeconfig);
const file = (name: string, body: unknown): string => {
  const p = join(data.dir, name);
  writeFileSync(p, typeof body === 'string' ? body : stringify(body));
  return p;
};

const CRONTAB = `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: my-cron
  namespace: default
  labels: {app: cron}
spec:
  cronSpec: "* * * * */5"
  image: my-awesome-cron-image
`;

describe.skipIf(!KUBECTL)('kubectl and CustomResourceDefinitions', () => {
  test('apply a CRD, wait for Established, apply an object, print its columns', () => {
    expect(k('apply', '-f', file('crd.yaml', CRONTAB_CRD))).toContain('customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created');
    expect(k('wait', '--for', 'condition=established', '--timeout=10s', 'crd/crontabs.stable.example.com')).toContain('condition met');
    expect(k('apply', '-f', file('ct.yaml', CRONTAB))).toContain('crontab.stable.example.com/my-cron created');
    const lines = k('get', 'crontabs').trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SPEC\s+REPLICAS\s+AGE$/);
    expect(lines[1]).toMatch(/^my-cron\s+\* \* \* \* \*\/5\s+1\s+\d+s$/);
    expect(k('get', 'ct', '-o', 'name').trim()).toBe('crontab.stable.example.com/my-cron');
    expect(k('get', 'all', '-n', 'default')).toContain('crontab.stable.example.com/my-cron');
    // Re-applying the same file changes nothing (client-side apply with a merge patch).
    expect(k('apply', '-f', join(data.dir, 'ct.yaml'))).toContain('unchanged');
  });

  test('explain reads the CRD schema', () => {
    const out = k('explain', 'crontab.spec');
    expect(out).toContain('KIND:       CronTab');
    expect(out).toContain('The desired schedule.');
    expect(out).toMatch(/cronSpec\s+<string> -required-/);
    expect(out).toContain('When to run.');
  });

  test('scale goes through the scale subresource; invalid values are 422 with the field path', () => {
    expect(k('scale', 'crontab/my-cron', '--replicas=3')).toContain('crontab.stable.example.com/my-cron scaled');
    expect(k('get', 'ct', 'my-cron', '-o', 'jsonpath={.spec.replicas}')).toBe('3');
    const err = kFail('patch', 'crontab', 'my-cron', '--type=merge', '-p', '{"spec":{"replicas":50}}');
    expect(err).toContain('The CronTab "my-cron" is invalid: spec.replicas: Invalid value: 50: spec.replicas in body should be less than or equal to 10');
  });

  test('after a restart the CRD is served at once', async () => {
    await server.stop();
    server = await startServer(data.dir, ARGS);
    expect(k('get', 'ct', 'my-cron', '-o', 'jsonpath={.spec.replicas}')).toBe('3');
  });

  test('delete crd removes its instances and its resource', () => {
    expect(k('delete', 'crd', 'crontabs.stable.example.com')).toContain('deleted');
    expect(k('get', 'crd', '-o', 'name').trim()).toBe('');
    expect(kFail('get', 'crontabs')).toMatch(/NotFound|doesn't have a resource type/);
    // Re-created, the kind has no objects left in storage.
    k('apply', '-f', join(data.dir, 'crd.yaml'));
    k('wait', '--for', 'condition=established', '--timeout=10s', 'crd/crontabs.stable.example.com');
    expect(k('get', 'crontabs', '-A', '-o', 'name').trim()).toBe('');
  });
});
