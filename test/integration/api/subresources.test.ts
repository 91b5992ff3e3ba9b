import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, pod, deployment, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const DEPLOY = '/apis/apps/v1/namespaces/default/deployments';
const PODS = '/api/v1/namespaces/default/pods';
const MERGE = { 'content-type': 'application/merge-patch+json' };

describe('generation and the status subresource', () => {
  test('generation starts at 1 and bumps on spec changes only', async () => {
    const created = await h.json('POST', DEPLOY, deployment('web'));
    expect(created.status).toBe(201);
    expect(created.body.metadata!.generation).toBe(1);
    const labelled = await h.json('PATCH', `${DEPLOY}/web`, { metadata: { labels: { tier: 'x' } } }, MERGE);
    expect(labelled.body.metadata!.generation).toBe(1);
    const scaled = await h.json('PATCH', `${DEPLOY}/web`, { spec: { replicas: 3 } }, MERGE);
    expect(scaled.body.metadata!.generation).toBe(2);
  });

  test('status sent to the main endpoint is ignored; /status takes only status', async () => {
    const main = await h.json('PATCH', `${DEPLOY}/web`, { status: { replicas: 7 } }, MERGE);
    expect(main.status).toBe(200);
    expect((main.body['status'] as { replicas?: number }).replicas).toBeUndefined();
    const st = await h.json('PATCH', `${DEPLOY}/web/status`, { spec: { replicas: 9 }, status: { replicas: 2, observedGeneration: 2 } }, MERGE);
    expect(st.status).toBe(200);
    expect((st.body['status'] as { replicas: number }).replicas).toBe(2);
    expect((st.body['spec'] as { replicas: number }).replicas).toBe(3);
    expect(st.body.metadata!.generation).toBe(2);
    const cur = (await h.json('GET', `${DEPLOY}/web`)).body;
    const put = await h.json('PUT', `${DEPLOY}/web/status`, { ...cur, status: { replicas: 3 } });
    expect((put.body['status'] as { replicas: number }).replicas).toBe(3);
  });

  test('create drops a client-sent status (pods start Pending)', async () => {
    const res = await h.json('POST', PODS, { ...pod('st'), status: { phase: 'Running', podIP: '1.2.3.4' } });
    expect(res.body['status']).toEqual(expect.objectContaining({ phase: 'Pending' }));
    expect((res.body['status'] as { podIP?: string }).podIP).toBeUndefined();
  });
});

describe('scale', () => {
  test('GET scale returns an autoscaling/v1 Scale with a selector string', async () => {
    const res = await h.json('GET', `${DEPLOY}/web/scale`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 3 }, status: { replicas: 3, selector: 'app=web' } });
  });

  test('merge PATCH and PUT on scale set spec.replicas; negative is 422; stale is 409', async () => {
    const p = await h.json('PATCH', `${DEPLOY}/web/scale`, { spec: { replicas: 5 } }, MERGE);
    expect(p.status).toBe(200);
    expect((p.body['spec'] as { replicas: number }).replicas).toBe(5);
    expect(((await h.json('GET', `${DEPLOY}/web`)).body['spec'] as { replicas: number }).replicas).toBe(5);
    const scale = (await h.json('GET', `${DEPLOY}/web/scale`)).body;
    const put = await h.json('PUT', `${DEPLOY}/web/scale`, { ...scale, spec: { replicas: 1 } });
    expect((put.body['spec'] as { replicas: number }).replicas).toBe(1);
    const stale = await h.json('PUT', `${DEPLOY}/web/scale`, { ...scale, spec: { replicas: 2 } });
    expect(stale.status).toBe(409);
    const neg = await h.json('PATCH', `${DEPLOY}/web/scale`, { spec: { replicas: -1 } }, MERGE);
    expect(neg.status).toBe(422);
    expect(neg.body.message).toContain('spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    const json = await h.json('PATCH', `${DEPLOY}/web/scale`, [{ op: 'replace', path: '/spec/replicas', value: 4 }], { 'content-type': 'application/json-patch+json' });
    expect((json.body['spec'] as { replicas: number }).replicas).toBe(4);
  });
});

