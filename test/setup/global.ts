/**
 * Suite-wide services. A real etcd (Debian's etcd-server) on 127.0.0.1, a free port and a temporary data dir,
 * when the binary is present; suites read its endpoint with `inject('etcdEndpoint')` and skip, saying so,
 * when it is empty.
 */
import type { TestProject } from 'vitest/node';
import { startEtcd, type EtcdProcess } from './etcd.js';

declare module 'vitest' {
  export interface ProvidedContext {
    etcdEndpoint: string;
  }
}

let etcd: EtcdProcess | null = null;

export async function setup(project: TestProject): Promise<void> {
  etcd = await startEtcd();
  project.provide('etcdEndpoint', etcd?.endpoint ?? '');
}

export async function teardown(): Promise<void> {
  await etcd?.stop();
}
