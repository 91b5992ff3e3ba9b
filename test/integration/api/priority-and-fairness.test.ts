/**
 * API Priority and Fairness through the API server: requests classified by the stored FlowSchemas (response
 * headers name the schema and level), a level with limitResponse Reject refusing with upstream's 429 while exempt
 * (system:masters) requests pass, a queuing level holding a request until a seat frees, a FlowSchema created
 * through the API classifying the next requests, and /metrics' apiserver_flowcontrol_* figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { MemoryStore } from '../../../src/control/storage/memory.js';
import type { WriteResult } from '../../../src/control/storage/store.js';
import { authenticationChain, TokenFileAuthenticator } from '../../../src/control/api/auth/index.js';

/** A store whose creates of `slow-*` keys wait until released. */
class SlowStore extends MemoryStore {
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};
  private entered: () => void = () => {};
  reached: Promise<void> = Promise.resolve();
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
    this.reached = new Promise((r) => (this.entered = r));
  }
  release(): void {
    this.open();
  }
  override async create(key: string, value: Uint8Array): Promise<WriteResult> {
    if (key.includes('/slow-')) {
      this.entered();
      await this.gate;
    }
    return super.create(key, value);
  }
}

const FC = '/apis/flowcontrol.apiserver.k8s.io/v1';
const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
const as = (token: string) => ({ authorization: `Bearer ${token}` });
const url = '/api/v1/namespaces/default/configmaps';
const FS_HEADER = 'x-kubernetes-pf-flowschema-uid';
const PL_HEADER = 'x-kubernetes-pf-prioritylevel-uid';

