/**
 * Server-side apply end to end on `skiff server`: kubectl's `apply --server-side` (create, re-apply, a conflict
 * with `kubectl scale`, --force-conflicts, moving from client-side apply; skipped, saying so, without kubectl
 * on PATH) and @kubernetes/client-node's KubernetesObjectApi.patch with the apply patch type.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { KUBECTL, kubectlFor, warnIfNoKubectl } from './kubectl.js';

warnIfNoKubectl('the kubectl server-side apply tests');

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;

beforeAll(async () => {
  data = makeDataDir();
  server = await startServer(data.dir, ['--no-scheduler', '--no-controllers', '--nodes', '0']);
});
afterAll(async () => {
  await server?.stop();
  data?.remove();
});

const { k, kFail } = kubectlFor(() => server.kubeconfig);

const deployment = (name: string, replicas: number, image = 'nginx:1.27') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: default
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: nginx
        image: ${image}
`;

interface Entry {
  manager: string;
  operation: string;
  subresource?: string;
  fieldsV1: Record<string, unknown>;
}
const managed = (name: string): Entry[] =>
  JSON.parse(k('get', 'deploy', name, '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields}')) as Entry[];

describe.skipIf(!KUBECTL)('kubectl apply --server-side', () => {
  const file = () => join(data.dir, 'ssa.yaml');

  test('creates, then re-applies a change', () => {
    writeFileSync(file(), deployment('ssa', 1));
    expect(k('apply', '--server-side', '-f', file())).toContain('deployment.apps/ssa serverside-applied');
    const entries = managed('ssa');
    expect(entries).toEqual([expect.objectContaining({ manager: 'kubectl', operation: 'Apply' })]);
    expect(entries[0]!.fieldsV1).toMatchObject({ 'f:spec': { 'f:replicas': {}, 'f:selector': {} } });
    writeFileSync(file(), deployment('ssa', 1, 'nginx:1.28'));
    expect(k('apply', '--server-side', '-f', file())).toContain('serverside-applied');
    expect(k('get', 'deploy', 'ssa', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.generation}')).toBe('nginx:1.28 2');
  });

  test('kubectl scale takes spec.replicas; applying another value conflicts, --force-conflicts takes it back', () => {
    expect(k('scale', 'deploy', 'ssa', '--replicas=3')).toContain('scaled');
    expect(managed('ssa')).toContainEqual(expect.objectContaining({ manager: 'kubectl', operation: 'Update', subresource: 'scale' }));
    const err = kFail('apply', '--server-side', '-f', file());
    expect(err).toContain('Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas');
    expect(err).toContain('--force-conflicts');
    expect(k('get', 'deploy', 'ssa', '-o', 'jsonpath={.spec.replicas}')).toBe('3');
    expect(k('apply', '--server-side', '--force-conflicts', '-f', file())).toContain('serverside-applied');
    expect(k('get', 'deploy', 'ssa', '-o', 'jsonpath={.spec.replicas}')).toBe('1');
    expect(managed('ssa').map((e) => e.manager + '/' + e.operation)).toEqual(['kubectl/Apply']);
  });

  test('--dry-run=server stores nothing', () => {
    writeFileSync(file(), deployment('dry', 1));
    expect(k('apply', '--server-side', '--dry-run=server', '-f', file())).toContain('serverside-applied (server dry run)');
    expect(kFail('get', 'deploy', 'dry')).toContain('NotFound');
  });

  test('a client-side applied object moves to server-side apply without conflicts', () => {
    writeFileSync(file(), deployment('csa', 1));
    expect(k('apply', '-f', file())).toContain('deployment.apps/csa created');
    expect(managed('csa').map((e) => e.manager)).toEqual(['kubectl-client-side-apply']);
    writeFileSync(file(), deployment('csa', 2));
    expect(k('apply', '--server-side', '-f', file())).toContain('serverside-applied');
    expect(k('get', 'deploy', 'csa', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
    expect(managed('csa').map((e) => e.manager).sort()).toEqual(['kubectl', 'kubectl-last-applied']);
  });
});

describe('client-node server-side apply', () => {
  let api: k8s.KubernetesObjectApi;
  beforeAll(() => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(server.kubeconfig);
    api = k8s.KubernetesObjectApi.makeApiClient(kc);
  });
  const cm = (data: Record<string, string>): k8s.KubernetesObject & { data: Record<string, string> } => ({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'node-ssa', namespace: 'default' }, data,
  });
  const apply = (o: k8s.KubernetesObject, manager: string, force?: boolean) =>
    api.patch(o, undefined, undefined, manager, force, k8s.PatchStrategy.ServerSideApply);

  test('creates and updates; another manager conflicts (409) unless forced', async () => {
    const created = await apply(cm({ a: '1' }), 'node-a');
    expect(created.metadata!.managedFields).toEqual([expect.objectContaining({ manager: 'node-a', operation: 'Apply' })]);
    const updated = (await apply(cm({ a: '1', b: '2' }), 'node-a')) as ReturnType<typeof cm>;
    expect(updated.data).toEqual({ a: '1', b: '2' });
    const err = await apply(cm({ a: 'x' }), 'node-b').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(k8s.ApiException);
    expect((err as k8s.ApiException<unknown>).code).toBe(409);
    expect(String((err as k8s.ApiException<unknown>).body)).toContain('conflict with \\"node-a\\": .data.a');
    const forced = (await apply(cm({ a: 'x' }), 'node-b', true)) as ReturnType<typeof cm>;
    expect(forced.data).toEqual({ a: 'x', b: '2' });
    expect(forced.metadata!.managedFields!.map((e) => e.manager).sort()).toEqual(['node-a', 'node-b']);
  });
});
