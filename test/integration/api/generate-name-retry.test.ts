/** A generated name that collides is drawn again, as kube-apiserver's RetryGenerateName (8 attempts). */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from './harness.js';

const PODS = '/api/v1/namespaces/default/pods';
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };

let h: Harness;
/** The values random() returns next; 0 once they run out (every suffix is then "bbbbb"). */
const draws: number[] = [];

beforeAll(async () => {
  h = await startHarness({ engine: { random: () => draws.shift() ?? 0 } });
});
afterAll(async () => h?.close());

describe('generateName', () => {
  test('a colliding suffix is redrawn', async () => {
    const first = await h.json('POST', PODS, pod);
    expect(first.status).toBe(201);
    expect(first.body.metadata!.name).toBe('web-bbbbb');
    // The next create draws "bbbbb" again, collides, and retries with the next draw.
    draws.push(0, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5);
    const second = await h.json('POST', PODS, pod);
    expect(second.status).toBe(201);
    expect(second.body.metadata!.name).toMatch(/^web-[^b]{5}$/);
  });

  test('gives up after 8 collisions with AlreadyExists', async () => {
    const res = await h.json('POST', PODS, pod);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ reason: 'AlreadyExists', message: 'pods "web-bbbbb" already exists' });
  });

  test('an explicit name is never changed', async () => {
    const res = await h.json('POST', PODS, { ...pod, metadata: { name: 'web-bbbbb' } });
    expect(res.status).toBe(409);
  });
});
