/**
 * Certificate renewal while serving: a check inside the renewal window issues a new serving certificate and
 * swaps it into the listening HTTPS server, so the next connection is served the new one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { loadOrIssueServerCertificates } from '../../../src/control/pki/cluster-certs.js';
import { startCertificateRotation, useServingCertificate } from '../../../src/control/pki/rotation.js';
import { servingWithClientCerts } from '../../../src/control/pki/serving-tls.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-rotation-'));
let server: Server | undefined;
afterAll(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

// Not verified: the renewed certificate is issued on the test's clock, 340 days ahead of the real one.
const servedSerial = (port: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().serialNumber);
      s.end();
    });
    s.on('error', reject);
  });

describe('startCertificateRotation', () => {
  it('renews the serving certificate within 30 days of expiry and serves the new one', async () => {
    const ca = createClusterCA();
    let now = new Date();
    const names = { listenHosts: ['127.0.0.1'], serviceIP: '10.96.0.1' };
    const check = () => loadOrIssueServerCertificates(dir, ca, names, [], { now });
    const first = await check();
    server = createServer(servingWithClientCerts(first.serving, ca.certPem), (_q, r) => r.end('ok'));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    expect(await servedSerial(port)).toBe(first.serving.cert.serialNumber);

    const applied: string[] = [];
    const rotation = startCertificateRotation({
      everyMs: 3_600_000,
      check,
      apply: (next, renewed) => {
        applied.push(...renewed.map((c) => c.certPath));
        if (next.serving.issued) useServingCertificate(server!, next.serving, ca.certPem);
      },
    });
    try {
      expect(await rotation.checkNow()).toEqual([]);
      now = new Date(now.getTime() + 340 * 86_400_000);
      const renewed = await rotation.checkNow();
      expect(renewed.map((c) => c.issued)).toEqual([expect.stringMatching(/within 30 days/), expect.stringMatching(/within 30 days/)]);
      expect(applied).toEqual([join(dir, 'apiserver.crt'), join(dir, 'admin.crt')]);
      const served = await servedSerial(port);
      expect(served).toBe(renewed[0]!.cert.serialNumber);
      expect(served).not.toBe(first.serving.cert.serialNumber);
    } finally {
      rotation.stop();
    }
  });

  it('a failing check is reported and renews nothing', async () => {
    const errors: unknown[] = [];
    const rotation = startCertificateRotation({ everyMs: 3_600_000, check: () => Promise.reject(new Error('disk gone')), apply: () => { throw new Error('not called'); }, onError: (e) => errors.push(e) });
    expect(await rotation.checkNow()).toEqual([]);
    rotation.stop();
    expect(String(errors[0])).toContain('disk gone');
  });
});
