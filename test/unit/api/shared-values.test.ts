/**
 * SharedValues: the watch cache's objects keep equal fieldsV1 subtrees once (frozen) and repeated strings once,
 * while reading and serialising exactly as before.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { SharedValues } from '../../../src/control/api/watch/shared-values.js';

type Json = Record<string, unknown>;

/** A Running pod as skiff server stores it (two managers: the creating client and the node's status writes). */
function podJson(i: number): string {
  const ip = `10.244.${(i >> 8) & 255}.${i & 255}`;
  const fieldsSpec = { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': { '.': {}, 'f:requests': { '.': {}, 'f:cpu': {}, 'f:memory': {} } } } }, 'f:dnsPolicy': {}, 'f:restartPolicy': {} } };
  const cond = (type: string) => [`k:{"type":"${type}"}`, { '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} }];
  const fieldsStatus = { 'f:status': { 'f:conditions': Object.fromEntries(['ContainersReady', 'Initialized', 'Ready'].map(cond)), 'f:phase': {}, 'f:podIP': {}, 'f:podIPs': { '.': {}, [`k:{"ip":"${ip}"}`]: { '.': {}, 'f:ip': {} } } } };
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: `p-${i}`, namespace: 'hold', uid: `0c8dd23c-5d27-444e-84f1-${String(i).padStart(12, '0')}`, creationTimestamp: '2026-12-03T17:53:28Z', resourceVersion: String(100 + i),
      managedFields: [
        { manager: 'skiff-client', operation: 'Update', apiVersion: 'v1', time: '2026-12-03T17:53:28Z', fieldsType: 'FieldsV1', fieldsV1: fieldsSpec },
        { manager: 'skiff-nodes', operation: 'Update', apiVersion: 'v1', time: '2026-12-03T17:53:31Z', fieldsType: 'FieldsV1', fieldsV1: fieldsStatus, subresource: 'status' },
      ],
    },
    spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } }, imagePullPolicy: 'IfNotPresent' }], dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', nodeName: `n-${i % 7}` },
    status: { phase: 'Running', conditions: ['ContainersReady', 'Initialized', 'Ready'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: '2026-12-03T17:53:30Z' })), podIP: ip, podIPs: [{ ip }] },
  });
}

const fieldsV1 = (o: Json, i: number): Json => ((o['metadata'] as Json)['managedFields'] as Json[])[i]!['fieldsV1'] as Json;

