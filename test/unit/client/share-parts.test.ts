import { getHeapSnapshot, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { PartTable, StringTable, sharedParts, slimCacheTransform } from '../../../src/client/share-parts.js';
import type { KubeObject } from '../../../src/client/types.js';

const pod = (name: string, ip: string, started: string): KubeObject => JSON.parse(JSON.stringify({
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web', 'pod-template-hash': 'abc' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs1', controller: true }],
    managedFields: [{ manager: 'm', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
  },
  spec: {
    nodeName: `node-${name}`,
    containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '10m' } } }],
    tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
  },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: started }] },
})) as KubeObject;

type P = { metadata: { labels: object; ownerReferences: object[] }; spec: { nodeName: string; containers: { image: string }[]; tolerations: object[] }; status: { podIP: string; conditions: object[] } };

describe('sharedParts', () => {
  test('equal parts of different pods become one frozen object; per-pod values stay their own', () => {
    const share = sharedParts();
    const a = share(pod('a', '10.0.0.1', '2026-12-03T12:00:00Z')) as unknown as P;
    const b = share(pod('b', '10.0.0.2', '2026-12-03T12:00:00Z')) as unknown as P;
    const c = share(pod('c', '10.0.0.3', '2026-12-03T12:00:07Z')) as unknown as P;
    expect(b.spec.containers).toBe(a.spec.containers);
    expect(b.spec.tolerations).toBe(a.spec.tolerations);
    expect(b.metadata.labels).toBe(a.metadata.labels);
    expect(b.metadata.ownerReferences).toBe(a.metadata.ownerReferences);
    expect(b.status.conditions).toBe(a.status.conditions);
    expect(c.status.conditions).not.toBe(a.status.conditions);
    expect([a.spec.nodeName, b.spec.nodeName, b.status.podIP]).toEqual(['node-a', 'node-b', '10.0.0.2']);
    // Shared parts are read-only all the way down: a component that mutated one would change every pod.
    expect(() => { a.spec.containers[0]!.image = 'evil'; }).toThrow(TypeError);
    expect(() => { a.spec.containers.push({ image: 'x' }); }).toThrow(TypeError);
    expect(b.spec.containers[0]!.image).toBe('nginx');
  });

  test('objects other than pods share only their metadata parts', () => {
    const share = sharedParts();
    const rs = (n: string) => ({ metadata: { name: n, labels: { app: 'web' } }, spec: { replicas: 3, template: { spec: { containers: [] } } } }) as unknown as KubeObject;
    const x = share(rs('x')) as unknown as { metadata: { labels: object }; spec: object };
    const y = share(rs('y')) as unknown as { metadata: { labels: object }; spec: object };
    expect(y.metadata.labels).toBe(x.metadata.labels);
    expect(Object.isFrozen(y.spec)).toBe(false);
  });

  test('slimCacheTransform drops managedFields and shares parts', () => {
    const t = slimCacheTransform();
    const a = t(pod('a', '10.0.0.1', 't')) as unknown as P & { metadata: { managedFields?: unknown } };
    const b = t(pod('b', '10.0.0.2', 't')) as unknown as P;
    expect(a.metadata.managedFields).toBeUndefined();
    expect(b.spec.containers).toBe(a.spec.containers);
  });

  test('PartTable keeps one entry per distinct value, and shares equal subtrees of different values', () => {
    const parts = new PartTable();
    const one = parts.share({ a: [1, 2] });
    expect(parts.share({ a: [1, 2] })).toBe(one);
    const other = parts.share({ a: [2, 1], b: [1, 2] });
    expect(other.b).toBe(one.a);
    // {a:[1,2]}, [1,2], {a:[2,1],b:[1,2]}, [2,1]
    expect(parts.size).toBe(4);
    expect(parts.share('plain')).toBe('plain');
    // Values that print alike but differ are kept apart.
    expect(parts.share({ a: '1' })).not.toBe(parts.share({ a: 1 }));
    expect(parts.share(['ab', 'c'])).not.toBe(parts.share(['a', 'bc']));
    expect(parts.share([null])).not.toBe(parts.share([{}]));
    expect(parts.share({ 'a:1': 'x' })).not.toBe(parts.share({ a: '1:x' }));
  });

  test('after the table starts over, values shared before it are named apart and still shared by equal content', () => {
    const parts = new PartTable();
    const a = parts.share({ x: [1, 2] });
    const b = parts.share({ x: [1, 3] });
    // Fills the table (50,000 values) so it starts over: a and b are forgotten, as values a cached pod still holds.
    for (let i = 0; i <= 50_000; i++) parts.share({ i });
    expect(parts.size).toBeLessThan(50_000);
    // Handed in again inside new parents, they are walked again: the parents' keys must tell them apart.
    const pa = parts.share({ child: a, n: [a] });
    const pb = parts.share({ child: b, n: [b] });
    expect(pa).toEqual({ child: { x: [1, 2] }, n: [{ x: [1, 2] }] });
    expect(pb).toEqual({ child: { x: [1, 3] }, n: [{ x: [1, 3] }] });
    expect(pb).not.toBe(pa);
    expect(parts.share({ child: { x: [1, 2] }, n: [{ x: [1, 2] }] })).toBe(pa);
    expect(pa.n[0]).toBe(pa.child);
  });

  test("pods whose containers differ only in the service-account mount's name share everything else", () => {
    const share = sharedParts();
    const withToken = (name: string, suffix: string) => {
      const p = pod(name, '10.0.0.1', 't') as unknown as { spec: Record<string, unknown> };
      const containers = p.spec['containers'] as Record<string, unknown>[];
      containers[0]!['volumeMounts'] = [{ name: `kube-api-access-${suffix}`, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }];
      p.spec['volumes'] = [{ name: `kube-api-access-${suffix}`, projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }], defaultMode: 420 } }];
      return share(p as unknown as KubeObject) as unknown as { spec: { containers: { resources: object; image: string; volumeMounts: { name: string }[] }[]; volumes: { name: string; projected: object }[] } };
    };
    const a = withToken('a', 'x1y2z');
    const b = withToken('b', 'q9w8e');
    expect(b.spec.containers).not.toBe(a.spec.containers);
    expect(b.spec.containers[0]!.resources).toBe(a.spec.containers[0]!.resources);
    expect(b.spec.volumes[0]!.projected).toBe(a.spec.volumes[0]!.projected);
    expect(b.spec.containers[0]!.volumeMounts[0]!.name).toBe('kube-api-access-q9w8e');
    expect(b.spec.volumes[0]!.name).toBe('kube-api-access-q9w8e');
    // Unique parts are frozen too: the cache's objects are read-only all the way down.
    expect(() => { b.spec.containers[0]!.image = 'evil'; }).toThrow(TypeError);
    expect(a.spec.containers[0]!.image).toBe('nginx');
  });

  test("a part unique to its pod still keeps its strings once (the service-account mount makes each container unique)", async () => {
    const slim = slimCacheTransform();
    const image = `registry.example/web@sha256:${'6f7318030'.repeat(7)}`;
    // Each pod's strings made at run time, as JSON.parse makes them: every pod has its own copy until interned.
    const kept = Array.from({ length: 500 }, (_, i) => {
      const p = pod(`p${i}`, '10.0.0.1', 't') as unknown as { spec: { containers: Record<string, unknown>[] } };
      const c = JSON.parse(JSON.stringify({ image, volumeMounts: [{ name: `kube-api-access-${i}`, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] })) as Record<string, unknown>;
      p.spec.containers = [{ ...p.spec.containers[0], ...c }];
      return slim(p as unknown as KubeObject) as unknown as { spec: { containers: { image: string; volumeMounts: object[] }[] } };
    });
    expect(kept[499]!.spec.containers[0]!.image).toBe(image);
    expect(kept[499]!.spec.containers).not.toBe(kept[498]!.spec.containers);
    // Strings cannot be compared by identity in JS; the heap can count the copies.
    expect(await heapStringCopies(image)).toBeLessThan(5);
  });

  test('StringTable: values stay equal, frozen parts are not touched, and repeated strings are kept once', () => {
    const table = new StringTable();
    const frozen = Object.freeze({ image: 'x' });
    const o = { a: 'one', list: ['two', { b: 'three', n: 1, z: null }], frozen };
    table.internIn(o);
    expect(o).toEqual({ a: 'one', list: ['two', { b: 'three', n: 1, z: null }], frozen: { image: 'x' } });
    expect(o.frozen).toBe(frozen);

    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // Strings made at run time, as JSON.parse makes them: each object has its own copy until interned.
    const ids = ['6f7318030', 'a1b2c3d4e', '0f1e2d3c4', '9a8b7c6d5', '55aa66bb7'].map((h) => `registry.k8s.io/pause@sha256:${h.repeat(7)}`);
    const imageID = (i: number) => JSON.parse(JSON.stringify({ ids, i })) as { ids: string[] };
    const heapOf = (intern: boolean): number => {
      gc();
      const before = process.memoryUsage().heapUsed;
      const t = new StringTable();
      const kept = Array.from({ length: 2000 }, (_, i) => {
        const x = imageID(i);
        if (intern) t.internIn(x);
        return x;
      });
      gc();
      expect(kept.length).toBe(2000);
      return process.memoryUsage().heapUsed - before;
    };
    const plain = heapOf(false);
    const interned = heapOf(true);
    // Five ~90-character IDs an object, each copy ~110 bytes: ~1.1 MB kept once instead (half of it is plenty).
    expect(plain - interned).toBeGreaterThan(2000 * 5 * 55);
  });
});

