import { connect, createServer, DEFAULT_CIPHERS, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createClusterCA } from '../../../src/control/pki/ca.js';
import { issueCertificate } from '../../../src/control/pki/issue.js';
import { servingCiphers, servingTlsOptions } from '../../../src/control/pki/serving-tls.js';

describe('serving TLS preferences', () => {
  it('puts the TLS 1.3 suites in Go order first and keeps every default cipher', () => {
    const list = servingCiphers(DEFAULT_CIPHERS).split(':');
    expect(list.slice(0, 3)).toEqual(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
    expect([...list].sort()).toEqual(DEFAULT_CIPHERS.split(':').sort());
    // A list without some TLS 1.3 suites is not given them.
    expect(servingCiphers('TLS_AES_256_GCM_SHA384:ECDHE-RSA-AES128-GCM-SHA256')).toBe('TLS_AES_256_GCM_SHA384:ECDHE-RSA-AES128-GCM-SHA256');
  });

  it('a client offering AES-256 first (Node) gets AES-128-GCM on TLS 1.3, and TLS 1.2 clients still connect', async () => {
    const ca = createClusterCA();
    const serving = issueCertificate(ca, { commonName: 'kube-apiserver', ipAddresses: ['127.0.0.1'], usages: ['server'] });
    const server = createServer({ key: serving.keyPem, cert: serving.certPem, ...servingTlsOptions() }, (s) => s.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const handshake = async (extra: { maxVersion?: 'TLSv1.2' }) => {
      const c: TLSSocket = connect({ host: '127.0.0.1', port, ca: ca.certPem, ...extra });
      await once(c, 'secureConnect');
      const out = { cipher: c.getCipher().standardName, version: c.getProtocol() };
      c.destroy();
      return out;
    };
    try {
      expect(await handshake({})).toEqual({ cipher: 'TLS_AES_128_GCM_SHA256', version: 'TLSv1.3' });
      expect(await handshake({ maxVersion: 'TLSv1.2' })).toEqual({ cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', version: 'TLSv1.2' });
    } finally {
      server.close();
    }
  });
});