describe('binding', () => {
  test('binding sets spec.nodeName and PodScheduled; a second binding is 409', async () => {
    await h.json('POST', PODS, pod('bindme'));
    const b = await h.json('POST', `${PODS}/bindme/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bindme' }, target: { kind: 'Node', name: 'n1' } });
    expect(b.status).toBe(201);
    expect(b.body).toMatchObject({ kind: 'Status', status: 'Success', code: 201 });
    const p = (await h.json('GET', `${PODS}/bindme`)).body;
    expect((p['spec'] as { nodeName: string }).nodeName).toBe('n1');
    expect((p['status'] as { conditions: { type: string; status: string }[] }).conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    const again = await h.json('POST', `${PODS}/bindme/binding`, { metadata: { name: 'bindme' }, target: { name: 'n2' } });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe('Operation cannot be fulfilled on pods "bindme": pod bindme is already assigned to node "n1"');
  });

  test('a pod bound to a node with no Node object is deleted at once', async () => {
    const res = await h.json('DELETE', `${PODS}/bindme`);
    expect(res.status).toBe(200);
    expect((await h.json('GET', `${PODS}/bindme`)).status).toBe(404);
  });

  test('a pod bound to an existing node gets deletionTimestamp + grace, and goes with grace 0', async () => {
    await h.json('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'real' } });
    await h.json('POST', PODS, { ...pod('graceful'), spec: { nodeName: 'real', containers: [{ name: 'c', image: 'x' }] } });
    const res = await h.json('DELETE', `${PODS}/graceful`);
    expect(res.status).toBe(200);
    expect(res.body.metadata!.deletionTimestamp).toBeTruthy();
    expect(res.body.metadata!.deletionGracePeriodSeconds).toBe(30);
    expect((await h.json('GET', `${PODS}/graceful`)).status).toBe(200);
    const now = await h.json('DELETE', `${PODS}/graceful?gracePeriodSeconds=0`);
    expect(now.status).toBe(200);
    expect((await h.json('GET', `${PODS}/graceful`)).status).toBe(404);
  });
});

describe('finalizers', () => {
  test('an object with finalizers stays with deletionTimestamp until the last is removed', async () => {
    const CM = '/api/v1/namespaces/default/configmaps';
    await h.json('POST', CM, { metadata: { name: 'fin', finalizers: ['a/x', 'a/y'] } });
    const del = await h.json('DELETE', `${CM}/fin`);
    expect(del.status).toBe(200);
    expect(del.body.metadata!.deletionTimestamp).toBeTruthy();
    const addNew = await h.json('PATCH', `${CM}/fin`, { metadata: { finalizers: ['a/x', 'a/y', 'a/z'] } }, MERGE);
    expect(addNew.status).toBe(422);
    await h.json('PATCH', `${CM}/fin`, { metadata: { finalizers: ['a/y'] } }, MERGE);
    expect((await h.json('GET', `${CM}/fin`)).status).toBe(200);
    const last = await h.json('PATCH', `${CM}/fin`, { metadata: { finalizers: [] } }, MERGE);
    expect(last.status).toBe(200);
    expect((await h.json('GET', `${CM}/fin`)).status).toBe(404);
  });
});

describe('patch types', () => {
  test('strategic merge patch merges containers by name', async () => {
    await h.json('POST', PODS, { ...pod('smp'), spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } });
    const res = await h.json('PATCH', `${PODS}/smp`, { spec: { containers: [{ name: 'b', image: 'z' }] } }, { 'content-type': 'application/strategic-merge-patch+json' });
    expect(res.status).toBe(200);
    expect((res.body['spec'] as { containers: { name: string; image: string }[] }).containers.map((c) => `${c.name}=${c.image}`)).toEqual(['a=x', 'b=z']);
  });

  test('a JSON patch with a failing test op is 422; resourceVersion in a patch is a precondition', async () => {
    const bad = await h.json('PATCH', `${PODS}/smp`, [{ op: 'test', path: '/metadata/name', value: 'other' }], { 'content-type': 'application/json-patch+json' });
    expect(bad.status).toBe(422);
    const stale = await h.json('PATCH', `${PODS}/smp`, { metadata: { resourceVersion: '1', labels: { a: 'b' } } }, MERGE);
    expect(stale.status).toBe(409);
  });
});

describe('services', () => {
  const SVC = '/api/v1/namespaces/default/services';
  const svc = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } });

  test('the kubernetes Service holds 10.96.0.1 and has Endpoints', async () => {
    const k = await h.json('GET', `${SVC}/kubernetes`);
    expect((k.body['spec'] as { clusterIP: string }).clusterIP).toBe('10.96.0.1');
    expect((await h.json('GET', '/api/v1/namespaces/default/endpoints/kubernetes')).status).toBe(200);
  });

  test('ClusterIPs come from 10.96.0.0/12 and are unique; conflicts are 422 in upstream words', async () => {
    const a = await h.json('POST', SVC, svc('a'));
    expect(a.status).toBe(201);
    const ip = (a.body['spec'] as { clusterIP: string }).clusterIP;
    const [o1, o2] = ip.split('.').map(Number);
    expect(o1).toBe(10);
    expect(o2! >= 96 && o2! <= 111).toBe(true);
    const dup = await h.json('POST', SVC, svc('b', { clusterIP: ip }));
    expect(dup.status).toBe(422);
    expect(dup.body.message).toBe(`Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: provided IP is already allocated`);
    const out = await h.json('POST', SVC, svc('c', { clusterIP: '192.168.0.1' }));
    expect(out.status).toBe(422);
    expect(out.body.message).toContain('the provided IP (192.168.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12');
    // Deleting frees the address for reuse.
    await h.json('DELETE', `${SVC}/a`);
    expect((await h.json('POST', SVC, svc('d', { clusterIP: ip }))).status).toBe(201);
  });

  test('NodePorts come from 30000-32767; a taken one is 422', async () => {
    const a = await h.json('POST', SVC, svc('np', { type: 'NodePort' }));
    expect(a.status).toBe(201);
    const port = (a.body['spec'] as { ports: { nodePort: number }[] }).ports[0]!.nodePort;
    expect(port >= 30000 && port <= 32767).toBe(true);
    const dup = await h.json('POST', SVC, svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: port }] }));
    expect(dup.status).toBe(422);
    expect(dup.body.message).toContain(`spec.ports[0].nodePort: Invalid value: ${port}: provided port is already allocated`);
    const range = await h.json('POST', SVC, svc('np3', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }));
    expect(range.status).toBe(422);
    expect(range.body.message).toContain('provided port is not in the valid range. The range of valid ports is 30000-32767');
    // An update that leaves clusterIP and nodePort out keeps them.
    const cur = a.body;
    const upd = await h.json('PUT', `${SVC}/np`, { ...cur, spec: { ...(cur['spec'] as object), clusterIP: undefined, clusterIPs: undefined, ports: [{ port: 80 }] } });
    expect(upd.status).toBe(200);
    expect((upd.body['spec'] as { ports: { nodePort: number }[] }).ports[0]!.nodePort).toBe(port);
    expect((upd.body['spec'] as { clusterIP: string }).clusterIP).toBe((cur['spec'] as { clusterIP: string }).clusterIP);
  });
});

describe('eviction', () => {
  test('an eviction deletes the pod (no disruption budgets yet) and answers 201 Success', async () => {
    await h.json('POST', PODS, pod('evictme'));
    const res = await h.json('POST', `${PODS}/evictme/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evictme' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Success' });
    expect((await h.json('GET', `${PODS}/evictme`)).status).toBe(404);
    expect((await h.json('POST', `${PODS}/evictme/eviction`, { kind: 'Eviction', metadata: { name: 'evictme' } })).status).toBe(404);
  });

  test('a budget not yet processed refuses with 429 and Retry-After: 10 from the Status details (upstream\'s ErrorNegotiated)', async () => {
    await h.json('POST', PODS, { ...pod('guarded'), metadata: { name: 'guarded', labels: { app: 'guarded' } } });
    // A Pending pod is evicted without looking at budgets (upstream's canIgnorePDB): this one runs.
    const running = await h.json('PATCH', `${PODS}/guarded/status`, { status: { phase: 'Running' } }, { 'content-type': 'application/merge-patch+json' });
    expect(running.status).toBe(200);
    const pdb = await h.json('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'guarded' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } },
    });
    expect(pdb.status).toBe(201);
    const res = await h.req('POST', `${PODS}/guarded/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'guarded' } });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('10');
    expect(JSON.parse(res.body)).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 10 } });
    // A refusal without a wait carries no header: a 404 here.
    expect((await h.req('POST', `${PODS}/nobody/eviction`, { kind: 'Eviction', metadata: { name: 'nobody' } })).headers['retry-after']).toBeUndefined();
  });
});
