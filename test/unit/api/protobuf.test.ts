import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeProtobuf } from '../../../src/control/api/content.js';
import { ApiError } from '../../../src/control/api/status.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

// What kubectl 1.32 sent for `kubectl create job j --from=cronjob/c` (c from `kubectl create cronjob c --image=busybox
// --schedule='*/1 * * * *' -- echo hi`), captured at a proxy in front of Skiff.
const JOB_FROM_CRONJOB = '6b3873000a0f0a0862617463682f763112034a6f6212b5020a7e0a016a12001a0022002a00320038004200622b0a2163726f6e6a6f622e6b756265726e657465732e696f2f696e7374616e746961746512066d616e75616c6a3e0a0743726f6e4a6f621a0163222431363431343364642d666531352d343931632d383963622d3431313561376434623635362a0862617463682f7631300112a80132a5010a100a0012001a0022002a0032003800420012900112480a0163120762757379626f781a046563686f1a0268692a0042006a142f6465762f7465726d696e6174696f6e2d6c6f677206416c77617973800100880100900100a2010446696c651a094f6e4661696c757265201e320c436c7573746572466972737442004a00520058006000680072008201008a01009a011164656661756c742d7363686564756c6572c201001a082000280030003a001a002200';

// Hand-built protobuf: length-delimited and varint fields.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
};
const f = (num: number, ...parts: (Buffer | string)[]): Buffer => {
  const payload = Buffer.concat(parts.map((x) => (typeof x === 'string' ? Buffer.from(x) : x)));
  return Buffer.concat([varint(num * 8 + 2), varint(payload.length), payload]);
};
const v = (num: number, value: number): Buffer => Buffer.concat([varint(num * 8), varint(value)]);
const envelope = (apiVersion: string, kind: string, body: Buffer): Buffer =>
  Buffer.concat([Buffer.from('k8s\u0000', 'latin1'), f(1, f(1, apiVersion), f(2, kind)), f(2, body)]);
const jobWithPod = (podSpec: Buffer): Buffer => envelope('batch/v1', 'Job', Buffer.concat([f(1, f(1, 'x')), f(2, f(6, f(2, podSpec)))]));

const decodeError = (raw: Buffer): ApiError => {
  try {
    decodeProtobuf(raw);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('decoded without an error');
};

describe('protobuf bodies kubectl sends', () => {
  it('decodes create job --from=cronjob: owner reference, the instantiate annotation, the pod template', () => {
    expect(decodeProtobuf(Buffer.from(JOB_FROM_CRONJOB, 'hex'))).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'j',
        annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
        ownerReferences: [{ kind: 'CronJob', name: 'c', uid: '164143dd-fe15-491c-89cb-4115a7d4b656', apiVersion: 'batch/v1', controller: true }],
      },
      spec: {
        template: {
          metadata: {},
          spec: {
            containers: [
              { name: 'c', image: 'busybox', command: ['echo', 'hi'], resources: {}, terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' },
            ],
            restartPolicy: 'OnFailure',
            terminationGracePeriodSeconds: 30,
            dnsPolicy: 'ClusterFirst',
            securityContext: {},
            schedulerName: 'default-scheduler',
          },
        },
      },
      status: {},
    });
  });

  it('decodes a Job copied from a CronJob that sets nearly every pod and job field exactly as the CronJob stored them', () => {
    // The CronJob was created from JSON (kubectl create -f), read back by kubectl, and its jobTemplate sent as
    // protobuf: the decoded spec must be the stored jobTemplate.spec, field for field (env sources, volumes of
    // eight kinds, probes, lifecycle, both security contexts, affinity, spread, dns config, podFailurePolicy, ...).
    const job = decodeProtobuf(readFileSync(join(FIXTURES, 'kubectl-1.32-create-job-from-rich-cronjob.pb'))) as Record<string, Record<string, unknown>>;
    const stored = JSON.parse(readFileSync(join(FIXTURES, 'rich-cronjob-job-template-spec.json'), 'utf8'));
    expect(job['spec']).toEqual(stored);
    expect(job['metadata']).toEqual({
      name: 'rj',
      labels: { jt: '1' },
      annotations: { 'cronjob.kubernetes.io/instantiate': 'manual', ja: '2' },
      ownerReferences: [{ kind: 'CronJob', name: 'rich', uid: '188492fc-f90d-4ca0-a5f4-1e9c9706d882', apiVersion: 'batch/v1', controller: true }],
    });
    // A few values spelled out, so a fixture regenerated wrongly cannot pass unnoticed.
    const pod = (stored.template.spec as Record<string, unknown[]>);
    expect(pod['volumes']).toContainEqual({ name: 'cfg', configMap: { name: 'cm1', items: [{ key: 'a', path: 'a.txt', mode: 256 }], defaultMode: 420, optional: true } });
    expect(stored.podFailurePolicy.rules[0].onExitCodes.values).toEqual([42, 43]);
    expect(stored.template.spec.securityContext.supplementalGroups).toEqual([4000, 5000]);
    expect(stored.template.spec.containers[0].livenessProbe.httpGet.port).toBe('http');
  });
});

describe('protobuf decoding rules', () => {
  it('decodes an embedded Go struct inline (the name of a configMapKeyRef, the source of a volume)', () => {
    const env = f(7, f(1, 'CM'), f(3, f(3, f(1, f(1, 'cm1')), f(2, 'key'), v(3, 0))));
    const volume = f(1, f(1, 'data'), f(2, f(19, f(1, f(1, 'cm1')))));
    const job = decodeProtobuf(jobWithPod(Buffer.concat([volume, f(2, f(1, 'c'), env)]))) as { spec: { template: { spec: Record<string, unknown> } } };
    expect(job.spec.template.spec).toEqual({
      volumes: [{ name: 'data', configMap: { name: 'cm1' } }],
      // optional is a pointer in Go: false was sent, so false is kept.
      containers: [{ name: 'c', env: [{ name: 'CM', valueFrom: { configMapKeyRef: { name: 'cm1', key: 'key', optional: false } } }] }],
    });
  });

  it('reads repeated ints packed or one by one, and negative values', () => {
    const packed = f(14, f(4, Buffer.concat([varint(4000), varint(5000)])));
    const unpacked = f(14, v(4, 4000), v(4, 5000), Buffer.concat([varint(2 * 8), Buffer.from('feffffffffffffffff01', 'hex')]));
    const sc = (body: Buffer): unknown => (decodeProtobuf(jobWithPod(body)) as { spec: { template: { spec: { securityContext: unknown } } } }).spec.template.spec.securityContext;
    expect(sc(packed)).toEqual({ supplementalGroups: [4000, 5000] });
    expect(sc(unpacked)).toEqual({ supplementalGroups: [4000, 5000], runAsUser: -2 });
  });

  it('refuses a field number it does not know with 415 naming where it was', () => {
    const err = decodeError(jobWithPod(f(2, f(1, 'c'), f(99, 'x'))));
    expect(err.code).toBe(415);
    expect(err.message).toContain('field 99 of Container at spec.template.spec.containers');
  });

  it('refuses other kinds with 415 and a wrong wire type with 400', () => {
    expect(decodeError(envelope('example.com/v1', 'Widget', Buffer.alloc(0))).code).toBe(415);
    const err = decodeError(envelope('batch/v1', 'Job', f(2, f(1, 'three'))));
    expect(err.code).toBe(400);
    expect(err.message).toContain('spec.parallelism');
  });
});
