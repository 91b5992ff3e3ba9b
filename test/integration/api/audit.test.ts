/** The audit log through the API server: stages, fields, levels, a watch's ResponseStarted, and the file sink. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { fileAuditSink, METADATA_POLICY, parseAuditPolicy, type AuditEvent } from '../../../src/control/api/audit/index.js';
import { authenticationChain, TokenFileAuthenticator } from '../../../src/control/api/auth/index.js';
import { eventually } from '../../support/cluster.js';

const events: AuditEvent[] = [];
const sink = { write: (ev: AuditEvent) => void events.push(ev), close: async () => {} };
const of = (id: string) => events.filter((e) => e.auditID === id);

describe('audit log', () => {
  let h: Harness;
  beforeAll(async () => {
    const tokens = new TokenFileAuthenticator(new Map([['tok-alice', { name: 'alice', uid: 'u-1', groups: ['dev', 'ops'] }]]));
    h = await startHarness({
      authentication: authenticationChain({ tokens: [tokens] }),
      audit: {
        sink,
        policy: parseAuditPolicy(`
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    nonResourceURLs: ["/healthz*"]
  - level: Metadata
    resources: [{resources: [secrets]}]
  - level: RequestResponse
    resources: [{resources: [configmaps]}]
    omitStages: [RequestReceived]
  - level: Metadata
`),
      },
    });
  });
  afterAll(() => h.close());
  const alice = { authorization: 'Bearer tok-alice', 'user-agent': 'kubectl/v1.30.0', 'x-forwarded-for': '10.1.2.3' };

  it('a create: RequestReceived and ResponseComplete with user, objectRef, status, timestamps and the Audit-ID header', async () => {
    const res = await h.req('POST', '/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, stringData: { password: 'hunter2' } }, alice);
    expect(res.statusCode).toBe(201);
    const id = String(res.headers['audit-id']);
    const evs = of(id);
    expect(evs.map((e) => e.stage)).toEqual(['RequestReceived', 'ResponseComplete']);
    const done = evs[1]!;
    expect(done).toMatchObject({
      kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', verb: 'create',
      requestURI: '/api/v1/namespaces/default/secrets', userAgent: 'kubectl/v1.30.0',
      user: { username: 'alice', uid: 'u-1', groups: ['dev', 'ops', 'system:authenticated'] },
      objectRef: { resource: 'secrets', namespace: 'default', name: 's1', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
    });
    expect(done.sourceIPs[0]).toBe('10.1.2.3');
    expect(done.requestReceivedTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(done.stageTimestamp >= done.requestReceivedTimestamp).toBe(true);
    // Metadata level: no bodies, so the secret's value is nowhere in the log.
    expect(JSON.stringify(evs)).not.toContain('hunter2');
  });

  it('admission annotates: PodSecurity enforce-policy and audit-violations, on the refused request too', async () => {
    const ns = await h.req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'psa', labels: { 'pod-security.kubernetes.io/audit': 'baseline', 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.30' } } }, alice);
    expect(ns.statusCode).toBe(201);
    const pod = (name: string, privileged: boolean) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged } }] } });
    const notes = (res: { headers: Record<string, unknown> }) => of(String(res.headers['audit-id'])).find((e) => e.stage === 'ResponseComplete')!.annotations ?? {};
    const ok = await h.req('POST', '/api/v1/namespaces/psa/pods', pod('ok', false), alice);
    expect(ok.statusCode).toBe(201);
    expect(notes(ok)['pod-security.kubernetes.io/enforce-policy']).toBe('baseline:v1.30');
    expect(notes(ok)).not.toHaveProperty(['pod-security.kubernetes.io/audit-violations']);
    const refused = await h.req('POST', '/api/v1/namespaces/psa/pods', pod('bad', true), alice);
    expect(refused.statusCode).toBe(403);
    expect(notes(refused)).toMatchObject({
      'pod-security.kubernetes.io/enforce-policy': 'baseline:v1.30',
      'pod-security.kubernetes.io/audit-violations': 'would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)',
    });
  });

  it('a failure records the Status message and reason', async () => {
    const res = await h.req('GET', '/api/v1/namespaces/default/secrets/missing', undefined, alice);
    expect(res.statusCode).toBe(404);
    const done = of(String(res.headers['audit-id'])).find((e) => e.stage === 'ResponseComplete')!;
    expect(done.responseStatus).toEqual({ metadata: {}, status: 'Failure', message: 'secrets "missing" not found', reason: 'NotFound', details: { name: 'missing', kind: 'secrets' }, code: 404 });
    expect(done.verb).toBe('get');
  });

  it('RequestResponse logs both bodies; the rule\'s omitStages drops RequestReceived; None logs nothing', async () => {
    const res = await h.req('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' }, data: { k: 'v' } }, { ...alice, 'audit-id': 'my-audit-id' });
    expect(res.statusCode).toBe(201);
    const evs = of('my-audit-id');
    expect(evs.map((e) => e.stage)).toEqual(['ResponseComplete']);
    expect(evs[0]!.requestObject).toMatchObject({ kind: 'ConfigMap', data: { k: 'v' } });
    expect(evs[0]!.responseObject).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'c1', namespace: 'default' } });
    const before = events.length;
    await h.req('GET', '/healthz', undefined, alice);
    expect(events.length).toBe(before);
  });

  it('a protobuf create (kubectl create secret) still names its object', async () => {
    const { encodeProtobuf, PROTOBUF_MEDIA_TYPE } = await import('../../../src/control/api/protobuf/encode.js');
    const body = encodeProtobuf({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pb' }, data: { k: Buffer.from('v').toString('base64') } });
    const res = await h.req('POST', '/api/v1/namespaces/default/secrets', body, { ...alice, 'content-type': PROTOBUF_MEDIA_TYPE });
    expect(res.statusCode).toBe(201);
    const done = of(String(res.headers['audit-id'])).find((e) => e.stage === 'ResponseComplete')!;
    expect(done.objectRef).toMatchObject({ resource: 'secrets', namespace: 'default', name: 'pb' });
  });

  it('a request authentication refuses is one ResponseStarted event with 401 and the methods tried', async () => {
    const before = events.length;
    const res = await h.req('GET', '/api/v1/namespaces/default/secrets', undefined, { authorization: 'Bearer wrong', 'user-agent': 'curl/8' });
    expect(res.statusCode).toBe(401);
    const evs = events.slice(before);
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({
      stage: 'ResponseStarted', level: 'Metadata', verb: 'list', user: { username: '' }, userAgent: 'curl/8',
      objectRef: { resource: 'secrets', namespace: 'default' },
      responseStatus: { metadata: {}, message: 'Authentication failed, attempted: bearer', code: 401 },
    });
  });

  it('a watch logs ResponseStarted when its stream starts and ResponseComplete when it ends', async () => {
    await h.server.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = h.server.app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const id = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/v1/namespaces/default/pods?watch=true', headers: alice }, (res) => {
        resolve(String(res.headers['audit-id']));
        setTimeout(() => req.destroy(), 50);
      });
      req.on('error', () => {});
      req.end();
      setTimeout(() => reject(new Error('no watch response')), 5000);
    });
    await eventually('the watch\'s ResponseComplete', () => of(id).some((e) => e.stage === 'ResponseComplete'));
    const evs = of(id);
    expect(evs.map((e) => e.stage)).toEqual(['RequestReceived', 'ResponseStarted', 'ResponseComplete']);
    expect(evs[1]).toMatchObject({ verb: 'watch', objectRef: { resource: 'pods', namespace: 'default' }, responseStatus: { code: 200 } });
  });
});

describe('audit file sink', () => {
  it('writes JSON lines, at Metadata for everything by default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-audit-'));
    const file = join(dir, 'audit.log');
    const h = await startHarness({ audit: { policy: METADATA_POLICY, sink: fileAuditSink(file) } });
    try {
      expect((await h.req('GET', '/api/v1/namespaces')).statusCode).toBe(200);
      await h.close();
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditEvent);
      const list = lines.filter((e) => e.requestURI === '/api/v1/namespaces');
      expect(list.map((e) => [e.stage, e.level, e.verb])).toEqual([['RequestReceived', 'Metadata', 'list'], ['ResponseComplete', 'Metadata', 'list']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('audit annotations from the authoriser', () => {
  it('records the decision and reason of RBAC', async () => {
    const seen: AuditEvent[] = [];
    const tokens = new TokenFileAuthenticator(new Map([
      ['t-eve', { name: 'eve', groups: [] }],
      ['t-root', { name: 'root', groups: ['system:masters'] }],
    ]));
    const h = await startHarness({
      authentication: authenticationChain({ tokens: [tokens] }),
      authorization: { modes: ['RBAC'] },
      audit: { policy: METADATA_POLICY, sink: { write: (ev) => void seen.push(ev), close: async () => {} } },
    });
    try {
      const denied = await h.req('GET', '/api/v1/namespaces/default/secrets', undefined, { authorization: 'Bearer t-eve' });
      expect(denied.statusCode).toBe(403);
      const d = seen.find((e) => e.auditID === denied.headers['audit-id'] && e.stage === 'ResponseComplete')!;
      expect(d.annotations?.['authorization.k8s.io/decision']).toBe('forbid');
      expect(d.responseStatus).toMatchObject({ code: 403, reason: 'Forbidden' });
      const allowed = await h.req('GET', '/api/v1/namespaces/default/secrets', undefined, { authorization: 'Bearer t-root' });
      expect(allowed.statusCode).toBe(200);
      const a = seen.find((e) => e.auditID === allowed.headers['audit-id'] && e.stage === 'ResponseComplete')!;
      expect(a.annotations?.['authorization.k8s.io/decision']).toBe('allow');
      expect(a.annotations).toHaveProperty(['authorization.k8s.io/reason']); // '' for system:masters, as upstream's privileged-group authoriser
    } finally {
      await h.close();
    }
  });
});