describe('SharedValues', () => {
  test('equal fieldsV1 subtrees become one frozen object; the objects serialise exactly as before', () => {
    const values = new SharedValues();
    const a = values.slim(JSON.parse(podJson(1)) as Json);
    const b = values.slim(JSON.parse(podJson(2)) as Json);
    expect(JSON.stringify(a)).toBe(podJson(1));
    expect(JSON.stringify(b)).toBe(podJson(2));
    // The creating client's tree is the same for both pods; the status trees differ only under f:podIPs.
    expect(fieldsV1(a, 0)).toBe(fieldsV1(b, 0));
    expect(Object.isFrozen(fieldsV1(a, 0))).toBe(true);
    const sa = fieldsV1(a, 1)['f:status'] as Json;
    const sb = fieldsV1(b, 1)['f:status'] as Json;
    expect(sa).not.toBe(sb);
    expect(sa['f:conditions']).toBe(sb['f:conditions']);
    expect(sa['f:podIPs']).not.toBe(sb['f:podIPs']);
    expect(() => {
      (fieldsV1(a, 0) as Json)['f:x'] = {};
    }).toThrow(TypeError);
    // The rest of the object stays the caller's, and writable.
    (a['status'] as Json)['phase'] = 'Failed';
    expect((b['status'] as Json)['phase']).toBe('Running');
  });

  test("a pod's tolerations, conditions, hostIPs and equal managedFields entries are shared whole and frozen", () => {
    const values = new SharedValues();
    const pod = (i: number, t: string): Json => ({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: `p-${i}`, managedFields: [{ manager: 'm', operation: 'Update', apiVersion: 'v1', time: t, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:x': {} } } }] },
      spec: { containers: [{ name: 'c' }], securityContext: {}, tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] },
      status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: t }], hostIPs: [{ ip: '10.0.0.1' }], podIPs: [{ ip: `10.1.0.${i}` }] },
    });
    const texts = [pod(1, 'T1'), pod(2, 'T1'), pod(3, 'T2'), pod(4, 'T1')].map((p) => JSON.stringify(p));
    const [a, b, c, d] = texts.map((t) => values.slim(JSON.parse(t) as Json)) as [Json, Json, Json, Json];
    [a, b, c, d].forEach((o, i) => expect(JSON.stringify(o)).toBe(texts[i]));
    const part = (o: Json, at: string, k: string): unknown => (o[at] as Json)[k];
    const entry = (o: Json): unknown => ((o['metadata'] as Json)['managedFields'] as unknown[])[0];
    expect(part(b, 'spec', 'tolerations')).toBe(part(a, 'spec', 'tolerations'));
    expect(part(b, 'spec', 'securityContext')).toBe(part(a, 'spec', 'securityContext'));
    expect(part(b, 'status', 'conditions')).toBe(part(a, 'status', 'conditions'));
    expect(part(c, 'status', 'conditions')).not.toBe(part(a, 'status', 'conditions'));
    // Found in the table, not only as the last one seen.
    expect(part(d, 'status', 'conditions')).toBe(part(a, 'status', 'conditions'));
    expect(part(d, 'status', 'hostIPs')).toBe(part(a, 'status', 'hostIPs'));
    expect(part(b, 'status', 'podIPs')).not.toBe(part(a, 'status', 'podIPs'));
    expect(entry(b)).toBe(entry(a));
    expect(entry(d)).toBe(entry(a));
    expect(entry(c)).not.toBe(entry(a));
    for (const v of [part(a, 'spec', 'tolerations'), (part(a, 'spec', 'tolerations') as Json[])[0], part(a, 'status', 'conditions'), entry(a), part(a, 'spec', 'securityContext')]) {
      expect(Object.isFrozen(v)).toBe(true);
    }
    expect(() => (part(a, 'status', 'conditions') as Json[]).push({})).toThrow(TypeError);
    // The pod's own objects stay writable: a status write replaces its status, defaulting writes to its spec.
    expect(Object.isFrozen(a['spec'])).toBe(false);
    expect(Object.isFrozen(a['status'])).toBe(false);
    // Key order is part of a list: records that serialise differently are not merged.
    const e = values.slim({ kind: 'Pod', spec: { containers: [], tolerations: [{ operator: 'Exists', key: 'k', effect: 'NoExecute', tolerationSeconds: 300 }] } });
    expect(JSON.stringify(e.spec.tolerations)).toBe('[{"operator":"Exists","key":"k","effect":"NoExecute","tolerationSeconds":300}]');
  });

  test("a pod's volumes and its containers' volumeMounts are shared whole when equal, a frozen source by identity", () => {
    const values = new SharedValues();
    const source = Object.freeze({ sources: Object.freeze([]), defaultMode: 420 });
    const pod = (i: number, own?: Json): Json => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${i}` },
      spec: {
        volumes: [{ name: 'kube-api-access-x', projected: source }, ...(own ? [own] : [])],
        initContainers: [{ name: 'i', volumeMounts: [{ name: 'kube-api-access-x', readOnly: true, mountPath: '/sa' }] }],
        containers: [{ name: 'c', image: `i-${i}`, volumeMounts: [{ name: 'kube-api-access-x', readOnly: true, mountPath: '/sa' }] }],
      },
    });
    type Spec = { volumes: Json[]; containers: { volumeMounts: Json[] }[]; initContainers: { volumeMounts: Json[] }[] };
    const a = values.slim(pod(1))['spec'] as Spec;
    const b = values.slim(pod(2))['spec'] as Spec;
    expect(b.volumes).toBe(a.volumes);
    expect(b.volumes[0]!['projected']).toBe(source);
    expect(b.containers[0]!.volumeMounts).toBe(a.containers[0]!.volumeMounts);
    expect(b.initContainers[0]!.volumeMounts).toBe(a.containers[0]!.volumeMounts);
    expect(Object.isFrozen(a.volumes[0])).toBe(true);
    expect(() => { a.volumes[0]!['name'] = 'y'; }).toThrow(TypeError);
    // The containers stay each pod's own (their images differ here).
    expect(b.containers[0]).not.toBe(a.containers[0]);
    // An equal but other source object is another value; a volume holding an unfrozen object is not shared.
    const c = values.slim({ kind: 'Pod', spec: { volumes: [{ name: 'kube-api-access-x', projected: { ...source } }] } })['spec'] as Spec;
    expect(c.volumes).not.toBe(a.volumes);
    expect(Object.isFrozen(c.volumes)).toBe(false);
    const d = values.slim(pod(3, { name: 'data', emptyDir: {} }))['spec'] as Spec;
    expect(d.volumes).not.toBe(a.volumes);
    expect(JSON.stringify(d.volumes)).toBe('[{"name":"kube-api-access-x","projected":{"sources":[],"defaultMode":420}},{"name":"data","emptyDir":{}}]');
  });

  test('key order is part of a tree: trees that serialise differently are not merged', () => {
    const values = new SharedValues();
    const x = values.slim({ metadata: { managedFields: [{ fieldsV1: { 'f:a': {}, 'f:b': {} } }] } });
    const y = values.slim({ metadata: { managedFields: [{ fieldsV1: { 'f:b': {}, 'f:a': {} } }] } });
    expect(JSON.stringify(x)).toBe('{"metadata":{"managedFields":[{"fieldsV1":{"f:a":{},"f:b":{}}}]}}');
    expect(JSON.stringify(y)).toBe('{"metadata":{"managedFields":[{"fieldsV1":{"f:b":{},"f:a":{}}}]}}');
  });

  test('a fieldsV1 that is not a tree of objects, and frozen entries, are left as they are', () => {
    const values = new SharedValues();
    const odd = { 'f:a': 'x' };
    const frozenEntry = Object.freeze({ fieldsV1: { 'f:b': {} } });
    const o = values.slim({ metadata: { managedFields: [{ fieldsV1: odd }, frozenEntry, { fieldsV1: Object.freeze({}) }] } });
    const mf = o.metadata.managedFields as Json[];
    expect(mf[0]!['fieldsV1']).toBe(odd);
    expect(Object.isFrozen(odd)).toBe(false);
    expect(mf[1]).toBe(frozenEntry);
    expect(JSON.stringify(o)).toBe('{"metadata":{"managedFields":[{"fieldsV1":{"f:a":"x"}},{"fieldsV1":{"f:b":{}}},{"fieldsV1":{}}]}}');
  });

  test('2,000 cached pods take under three quarters of the heap they took as parsed', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const texts = Array.from({ length: 2000 }, (_, i) => podJson(i));
    const heapOf = (make: (t: string) => unknown): number => {
      gc();
      const before = process.memoryUsage().heapUsed;
      const kept = texts.map(make);
      gc();
      const used = process.memoryUsage().heapUsed - before;
      expect(kept.length).toBe(texts.length);
      return used;
    };
    const values = new SharedValues();
    const plain = heapOf((t) => JSON.parse(t));
    const slim = heapOf((t) => values.slim(JSON.parse(t) as Json));
    // This small pod: ~3.9 → ~2.7 KB; a Running pod as skiff server stores it (bigger managedFields): ~6.9 → ~2.9 KB.
    expect(slim).toBeLessThan(plain * 0.75);
  });
});
