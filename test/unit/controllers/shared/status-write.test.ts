/**
 * writeStatus against a scripted fake client: a conflict re-reads once and retries, a second conflict goes to the
 * caller, and a 404 at the write or at the re-read ends the sync with nothing written (undefined).
 */
import { describe, expect, it } from 'vitest';
import { ApiError, type RestClient } from '../../../../src/client/rest.js';
import { ReplicaSets } from '../../../../src/client/resources.js';
import type { KubeObject } from '../../../../src/client/types.js';
import { writeStatus } from '../../../../src/control/controllers/shared/status-write.js';

type Step = 'ok' | 409 | 404;

function scripted(updates: Step[], gets: Step[] = ['ok']) {
  const calls: string[] = [];
  const fail = (code: number, verb: string): never => {
    throw new ApiError(code, code === 409 ? 'Conflict' : 'NotFound', { message: `${verb}: ${code}` }, verb, '/');
  };
  const client = {
    async update(_ref: unknown, obj: KubeObject) {
      calls.push(`update rv=${obj.metadata?.resourceVersion}`);
      const step = updates.shift() ?? 'ok';
      if (step !== 'ok') fail(step, 'PUT');
      return { ...obj, metadata: { ...obj.metadata, resourceVersion: '9' } };
    },
    async get(_ref: unknown, name: string) {
      calls.push(`get ${name}`);
      const step = gets.shift() ?? 'ok';
      if (step !== 'ok') fail(step, 'GET');
      return { metadata: { name, namespace: 'default', resourceVersion: '5' } };
    },
  } as unknown as RestClient;
  return { client, calls };
}

const rs: KubeObject = { metadata: { name: 'web', namespace: 'default', resourceVersion: '3' } };
const withReplicas = (o: KubeObject): KubeObject => ({ ...o, status: { replicas: 2 } } as KubeObject);

describe('writeStatus', () => {
  it('writes the status once when the write succeeds', async () => {
    const { client, calls } = scripted(['ok']);
    const out = await writeStatus(client, ReplicaSets, rs, withReplicas);
    expect(out?.metadata?.resourceVersion).toBe('9');
    expect((out as { status?: unknown }).status).toEqual({ replicas: 2 });
    expect(calls).toEqual(['update rv=3']);
  });

  it('on a conflict reads the object again and writes the status onto the fresh copy', async () => {
    const { client, calls } = scripted([409, 'ok']);
    const out = await writeStatus(client, ReplicaSets, rs, withReplicas);
    expect(out?.metadata?.resourceVersion).toBe('9');
    expect(calls).toEqual(['update rv=3', 'get web', 'update rv=5']);
  });

  it('gives a second conflict to the caller', async () => {
    const { client, calls } = scripted([409, 409]);
    await expect(writeStatus(client, ReplicaSets, rs, withReplicas)).rejects.toMatchObject({ code: 409 });
    expect(calls).toEqual(['update rv=3', 'get web', 'update rv=5']);
  });

  it('ends quietly when the object is gone at the write or at the re-read', async () => {
    const atWrite = scripted([404]);
    await expect(writeStatus(atWrite.client, ReplicaSets, rs, withReplicas)).resolves.toBeUndefined();
    expect(atWrite.calls).toEqual(['update rv=3']);
    const atReread = scripted([409], [404]);
    await expect(writeStatus(atReread.client, ReplicaSets, rs, withReplicas)).resolves.toBeUndefined();
    expect(atReread.calls).toEqual(['update rv=3', 'get web']);
  });
});