const level = (name: string, limitResponse: unknown) => ({
  apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'PriorityLevelConfiguration', metadata: { name },
  spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, limitResponse } },
});
const schemaFor = (name: string, user: string, pl: string) => ({
  apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'FlowSchema', metadata: { name },
  spec: {
    priorityLevelConfiguration: { name: pl }, matchingPrecedence: 500, distinguisherMethod: { type: 'ByUser' },
    rules: [{ subjects: [{ kind: 'User', user: { name: user } }], resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'], clusterScope: true }] }],
  },
});

describe('API Priority and Fairness', () => {
  let h: Harness;
  const store = new SlowStore();
  const uidOf = async (path: string) => (await h.json<{ metadata: { uid: string } }>('GET', path, undefined, as('t-admin'))).body.metadata.uid;
  /** The configuration follows the stored objects through the watch cache: the next requests see it. */
  const classifiedAs = async (token: string, schemaUid: string) => {
    for (let i = 0; i < 200; i++) {
      const res = await h.req('GET', url, undefined, as(token));
      if (res.headers[FS_HEADER] === schemaUid) return res;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`never classified into ${schemaUid}`);
  };
  const metrics = async () => (await h.req('GET', '/metrics', undefined, as('t-admin'))).body;

  beforeAll(async () => {
    const tokens = new TokenFileAuthenticator(new Map([
      ['t-alice', { name: 'alice', groups: ['system:authenticated'] }],
      ['t-bob', { name: 'bob', groups: ['system:authenticated'] }],
      ['t-carol', { name: 'carol', groups: ['system:authenticated'] }],
      ['t-admin', { name: 'admin', groups: ['system:masters', 'system:authenticated'] }],
    ]));
    // 2 seats in all: each level's share rounds up to 1.
    h = await startHarness({
      store,
      authentication: authenticationChain({ tokens: [tokens] }),
      limits: { maxRequestsInflight: 1, maxMutatingRequestsInflight: 1, queueTimeoutMs: 300 },
    });
  });
  afterAll(() => h.close());

  it('names the matched FlowSchema and priority level in every response: exempt for system:masters, global-default for others', async () => {
    const exempt = await classifiedAs('t-admin', await uidOf(`${FC}/flowschemas/exempt`));
    expect(exempt.headers[PL_HEADER]).toBe(await uidOf(`${FC}/prioritylevelconfigurations/exempt`));
    const carol = await classifiedAs('t-carol', await uidOf(`${FC}/flowschemas/global-default`));
    expect(carol.headers[PL_HEADER]).toBe(await uidOf(`${FC}/prioritylevelconfigurations/global-default`));
    expect(carol.statusCode).toBe(200);
  });

  it('a FlowSchema created through the API sends a user to a Reject level: 429 with Retry-After once its seat is taken; exempt requests pass', async () => {
    expect((await h.req('POST', `${FC}/prioritylevelconfigurations`, level('tiny', { type: 'Reject' }), as('t-admin'))).statusCode).toBe(201);
    expect((await h.req('POST', `${FC}/flowschemas`, schemaFor('alice-tiny', 'alice', 'tiny'), as('t-admin'))).statusCode).toBe(201);
    const alice = await classifiedAs('t-alice', await uidOf(`${FC}/flowschemas/alice-tiny`));
    expect(alice.headers[PL_HEADER]).toBe(await uidOf(`${FC}/prioritylevelconfigurations/tiny`));
    expect(await metrics()).toContain('apiserver_flowcontrol_nominal_limit_seats{priority_level="tiny"} 1\n');

    store.hold();
    const held = h.req('POST', url, cm('slow-1'), as('t-alice'));
    await store.reached;
    const refused = await h.req('POST', url, cm('a2'), as('t-alice'));
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(refused.body).toBe('Too many requests, please try again later.\n');
    expect(refused.headers[FS_HEADER]).toBe(alice.headers[FS_HEADER]);
    // Other levels and the exempt one are untouched.
    expect((await h.req('GET', url, undefined, as('t-carol'))).statusCode).toBe(200);
    expect((await h.req('POST', url, cm('by-admin'), as('t-admin'))).statusCode).toBe(201);
    const m = await metrics();
    expect(m).toContain('apiserver_flowcontrol_rejected_requests_total{flow_schema="alice-tiny",priority_level="tiny",reason="concurrency-limit"} 1\n');
    expect(m).toContain('apiserver_flowcontrol_current_executing_requests{flow_schema="alice-tiny",priority_level="tiny"} 1\n');
    store.release();
    expect((await held).statusCode).toBe(201);
    expect((await h.req('POST', url, cm('a3'), as('t-alice'))).statusCode).toBe(201);
  });

  it('a queuing level holds a request until a seat frees, refuses beyond the queue length, and times waiting requests out', async () => {
    const queuing = { type: 'Queue', queuing: { queues: 1, handSize: 1, queueLengthLimit: 1 } };
    expect((await h.req('POST', `${FC}/prioritylevelconfigurations`, level('small-queue', queuing), as('t-admin'))).statusCode).toBe(201);
    expect((await h.req('POST', `${FC}/flowschemas`, schemaFor('bob-small', 'bob', 'small-queue'), as('t-admin'))).statusCode).toBe(201);
    await classifiedAs('t-bob', await uidOf(`${FC}/flowschemas/bob-small`));

    store.hold();
    const held = h.req('POST', url, cm('slow-2'), as('t-bob'));
    await store.reached;
    const queued = h.req('POST', url, cm('b2'), as('t-bob'));
    await new Promise((r) => setTimeout(r, 20));
    expect(await metrics()).toContain('apiserver_flowcontrol_current_inqueue_requests{flow_schema="bob-small",priority_level="small-queue"} 1\n');
    const full = await h.req('POST', url, cm('b3'), as('t-bob'));
    expect(full.statusCode).toBe(429);
    store.release();
    expect((await held).statusCode).toBe(201);
    expect((await queued).statusCode).toBe(201);

    store.hold();
    const held2 = h.req('POST', url, cm('slow-3'), as('t-bob'));
    await store.reached;
    const waited = await h.req('POST', url, cm('b4'), as('t-bob'));
    expect(waited.statusCode).toBe(429);
    store.release();
    expect((await held2).statusCode).toBe(201);
    const m = await metrics();
    expect(m).toContain('apiserver_flowcontrol_rejected_requests_total{flow_schema="bob-small",priority_level="small-queue",reason="queue-full"} 1\n');
    expect(m).toContain('apiserver_flowcontrol_rejected_requests_total{flow_schema="bob-small",priority_level="small-queue",reason="time-out"} 1\n');
    expect(m).toMatch(/apiserver_flowcontrol_request_wait_duration_seconds_count\{execute="true",flow_schema="bob-small",priority_level="small-queue"\} 1\n/);
  });

  it('deleting the FlowSchema sends the user back to global-default', async () => {
    expect((await h.req('DELETE', `${FC}/flowschemas/alice-tiny`, undefined, as('t-admin'))).statusCode).toBe(200);
    await classifiedAs('t-alice', await uidOf(`${FC}/flowschemas/global-default`));
  });
});
