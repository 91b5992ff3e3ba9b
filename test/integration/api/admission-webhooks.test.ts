/**
 * Admission webhooks against a real HTTPS webhook server on 127.0.0.1 (its certificate made here, trusted
 * through the configuration's caBundle): validating refusals in upstream's words, mutating JSON patches,
 * namespace selectors, failurePolicy Fail and Ignore, timeoutSeconds, a caBundle that does not match, updates
 * with their old object, and a webhook reached through a Service's endpoint.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigMaps, Endpoints, Namespaces, Pods, ServiceAccounts, Services } from '../../../src/client/resources.js';
import { ApiError } from '../../../src/client/rest.js';
import type { KubeObject } from '../../../src/client/types.js';
import { eventually, startTestCluster, type TestCluster } from '../../support/cluster.js';
import { selfSigned } from '../../support/self-signed.js';
import { METADATA_POLICY, type AuditEvent } from '../../../src/control/api/audit/index.js';

const Validating = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations', namespaced: false };
const Mutating = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations', namespaced: false };

interface Review { request: { uid: string; operation: string; userInfo?: unknown; object?: KubeObject; oldObject?: KubeObject | null; namespace?: string; dryRun?: boolean } }

let cluster: TestCluster;
let hookServer: Server;
let base = '';
let caBundle = '';
const seen: Array<{ path: string; review: Review }> = [];
const audited: AuditEvent[] = [];

const allow = (uid: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true, ...extra } });

beforeAll(async () => {
  const tls = selfSigned(['hooks.default.svc'], 'skiff-test-webhook');
  caBundle = Buffer.from(tls.cert).toString('base64');
  hookServer = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const review = JSON.parse(body) as Review;
      const path = req.url ?? '';
      seen.push({ path, review });
      const { uid, object } = review.request;
      const reply = (o: unknown) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(o));
      };
      if (path.startsWith('/slow')) {
        setTimeout(() => reply(allow(uid)), 2500).unref();
        return;
      }
      if (path.startsWith('/protect')) {
        const old = review.request.oldObject;
        if (review.request.operation === 'DELETE' && old?.metadata?.labels?.['protected'] === 'true') {
          return reply({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: false, status: { message: `${old.metadata.name} is protected` } } });
        }
        return reply(allow(uid));
      }
      if (path.startsWith('/validate')) {
        const data = (object?.['data'] ?? {}) as Record<string, string>;
        if (data['bad']) return reply({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: false, status: { code: 403, message: `bad data: ${data['bad']}` } } });
        return reply(allow(uid, { warnings: ['checked by the test webhook'], auditAnnotations: { checked: 'yes' } }));
      }
      if (path.startsWith('/count')) {
        // Records how many labels it saw: a later webhook adding one makes a reinvocation change it.
        const labels = { ...(object?.metadata?.labels ?? {}) };
        delete labels['seen'];
        const patch = [{ op: 'add', path: '/metadata/labels', value: { ...labels, seen: String(Object.keys(labels).length) } }];
        return reply(allow(uid, { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }));
      }
      if (path.startsWith('/sidecar')) {
        const patch = [
          { op: 'add', path: '/spec/containers/-', value: { name: 'side', image: 'busybox' } },
          { op: 'replace', path: '/spec/serviceAccountName', value: 'robot' },
        ];
        return reply(allow(uid, { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }));
      }
      if (path.startsWith('/mutate')) {
        const patch = [{ op: 'add', path: '/metadata/labels', value: { ...(object?.metadata?.labels ?? {}), mutated: 'yes' } }];
        return reply(allow(uid, { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }));
      }
      reply(allow(uid));
    });
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(hookServer.address() as AddressInfo).port}`;
  cluster = await startTestCluster({ audit: { policy: METADATA_POLICY, sink: { write: (ev) => void audited.push(ev), close: async () => {} } } });
});
afterAll(async () => {
  await cluster?.close();
  hookServer?.closeAllConnections();
  await new Promise<void>((resolve) => (hookServer ? hookServer.close(() => resolve()) : resolve()));
});

const hook = (name: string, url: string | undefined, extra: Record<string, unknown> = {}) => ({
  name, clientConfig: { ...(url ? { url } : {}), caBundle },
  rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
  sideEffects: 'None', admissionReviewVersions: ['v1'], ...extra,
});
const config = (name: string, webhooks: unknown[]): KubeObject => ({ metadata: { name }, webhooks } as KubeObject);
const cm = (name: string, ns: string, data: Record<string, string> = {}, labels?: Record<string, string>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, ...(labels ? { labels } : {}) }, data } as KubeObject);
const refusal = async (p: Promise<unknown>): Promise<ApiError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('the write was admitted');
};

describe('admission webhooks', () => {
  it('a validating webhook refuses in upstream words and sees the AdmissionReview; updates carry the old object', async () => {
    const c = cluster.client;
    await c.create(Namespaces, { metadata: { name: 'hooked', labels: { webhooks: 'on' } } } as KubeObject);
    await c.create(Validating, config('deny-bad', [hook('deny.example.com', `${base}/validate`, { namespaceSelector: { matchLabels: { webhooks: 'on' } } })]));
    const err = await eventually('the webhook refuses', async () => {
      try {
        await c.create(ConfigMaps, cm(`probe-${seen.length}`, 'hooked', { bad: 'yes' }));
        return undefined;
      } catch (e) {
        return e instanceof ApiError ? e : undefined;
      }
    });
    expect(err.code).toBe(403);
    expect(err.status?.message).toBe('admission webhook "deny.example.com" denied the request: bad data: yes');

    await c.create(ConfigMaps, cm('fine', 'hooked', { good: 'yes' }));
    const review = seen.filter((s) => s.path.startsWith('/validate')).at(-1)!;
    expect(review.path).toBe('/validate?timeout=10s');
    expect(review.review.request).toMatchObject({
      operation: 'CREATE', namespace: 'hooked', object: { metadata: { name: 'fine' }, data: { good: 'yes' } },
      userInfo: { username: 'system:unsecured', groups: ['system:masters', 'system:authenticated'] },
    });

    const stored = await c.get(ConfigMaps, 'fine', 'hooked');
    const upd = await refusal(c.update(ConfigMaps, { ...stored, data: { bad: 'later' } }));
    expect(upd.status?.message).toBe('admission webhook "deny.example.com" denied the request: bad data: later');
    const last = seen.at(-1)!.review.request;
    expect(last.operation).toBe('UPDATE');
    expect(last.oldObject).toMatchObject({ data: { good: 'yes' } });

    // Warnings a webhook sends reach the client as Warning headers.
    const res = await fetch(`${cluster.url}/api/v1/namespaces/hooked/configmaps`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(cm('warned', 'hooked')),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('warning')).toContain('299 - "checked by the test webhook"');
    // Its auditAnnotations land on the request's audit event under the webhook's name.
    const event = audited.find((e) => e.auditID === res.headers.get('audit-id') && e.stage === 'ResponseComplete');
    expect(event?.annotations?.['deny.example.com/checked']).toBe('yes');

    // The namespaceSelector leaves other namespaces alone.
    const before = seen.length;
    await c.create(ConfigMaps, cm('elsewhere', 'default', { bad: 'yes' }));
    expect(seen.length).toBe(before);
    await c.delete(Validating, undefined, 'deny-bad');
  });

  it('matchConditions decide whether the webhook is called; one that fails to evaluate follows failurePolicy', async () => {
    const c = cluster.client;
    await c.create(Validating, config('conditional', [
      hook('cond.example.com', `${base}/validate`, {
        objectSelector: { matchLabels: { case: 'cond' } },
        matchConditions: [{ name: 'not-exempt', expression: "!('exempt' in object.metadata.labels)" }, { name: 'creates', expression: "request.operation == 'CREATE'" }],
      }),
      hook('broken-cond.example.com', `${base}/validate`, {
        objectSelector: { matchLabels: { case: 'broken-cond' } }, matchConditions: [{ name: 'typo', expression: 'object.nothere == 1' }],
      }),
    ]));
    const refused = await eventually('the conditional webhook refuses', async () => {
      try {
        await c.create(ConfigMaps, cm(`c-${Date.now()}`, 'default', { bad: 'cond' }, { case: 'cond' }));
        return undefined;
      } catch (e) {
        return e instanceof ApiError ? e : undefined;
      }
    });
    expect(refused.status?.message).toBe('admission webhook "cond.example.com" denied the request: bad data: cond');
    const calls = seen.length;
    expect((await c.create(ConfigMaps, cm('exempted', 'default', { bad: 'cond' }, { case: 'cond', exempt: 'yes' }))).metadata?.name).toBe('exempted');
    expect(seen.length).toBe(calls);
    const broken = await refusal(c.create(ConfigMaps, cm('b', 'default', {}, { case: 'broken-cond' })));
    expect(broken.code).toBe(500);
    expect(broken.status?.message).toMatch(/failed calling webhook "broken-cond.example.com": failed to evaluate match condition "typo"/);
    await c.delete(Validating, undefined, 'conditional');
  });

  it('a mutating webhook patches the object before it is stored', async () => {
    const c = cluster.client;
    await c.create(Mutating, config('label-it', [hook('label.example.com', `${base}/mutate`, { objectSelector: { matchLabels: { mutate: 'me' } } })]));
    const created = await eventually('the patch applies', async () => {
      const name = `m-${seen.length}`;
      const o = await c.create(ConfigMaps, cm(name, 'default', {}, { mutate: 'me' }));
      return o.metadata?.labels?.['mutated'] === 'yes' ? o : undefined;
    });
    expect(created.metadata?.labels).toEqual({ mutate: 'me', mutated: 'yes' });
    expect((await c.get(ConfigMaps, created.metadata!.name!, 'default')).metadata?.labels).toEqual({ mutate: 'me', mutated: 'yes' });
    // Not selected by the objectSelector: untouched.
    expect((await c.create(ConfigMaps, cm('plain', 'default'))).metadata?.labels).toBeUndefined();
    await c.delete(Mutating, undefined, 'label-it');

    // Configurations run in name order: a-count sees one label, then b-label adds one; IfNeeded calls a-count again.
    const counted = (policy: string) => hook('count.example.com', `${base}/count`, { reinvocationPolicy: policy, objectSelector: { matchLabels: { mutate: policy } } });
    await c.create(Mutating, config('a-count', [counted('Never'), { ...counted('IfNeeded'), name: 'count-again.example.com' }]));
    await c.create(Mutating, config('b-label', [
      hook('label.example.com', `${base}/mutate`, { objectSelector: { matchExpressions: [{ key: 'mutate', operator: 'In', values: ['Never', 'IfNeeded'] }] } }),
    ]));
    const once = await eventually('both configurations apply', async () => {
      const o = await c.create(ConfigMaps, cm(`n-${Date.now()}`, 'default', {}, { mutate: 'Never' }));
      return o.metadata?.labels?.['mutated'] === 'yes' ? o : undefined;
    });
    expect(once.metadata?.labels).toEqual({ mutate: 'Never', mutated: 'yes', seen: '1' });
    const again = await c.create(ConfigMaps, cm('reinvoked', 'default', {}, { mutate: 'IfNeeded' }));
    expect(again.metadata?.labels).toEqual({ mutate: 'IfNeeded', mutated: 'yes', seen: '2' });
    await c.delete(Mutating, undefined, 'a-count');
    await c.delete(Mutating, undefined, 'b-label');
  });

  it('what a mutating webhook adds is defaulted again, as upstream decodes and defaults the patched object', async () => {
    const c = cluster.client;
    await c.create(ServiceAccounts, { metadata: { name: 'robot', namespace: 'default' } } as KubeObject);
    await c.create(Mutating, config('sidecar', [{
      ...hook('sidecar.example.com', `${base}/sidecar`, { objectSelector: { matchLabels: { sidecar: 'yes' } } }),
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    }]));
    const pod = (name: string): KubeObject => ({
      metadata: { name, namespace: 'default', labels: { sidecar: 'yes' } },
      spec: { serviceAccountName: 'default', containers: [{ name: 'main', image: 'busybox:1.36' }] },
    } as KubeObject);
    const created = await eventually('the sidecar is added', async () => {
      const o = await c.create(Pods, pod(`sc-${seen.length}`));
      return (o['spec'] as { containers: unknown[] }).containers.length === 2 ? o : undefined;
    });
    const spec = created['spec'] as { serviceAccountName: string; serviceAccount: string; containers: Array<Record<string, unknown>> };
    expect(spec.serviceAccountName).toBe('robot');
    expect(spec.serviceAccount).toBe('robot');
    expect(spec.containers[1]).toMatchObject({ name: 'side', imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    await c.delete(Mutating, undefined, 'sidecar');
  });

  it('failurePolicy: Fail refuses when the webhook cannot be reached, times out or is not trusted; Ignore admits', async () => {
    const c = cluster.client;
    const wrongCA = Buffer.from(selfSigned(['hooks.default.svc']).cert).toString('base64');
    await c.create(Validating, config('broken', [
      hook('down.example.com', 'https://127.0.0.1:1/validate', { objectSelector: { matchLabels: { case: 'down' } } }),
      hook('slow.example.com', `${base}/slow`, { timeoutSeconds: 1, objectSelector: { matchLabels: { case: 'slow' } } }),
      { ...hook('untrusted.example.com', `${base}/validate`, { objectSelector: { matchLabels: { case: 'untrusted' } } }), clientConfig: { url: `${base}/validate`, caBundle: wrongCA } },
      hook('ignored.example.com', 'https://127.0.0.1:1/validate', { failurePolicy: 'Ignore', objectSelector: { matchLabels: { case: 'ignored' } } }),
    ]));
    const down = await eventually('the unreachable webhook fails the request', async () => {
      try {
        await c.create(ConfigMaps, cm(`d-${Date.now()}`, 'default', {}, { case: 'down' }));
        return undefined;
      } catch (e) {
        return e instanceof ApiError ? e : undefined;
      }
    });
    expect(down.code).toBe(500);
    expect(down.reason).toBe('InternalError');
    expect(down.status?.message).toMatch(/^Internal error occurred: failed calling webhook "down.example.com": failed to call webhook: Post "https:\/\/127.0.0.1:1\/validate\?timeout=10s": connect ECONNREFUSED/);

    const started = Date.now();
    const slow = await refusal(c.create(ConfigMaps, cm('s', 'default', {}, { case: 'slow' })));
    expect(Date.now() - started).toBeLessThan(2400);
    expect(slow.status?.message).toContain('failed calling webhook "slow.example.com": failed to call webhook: Post "' + base + '/slow?timeout=1s": context deadline exceeded');

    const untrusted = await refusal(c.create(ConfigMaps, cm('u', 'default', {}, { case: 'untrusted' })));
    expect(untrusted.status?.message).toMatch(/failed calling webhook "untrusted.example.com": failed to call webhook: .*(self-signed|certificate)/);

    expect((await c.create(ConfigMaps, cm('i', 'default', {}, { case: 'ignored' }))).metadata?.name).toBe('i');
    await c.delete(Validating, undefined, 'broken');
  });

  it('a DELETE rule sees the stored object and may refuse the deletion (400 without a code)', async () => {
    const c = cluster.client;
    await c.create(ConfigMaps, cm('keep', 'default', {}, { protected: 'true' }));
    await c.create(ConfigMaps, cm('drop', 'default', {}, { protected: 'false' }));
    await c.create(Validating, config('protect', [hook('protect.example.com', `${base}/protect`, {
      rules: [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
      objectSelector: { matchExpressions: [{ key: 'protected', operator: 'Exists' }] },
    })]));
    const err = await eventually('the deletion is refused', async () => {
      try {
        await c.delete(ConfigMaps, 'default', 'keep');
        return undefined;
      } catch (e) {
        return e instanceof ApiError ? e : undefined;
      }
    });
    expect(err.code).toBe(400);
    expect(err.status?.message).toBe('admission webhook "protect.example.com" denied the request: keep is protected');
    expect(seen.at(-1)!.review.request).toMatchObject({ operation: 'DELETE', oldObject: { metadata: { name: 'keep' } } });
    expect(seen.at(-1)!.review.request.object ?? null).toBeNull();
    await c.delete(ConfigMaps, 'default', 'drop');
    await c.delete(Validating, undefined, 'protect');
  });

  it('reaches a webhook through a Service and its Endpoints, verifying the name <service>.<namespace>.svc', async () => {
    const c = cluster.client;
    const port = (hookServer.address() as AddressInfo).port;
    await c.create(Services, { metadata: { name: 'hooks', namespace: 'default' }, spec: { ports: [{ name: 'https', port: 443, targetPort: port }] } } as KubeObject);
    await c.update(Endpoints, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'hooks', namespace: 'default' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port }] }] } as KubeObject);
    await c.create(Validating, config('by-service', [{
      ...hook('svc.example.com', undefined, { objectSelector: { matchLabels: { case: 'service' } } }),
      clientConfig: { service: { namespace: 'default', name: 'hooks', path: '/validate' }, caBundle },
    }]));
    const err = await eventually('the service-backed webhook refuses', async () => {
      try {
        await c.create(ConfigMaps, cm(`sv-${Date.now()}`, 'default', { bad: 'via service' }, { case: 'service' }));
        return undefined;
      } catch (e) {
        return e instanceof ApiError ? e : undefined;
      }
    });
    expect(err.status?.message).toBe('admission webhook "svc.example.com" denied the request: bad data: via service');
  });
});
