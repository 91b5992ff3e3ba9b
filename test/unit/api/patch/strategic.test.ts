import { describe, expect, it } from 'vitest';
import { applyPatch, PatchError } from '../../../../src/control/api/patch/index.js';
import type { KubeObject } from '../../../../src/control/api/resource.js';

const SMP = 'application/strategic-merge-patch+json';
const POD = 'io.k8s.api.core.v1.Pod';
const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';

const smp = (original: KubeObject, patch: unknown, def = POD): KubeObject => applyPatch(SMP, original, patch, def);

const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'p' }): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata, spec,
});

describe('strategic merge patch', () => {
  it('merges containers by name and keeps the ones the patch does not mention', () => {
    const original = pod({
      containers: [
        { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }] },
        { name: 'sidecar', image: 'envoy:1' },
      ],
    });
    const out = smp(original, { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } });
    expect(out.spec).toEqual({
      containers: [
        { name: 'web', image: 'nginx:2', ports: [{ containerPort: 80 }] },
        { name: 'sidecar', image: 'envoy:1' },
      ],
    });
    // The original is untouched.
    expect((original.spec as { containers: Array<{ image: string }> }).containers[0]!.image).toBe('nginx:1');
  });

  it('puts a container whose name is new before the server-only ones, as upstream orders them', () => {
    const out = smp(pod({ containers: [{ name: 'a', image: 'x' }] }), {
      spec: { containers: [{ name: 'b', image: 'y' }] },
    });
    // Items the server does not know have no place in its order, so they come first (apimachinery's
    // mergeSortedSlice); kubectl apply sends $setElementOrder when it cares.
    expect((out.spec as { containers: unknown[] }).containers).toEqual([
      { name: 'b', image: 'y' }, { name: 'a', image: 'x' },
    ]);
  });

  it('merges nested lists: env by name and ports by containerPort inside a container', () => {
    const original = pod({
      containers: [{
        name: 'app', image: 'i',
        env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
        ports: [{ containerPort: 80, name: 'http' }],
        volumeMounts: [{ mountPath: '/data', name: 'd' }],
      }],
    });
    const out = smp(original, {
      spec: {
        containers: [{
          name: 'app',
          env: [{ name: 'B', value: '20' }, { name: 'C', value: '3' }],
          ports: [{ containerPort: 443, name: 'https' }],
          volumeMounts: [{ mountPath: '/data', readOnly: true }],
        }],
      },
    });
    const c = (out.spec as { containers: Array<Record<string, unknown>> }).containers[0]!;
    expect(c.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '20' }, { name: 'C', value: '3' }]);
    expect(c.ports).toEqual([{ containerPort: 443, name: 'https' }, { containerPort: 80, name: 'http' }]);
    expect(c.volumeMounts).toEqual([{ mountPath: '/data', name: 'd', readOnly: true }]);
  });

  it('deletes a list item with $patch: delete', () => {
    const out = smp(pod({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] }), {
      spec: { containers: [{ name: 'a', $patch: 'delete' }] },
    });
    expect((out.spec as { containers: unknown[] }).containers).toEqual([{ name: 'b', image: 'y' }]);
  });

  it('replaces a whole merging list with $patch: replace inside it', () => {
    const out = smp(pod({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] }), {
      spec: { containers: [{ name: 'c', image: 'z' }, { $patch: 'replace' }] },
    });
    expect((out.spec as { containers: unknown[] }).containers).toEqual([{ name: 'c', image: 'z' }]);
  });

  it('replaces a map with $patch: replace and empties it with $patch: delete', () => {
    const original = pod({ nodeSelector: { a: '1', b: '2' }, containers: [] }, { name: 'p', labels: { x: '1', y: '2' } });
    const out = smp(original, {
      metadata: { labels: { z: '3', $patch: 'replace' } },
      spec: { nodeSelector: { $patch: 'delete' } },
    });
    expect(out.metadata!.labels).toEqual({ z: '3' });
    expect((out.spec as Record<string, unknown>).nodeSelector).toEqual({});
  });

  it('refuses an unknown $patch directive in a map', () => {
    expect(() => smp(pod({}), { spec: { $patch: 'bogus' } })).toThrow(/unknown patch type: bogus in map/);
  });

  it('refuses $patch: merge inside a list', () => {
    expect(() => smp(pod({ containers: [{ name: 'a' }] }), { spec: { containers: [{ $patch: 'merge' }] } }))
      .toThrow('merging lists cannot yet be specified in the patch');
  });

  it('deletes map keys set to null', () => {
    const out = smp(pod({ containers: [] }, { name: 'p', labels: { a: '1', b: '2' }, annotations: { k: 'v' } }), {
      metadata: { labels: { a: null, c: '3' }, annotations: null },
    });
    expect(out.metadata).toEqual({ name: 'p', labels: { b: '2', c: '3' } });
  });

  it('replaces lists without a merge strategy (tolerations, args)', () => {
    const out = smp(pod({
      tolerations: [{ key: 'a', operator: 'Exists' }],
      containers: [{ name: 'c', args: ['x', 'y'] }],
    }), {
      spec: { tolerations: [{ key: 'b', operator: 'Exists' }], containers: [{ name: 'c', args: ['z'] }] },
    });
    const spec = out.spec as { tolerations: unknown[]; containers: Array<{ args: string[] }> };
    expect(spec.tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
    expect(spec.containers[0]!.args).toEqual(['z']);
  });

  it('unions primitive lists with a merge strategy (finalizers) and deletes with $deleteFromPrimitiveList', () => {
    const original = pod({}, { name: 'p', finalizers: ['a', 'b'] });
    const merged = smp(original, { metadata: { finalizers: ['b', 'c'] } });
    expect(merged.metadata!.finalizers).toEqual(['a', 'b', 'c']);
    const deleted = smp(original, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } });
    expect(deleted.metadata!.finalizers).toEqual(['b']);
  });

  it('$retainKeys drops the keys it does not list (deployment strategy switch)', () => {
    const original: KubeObject = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
      spec: { replicas: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } },
    };
    const out = smp(original, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, DEPLOYMENT);
    expect((out.spec as Record<string, unknown>).strategy).toEqual({ type: 'Recreate' });
  });

  it('$retainKeys refuses a patch key it does not list', () => {
    expect(() => smp(pod({}), { spec: { $retainKeys: ['a'], b: 1 } })).toThrow('invalid patch format of retainKeys');
  });

  it('$setElementOrder orders the patched items; server-only items interleave by their live position', () => {
    const original = pod({
      containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }, { name: 'c', image: '1' }],
    });
    const out = smp(original, {
      spec: {
        '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }],
        containers: [{ name: 'a', image: '2' }],
      },
    });
    const names = (out.spec as { containers: Array<{ name: string; image: string }> }).containers;
    expect(names.map((c) => `${c.name}${c.image}`)).toEqual(['b1', 'c1', 'a2']);
  });

  it('$setElementOrder places a new item where kubectl apply asks', () => {
    const original = pod({ containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }] });
    const out = smp(original, {
      spec: {
        '$setElementOrder/containers': [{ name: 'a' }, { name: 'n' }, { name: 'b' }],
        containers: [{ name: 'n', image: '1' }],
      },
    });
    expect((out.spec as { containers: Array<{ name: string }> }).containers.map((c) => c.name)).toEqual(['a', 'n', 'b']);
  });

  it('$setElementOrder must agree with the order of the patch list', () => {
    expect(() => smp(pod({ containers: [{ name: 'a' }, { name: 'b' }] }), {
      spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b' }, { name: 'a' }] },
    })).toThrow(/doesn't match \$setElementOrder list/);
  });

  it('$setElementOrder alone reorders without changing items', () => {
    const original = pod({}, { name: 'p', finalizers: ['x', 'y', 'z'] });
    const out = smp(original, { metadata: { '$setElementOrder/finalizers': ['z', 'y', 'x'] } });
    expect(out.metadata!.finalizers).toEqual(['z', 'y', 'x']);
  });

  it('an item without its merge key is an error in upstream words', () => {
    expect(() => smp(pod({ containers: [{ name: 'a' }] }), { spec: { containers: [{ image: 'x' }] } }))
      .toThrow('map: map[image:x] does not contain declared merge key: name');
  });

  it('merges status conditions by type and ownerReferences by uid', () => {
    const original: KubeObject = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'p', ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'a', uid: '1' }] },
      status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'Initialized', status: 'True' }] },
    };
    const out = smp(original, {
      metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'b', uid: '2' }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    expect(out.metadata!.ownerReferences!.map((o) => o.uid)).toEqual(['2', '1']);
    expect((out.status as { conditions: unknown[] }).conditions).toEqual([
      { type: 'Ready', status: 'True' }, { type: 'Initialized', status: 'True' },
    ]);
  });

  it('merges a deployment pod template containers list through the core types', () => {
    const original: KubeObject = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
      spec: { template: { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }] } } },
    };
    const out = smp(original, { spec: { template: { spec: { containers: [{ name: 'b', image: '2' }] } } } }, DEPLOYMENT);
    const tpl = (out.spec as { template: { spec: { containers: unknown[] } } }).template.spec;
    expect(tpl.containers).toEqual([{ name: 'a', image: '1' }, { name: 'b', image: '2' }]);
  });

  it('drops directives and nulls inside values that are new to the object', () => {
    const out = smp(pod({}), { spec: { containers: [{ name: 'a', image: 'x', env: null }], nodeSelector: { a: null, b: '1' } } });
    expect(out.spec).toEqual({ containers: [{ name: 'a', image: 'x' }], nodeSelector: { b: '1' } });
  });

  it('deletes an item of a nested list (env inside a container) and merges its siblings', () => {
    const original = pod({
      containers: [{ name: 'app', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }, { name: 'other' }],
    });
    const out = smp(original, { spec: { containers: [{ name: 'app', env: [{ name: 'A', $patch: 'delete' }, { name: 'B', value: '3' }] }] } });
    expect((out.spec as { containers: unknown[] }).containers).toEqual([
      { name: 'app', env: [{ name: 'B', value: '3' }] }, { name: 'other' },
    ]);
  });

  it('$setElementOrder on a primitive list places new values', () => {
    const out = smp(pod({}, { name: 'p', finalizers: ['a', 'c'] }), {
      metadata: { '$setElementOrder/finalizers': ['a', 'b', 'c'], finalizers: ['b'] },
    });
    expect(out.metadata!.finalizers).toEqual(['a', 'b', 'c']);
  });

  it('a definition without a schema merges maps and replaces lists', () => {
    const out = applyPatch(SMP, { spec: { list: [{ name: 'a' }], map: { a: 1 } } }, { spec: { list: [{ name: 'b' }], map: { b: 2 } } },
      'io.example.v1.Unknown');
    expect(out.spec).toEqual({ list: [{ name: 'b' }], map: { a: 1, b: 2 } });
  });

  it('a malformed $deleteFromPrimitiveList or $setElementOrder is a 400', () => {
    const p = pod({}, { name: 'p', finalizers: ['a'] });
    expect(() => smp(p, { metadata: { '$setElementOrder/finalizers': 'a' } })).toThrow('invalid patch format of setElementOrder list');
    expect(() => smp(p, { metadata: { $retainKeys: 'name' } })).toThrow('invalid patch format of retainKeys');
    let code = 0;
    try {
      smp(p, { metadata: { finalizers: [['x']] } });
    } catch (e) {
      code = (e as PatchError).code;
    }
    expect(code).toBe(400);
  });

  it('refuses a patch that is not an object', () => {
    expect(() => smp(pod({}), [1, 2])).toThrow(PatchError);
  });
});
