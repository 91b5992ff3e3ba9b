/**
 * `skiff server` driven by Debian's python3-kubernetes (the official Python client): namespaces, ConfigMaps and
 * Deployments, a kubernetes.watch.Watch (which sends `watch=True`) and its resume from a resourceVersion, strategic and merge patches, a Table and a
 * metadata-only list read raw, errors, and deletes with propagationPolicy. The Python side is
 * test/e2e/python/client_flow.py; this file asserts on the JSON it prints.
 * Runs with /usr/bin/python3 (Debian's, which has the package), not a pyenv python3 on PATH.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeDataDir, startServer, type RunningServer } from './server.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, 'python/client_flow.py');

function pythonClient(): string | null {
  if (!existsSync(PYTHON)) return null;
  try {
    return execFileSync(PYTHON, ['-c', 'import kubernetes; print(kubernetes.__version__)'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const version = pythonClient();
if (!version) console.warn('skipping python-client e2e: /usr/bin/python3 with python3-kubernetes is not installed (apt-get install python3-kubernetes)');

let data: ReturnType<typeof makeDataDir>;
let server: RunningServer;

describe.skipIf(!version)(`skiff server with python3-kubernetes ${version ?? ''}`, () => {
  beforeAll(async () => {
    data = makeDataDir();
    // API semantics only: no controllers (a Foreground delete keeps its finalizer), no scheduler, no nodes.
    server = await startServer(data.dir, ['--no-scheduler', '--no-controllers', '--nodes', '0']);
  });
  afterAll(async () => {
    await server?.stop();
    data?.remove();
  });

  test('CRUD, watch, patches, Table, metadata list, errors and deletes', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(PYTHON, [SCRIPT, server.kubeconfig, 'py'], { timeout: 60_000 }, (err, out, errOut) => {
        if (err) reject(new Error(`${err.message}\n${errOut}`));
        else resolve(out);
      });
    });
    const out = JSON.parse(stdout);
    expect(out.namespaces).toEqual(expect.arrayContaining(['default', 'kube-system']));
    expect(out.configmap).toMatchObject({ name: 'settings', data: { color: 'blue' }, resourceVersion: expect.stringMatching(/^\d+$/) });
    expect(out.deployment).toEqual({ name: 'web', replicas: 2, strategy: 'RollingUpdate' });

    // The watch streamed: the initial ADDED, then the pod created while it was open.
    expect(out.watchEvents).toEqual([['ADDED', 'before'], ['ADDED', 'after']]);
    expect(out.watchResourceVersion).toMatch(/^\d+$/);
    expect(out.resumedEvents).toEqual([['MODIFIED', 'after', 'yes']]);

    expect(out.strategicPatch).toEqual({ color: 'blue', size: 'large' });
    expect(out.mergePatch).toEqual({ size: 'large', shape: 'round' });
    expect(out.deploymentPatch).toBe(3);

    expect(out.table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', rows: ['after', 'before'] });
    expect(out.table.columns.slice(0, 4)).toEqual(['Name', 'Ready', 'Status', 'Restarts']);
    expect(out.metadataList).toEqual({
      kind: 'PartialObjectMetadataList', items: [['PartialObjectMetadata', 'after', false], ['PartialObjectMetadata', 'before', false]],
    });

    expect(out.notFound).toEqual({ status: 404, reason: 'NotFound', message: 'configmaps "missing" not found' });
    expect(out.badDryRun).toEqual({
      status: 422, reason: 'Invalid', message: 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"true"}: supported values: "All"',
    });
    expect(out.dryRun).toBe('dry');
    expect(out.dryRunStored).toMatchObject({ status: 404 });

    expect(out.foregroundDelete).toEqual({ finalizers: ['foregroundDeletion'], deleting: true });
    expect(out.bodyDelete).toEqual({ status: 'Success', kind: 'configmaps' });
    expect(out.badPolicy).toEqual({
      status: 422, reason: 'Invalid',
      message: 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sometimes": supported values: "Foreground", "Background", "Orphan", "nil"',
    });
    expect(out.podDelete).toBe('before');
  }, 90_000);
});
