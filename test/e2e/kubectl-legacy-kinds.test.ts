/**
 * The three kinds a stock 1.32 `kubectl api-resources` lists beside the usual ones, through the real kubectl against
 * `skiff server` (skipped, saying so, without kubectl): `kubectl get cs` with its deprecation warning and the
 * in-process components healthy, a Binding created from YAML binding its pod, a CSIStorageCapacity printed as upstream.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeDataDir, startServer, type RunningServer } from './server.js';
import { commandPath } from '../setup/commands.js';
import { eventually } from '../support/cluster.js';

const KUBECTL = commandPath('kubectl');
if (!KUBECTL) console.warn('kubectl not found on PATH: the kubectl legacy kinds end-to-end suite is skipped');

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;

const run = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(KUBECTL!, ['--kubeconfig', server.kubeconfig, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const table = (out: string): string[][] => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));

describe.skipIf(!KUBECTL)('kubectl: bindings, componentstatuses, csistoragecapacities', () => {
  beforeAll(async () => {
    data = makeDataDir();
    // No nodes: the scheduler runs but binds nothing, so the test's Binding is the pod's only one.
    server = await startServer(data.dir, ['--nodes', '0']);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    data?.remove();
  });

  test('api-resources lists the three kinds', () => {
    const rows = table(run('api-resources').out);
    expect(rows).toContainEqual(['bindings', 'v1', 'true', 'Binding']);
    expect(rows).toContainEqual(['componentstatuses', 'cs', 'v1', 'false', 'ComponentStatus']);
    expect(rows).toContainEqual(['csistoragecapacities', 'storage.k8s.io/v1', 'true', 'CSIStorageCapacity']);
  });

  test('kubectl get cs: scheduler, controller-manager and etcd-0 Healthy, with upstream\'s warning', async () => {
    // The controller manager is healthy once it holds its leader lease.
    const res = await eventually('every component Healthy', () => {
      const r = run('get', 'cs');
      return table(r.out).slice(1).every((row) => row[1] === 'Healthy') && r;
    }, 30_000, 250);
    expect(table(res.out)).toEqual([
      ['NAME', 'STATUS', 'MESSAGE', 'ERROR'],
      ['scheduler', 'Healthy', 'ok'],
      ['controller-manager', 'Healthy', 'ok'],
      ['etcd-0', 'Healthy', 'ok'],
    ]);
    expect(res.err).toContain('Warning: v1 ComponentStatus is deprecated in v1.19+');
  }, 40_000);

  test('kubectl create -f binding.yaml binds the pod; a second binding is a conflict', () => {
    expect(run('run', 'bound', '--image=busybox', '--restart=Never').code).toBe(0);
    const file = join(data.dir, 'binding.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Binding\nmetadata: {name: bound}\ntarget: {apiVersion: v1, kind: Node, name: node-a}\n');
    const first = run('create', '-f', file);
    expect(first.code, first.err).toBe(0);
    expect(run('get', 'pod', 'bound', '-o', 'jsonpath={.spec.nodeName}').out).toBe('node-a');
    const again = run('create', '-f', file);
    expect(again.code).not.toBe(0);
    expect(again.err).toContain('Operation cannot be fulfilled on pods "bound": pod bound is already assigned to node "node-a"');
  });

  test('kubectl get csistoragecapacities prints Name, StorageClassName, Capacity', () => {
    const file = join(data.dir, 'capacity.yaml');
    writeFileSync(file, 'apiVersion: storage.k8s.io/v1\nkind: CSIStorageCapacity\nmetadata: {name: cap-a}\nstorageClassName: standard\ncapacity: 10Gi\n');
    expect(run('create', '-f', file).code).toBe(0);
    expect(table(run('get', 'csistoragecapacities').out)).toEqual([['NAME', 'STORAGECLASSNAME', 'CAPACITY'], ['cap-a', 'standard', '10Gi']]);
  });
});
