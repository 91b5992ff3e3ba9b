/**
 * Suite-wide services. A real etcd (Debian's etcd-server) on 127.0.0.1, a free port and a temporary data dir,
 * when the binary is present; suites read its endpoint with `inject('etcdEndpoint')` and skip, saying so,
 * when it is empty; and an empty directory for the e2e servers' shared key and certificate files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEtcd, type EtcdProcess } from './etcd.js';

declare module 'vitest' {
  export interface ProvidedContext {
    etcdEndpoint: string;
    /** Where test/e2e/server.ts keeps the key and certificate files it gives new data dirs (made on first use). */
    pkiTemplateDir: string;
  }
}

let etcd: EtcdProcess | null = null;
let pkiTemplateDir = '';

export async function setup(project: TestProject): Promise<void> {
  etcd = await startEtcd();
  project.provide('etcdEndpoint', etcd?.endpoint ?? '');
  pkiTemplateDir = mkdtempSync(join(tmpdir(), 'skiff-e2e-pki-'));
  project.provide('pkiTemplateDir', pkiTemplateDir);
}

export async function teardown(): Promise<void> {
  await etcd?.stop();
  if (pkiTemplateDir) rmSync(pkiTemplateDir, { recursive: true, force: true });
}