describe('slimCacheTransform with the cached version', () => {
  test('an update reuses the previous version\'s equal parts and shares its changed ones anew', () => {
    const t = slimCacheTransform();
    const a = t(pod('a', '10.0.0.1', '2026-12-03T12:00:00Z')) as unknown as P;
    const next = pod('a', '10.0.0.1', '2026-12-03T12:00:09Z');
    const b = t(next, a as unknown as KubeObject) as unknown as P;
    expect(b.spec.containers).toBe(a.spec.containers);
    expect(b.metadata.labels).toBe(a.metadata.labels);
    expect(b.status.conditions).not.toBe(a.status.conditions);
    expect(b.status.conditions).toEqual([{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-03T12:00:09Z' }]);
    expect(Object.isFrozen(b.status.conditions)).toBe(true);
    // A part that differs only in one nested value, or in a missing key, is not taken from the previous version.
    const c = pod('a', '10.0.0.1', '2026-12-03T12:00:09Z') as unknown as P;
    (c.spec.containers[0] as { image: string }).image = 'nginx:2';
    const d = t(c as unknown as KubeObject, b as unknown as KubeObject) as unknown as P;
    expect(d.spec.containers[0]!.image).toBe('nginx:2');
    const e = pod('a', '10.0.0.1', '2026-12-03T12:00:09Z') as unknown as { metadata: { labels: Record<string, string> } };
    delete e.metadata.labels['pod-template-hash'];
    const f = t(e as unknown as KubeObject, b as unknown as KubeObject) as unknown as P;
    expect(f.metadata.labels).toEqual({ app: 'web' });
  });
});

/** How many distinct strings on this thread's heap equal `value` (a heap snapshot's string nodes). */
async function heapStringCopies(value: string): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  const snap = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = snap.snapshot.meta.node_fields;
  const typeNames = snap.snapshot.meta.node_types[0];
  const [type, name] = [fields.indexOf('type'), fields.indexOf('name')];
  let n = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length) if (typeNames[snap.nodes[i + type]!] === 'string' && snap.strings[snap.nodes[i + name]!] === value) n++;
  return n;
}
