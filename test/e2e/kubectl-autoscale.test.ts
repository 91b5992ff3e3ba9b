/**
 * `kubectl autoscale` against `skiff server` with the real kubectl (skipped, saying so, when none is on PATH):
 * kubectl 1.32 writes autoscaling/v1, reads the preferred autoscaling/v2, and both are the same stored object.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { KUBECTL, kubectlFor, warnIfNoKubectl } from './kubectl.js';

warnIfNoKubectl('the kubectl autoscale end-to-end test');

/** The v1 resource by its full name (kubectl's short-name expansion drops a version: hpa.v1.autoscaling reads v2). */
const HPA_V1 = 'horizontalpodautoscalers.v1.autoscaling';

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;

const { k } = kubectlFor(() => server.kubeconfig);

describe.skipIf(!KUBECTL)('kubectl autoscale against skiff server', () => {
  beforeAll(async () => {
    data = makeDataDir();
    // No controllers: the HPA keeps the status it was created with (no metrics yet).
    server = await startServer(data.dir, ['--nodes', '0', '--no-controllers']);
  });
  afterAll(async () => {
    await server?.stop();
    data?.remove();
  });

  test('autoscale a Deployment, then get hpa in upstream columns', () => {
    expect(k('create', 'deployment', 'web', '--image=nginx:1.27')).toContain('deployment.apps/web created');
    expect(k('autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=5')).toContain('horizontalpodautoscaler.autoscaling/web autoscaled');

    const lines = k('get', 'hpa').trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
    expect(lines[1]).toMatch(/^web\s+Deployment\/web\s+cpu: <unknown>\/50%\s+1\s+5\s+0\s+\d+s$/);
    expect(lines).toHaveLength(2);
  });

  test('the same object in both versions', () => {
    // The preferred version: v2, with the v1 target as a cpu Utilization metric.
    expect(k('get', 'hpa', 'web', '-o', 'jsonpath={.apiVersion} {.spec.metrics[0].resource.name} {.spec.metrics[0].resource.target.averageUtilization}'))
      .toBe('autoscaling/v2 cpu 50');
    expect(k('get', HPA_V1, 'web', '-o', 'jsonpath={.apiVersion} {.spec.targetCPUUtilizationPercentage} {.spec.maxReplicas}'))
      .toBe('autoscaling/v1 50 5');
    // kubectl recorded its write in the version it made it in.
    expect(k('get', 'hpa', 'web', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[0].apiVersion}')).toBe('autoscaling/v1');

    // A patch through v1 is seen in v2.
    expect(k('patch', HPA_V1, 'web', '--type=merge', '-p', '{"spec":{"targetCPUUtilizationPercentage":70,"maxReplicas":7}}'))
      .toContain('horizontalpodautoscaler.autoscaling/web patched');
    expect(k('get', 'hpa', 'web', '-o', 'jsonpath={.spec.metrics[0].resource.target.averageUtilization} {.spec.maxReplicas}')).toBe('70 7');
    expect(k('get', 'hpa', 'web')).toMatch(/cpu: <unknown>\/70%\s+1\s+7\s+0/);

    expect(k('delete', HPA_V1, 'web')).toContain('horizontalpodautoscaler.autoscaling "web" deleted');
    expect(k('get', 'hpa', '-o', 'name')).toBe('');
  });
});
