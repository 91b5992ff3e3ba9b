/**
 * `skiff server` keeps secrets encrypted at rest by default (a key generated in the data dir), writes the audit
 * log asked for with --audit-log-path, and rotates keys with `skiff secrets rotate-key` + `reencrypt`: checked in
 * the sqlite file itself, with the real kubectl (skipped, saying so, without kubectl).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { makeDataDir, startServer } from './server.js';
import { commandPath } from '../setup/commands.js';

const KUBECTL = commandPath('kubectl');
if (!KUBECTL) console.warn('kubectl not found on PATH: the secrets-at-rest end-to-end suite is skipped');
const BIN = resolve(import.meta.dirname, '../../bin/skiff.js');
const PASSWORD = 'zebra-unicorn-42';

describe.skipIf(!KUBECTL)('secrets at rest and the audit log in skiff server', () => {
  const data = makeDataDir();
  afterAll(() => data.remove());
  const flags = ['--nodes', '0', '--no-scheduler', '--no-controllers'];
  const storedPrefix = () => {
    const db = new Database(join(data.dir, 'state.db'), { readonly: true });
    try {
      const row = db.prepare("SELECT value FROM kine WHERE name = '/registry/secrets/default/db' ORDER BY id DESC LIMIT 1").get() as { value: Buffer };
      expect(row.value.includes(Buffer.from(PASSWORD))).toBe(false);
      expect(row.value.includes(Buffer.from(Buffer.from(PASSWORD).toString('base64')))).toBe(false);
      return /^k8s:enc:[a-z]+:v1:[^:]+:/.exec(row.value.subarray(0, 64).toString('latin1'))?.[0];
    } finally {
      db.close();
    }
  };

  test('encrypted by default, audited, rotated', async () => {
    const audit = join(data.dir, 'audit.log');
    let server = await startServer(data.dir, [...flags, '--audit-log-path', audit]);
    const k = (...args: string[]) => execFileSync(KUBECTL!, ['--kubeconfig', server.kubeconfig, ...args], { encoding: 'utf8' });
    try {
      k('create', 'secret', 'generic', 'db', `--from-literal=password=${PASSWORD}`);
      expect(Buffer.from(k('get', 'secret', 'db', '-o', 'jsonpath={.data.password}'), 'base64').toString()).toBe(PASSWORD);
    } finally {
      await server.stop();
    }
    expect(storedPrefix()).toBe('k8s:enc:aescbc:v1:aescbckey:');
    const events = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { stage: string; verb: string; level: string; objectRef?: { resource?: string; name?: string } });
    expect(events.some((e) => e.stage === 'ResponseComplete' && e.verb === 'create' && e.level === 'Metadata' && e.objectRef?.resource === 'secrets' && e.objectRef.name === 'db')).toBe(true);
    expect(readFileSync(audit, 'utf8')).not.toContain(Buffer.from(PASSWORD).toString('base64'));

    const rotated = execFileSync(process.execPath, [BIN, 'secrets', 'rotate-key', '--data-dir', data.dir], { encoding: 'utf8' });
    const name = /added aescbc key (\S+) first/.exec(rotated)?.[1];
    expect(name).toBeTruthy();
    server = await startServer(data.dir, flags);
    try {
      expect(execFileSync(process.execPath, [BIN, 'secrets', 'reencrypt', '--kubeconfig', server.kubeconfig], { encoding: 'utf8' })).toMatch(/^\d+ secrets written back/);
      expect(Buffer.from(execFileSync(KUBECTL!, ['--kubeconfig', server.kubeconfig, 'get', 'secret', 'db', '-o', 'jsonpath={.data.password}'], { encoding: 'utf8' }), 'base64').toString()).toBe(PASSWORD);
    } finally {
      await server.stop();
    }
    expect(storedPrefix()).toBe(`k8s:enc:aescbc:v1:${name}:`);
  }, 60_000);
});
