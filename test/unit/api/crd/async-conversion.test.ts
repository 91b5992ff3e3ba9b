/**
 * The engine's verbs on a version whose conversion is awaited (ResourceType.conversion.async), with an in-process
 * conversion standing in for a webhook: writes converted before storage, a write whose converted object went
 * stale is read and converted again, a client's stale resourceVersion is a conflict at once, a list is one call.
 */
import { describe, expect, test } from 'vitest';
import { MemoryStore } from '../../../../src/control/storage/memory.js';
import { Registry } from '../../../../src/control/api/registry.js';
import { resources } from '../../../../src/control/api/kinds/index.js';
import { ObjectEngine } from '../../../../src/control/api/routes/objects.js';
import { customResources } from '../../../../src/control/api/crd/custom-resource.js';
import type { CustomResourceDefinition } from '../../../../src/control/api/crd/definition.js';
import type { KubeObject, ResourceType } from '../../../../src/control/api/resource.js';
import { ApiError } from '../../../../src/control/api/status.js';

const G = 'conv.example.com';
const schema = (field: string) => ({ openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { [field]: { type: 'integer' } } } } } });
const crd = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `gadgets.${G}` },
  spec: {
    group: G, scope: 'Cluster', names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: schema('size') }, { name: 'v2', served: true, storage: false, schema: schema('dimension') }],
    conversion: { strategy: 'None' },
  },
  status: { acceptedNames: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' } },
} as unknown as CustomResourceDefinition;

/** spec.size (v1) ⇄ spec.dimension (v2). */
function rename(o: KubeObject, to: string): KubeObject {
  const spec = { ...(o['spec'] as Record<string, unknown>) };
  const [from, into] = to.endsWith('/v2') ? ['size', 'dimension'] : ['dimension', 'size'];
  if (from in spec) {
    spec[into] = spec[from];
    delete spec[from];
  }
  return { ...structuredClone(o), apiVersion: to, spec };
}

function setup() {
  const served = customResources(crd);
  const v2 = served.find((r) => r.version === 'v2')!;
  const calls = { toStorage: 0, fromStorage: 0, batches: [] as number[] };
  let beforeToStorage: (() => Promise<void>) | undefined;
  v2.conversion!.async = {
    async toStorage(objs) {
      calls.toStorage++;
      await beforeToStorage?.();
      return objs.map((o) => rename(o, `${G}/v1`));
    },
    async fromStorage(objs) {
      calls.fromStorage++;
      calls.batches.push(objs.length);
      return objs.map((o) => rename(o, `${G}/v2`));
    },
  };
  const registry = new Registry([...resources, ...served]);
  const engine = new ObjectEngine(new MemoryStore(), registry);
  const v1: ResourceType = v2.conversion!.storage;
  return { engine, v1, v2, calls, racing: (f: () => Promise<void>) => (beforeToStorage = f) };
}

const gadget = (name: string, dimension: number): KubeObject => ({ apiVersion: `${G}/v2`, kind: 'Gadget', metadata: { name }, spec: { dimension } });

describe('awaited conversion in the engine', () => {
  test('create and get through v2 store v1', async () => {
    const { engine, v1, v2 } = setup();
    const made = await engine.create(v2, undefined, gadget('a', 3));
    expect(made.apiVersion).toBe(`${G}/v2`);
    expect(made['spec']).toEqual({ dimension: 3 });
    expect((await engine.get(v1, undefined, 'a'))['spec']).toEqual({ size: 3 });
    expect((await engine.get(v2, undefined, 'a'))['spec']).toEqual({ dimension: 3 });
  });

  test('a write whose converted object went stale is converted again from a fresh read', async () => {
    const { engine, v1, v2, calls, racing } = setup();
    await engine.create(v2, undefined, gadget('a', 3));
    let raced = false;
    racing(async () => {
      if (raced) return;
      raced = true;
      // Another writer changes the object while the webhook converts this write.
      await engine.patch(v1, undefined, 'a', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { other: 'writer' } } }));
    });
    const before = calls.toStorage;
    const out = await engine.patch(v2, undefined, 'a', (cur) => ({ ...cur, spec: { dimension: 4 } }));
    expect(calls.toStorage - before).toBe(2);
    expect(out['spec']).toEqual({ dimension: 4 });
    expect(out.metadata?.labels).toEqual({ other: 'writer' });
    expect((await engine.get(v1, undefined, 'a'))['spec']).toEqual({ size: 4 });
  });

  test("a client's resourceVersion that another write overtakes during conversion is a conflict", async () => {
    const { engine, v1, v2, racing } = setup();
    const made = await engine.create(v2, undefined, gadget('a', 3));
    let raced = false;
    racing(async () => {
      if (raced) return;
      raced = true;
      await engine.patch(v1, undefined, 'a', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { other: 'writer' } } }));
    });
    const err = await engine.update(v2, undefined, 'a', { ...gadget('a', 6), metadata: { name: 'a', resourceVersion: made.metadata!.resourceVersion } })
      .catch((e: unknown) => e);
    expect((err as ApiError).code).toBe(409);
    expect((await engine.get(v1, undefined, 'a'))['spec']).toEqual({ size: 3 });
  });

  test("a client's stale resourceVersion is a conflict at once", async () => {
    const { engine, v2, calls } = setup();
    const made = await engine.create(v2, undefined, gadget('a', 3));
    await engine.patch(v2, undefined, 'a', (cur) => ({ ...cur, spec: { dimension: 5 } }));
    const before = calls.toStorage;
    const err = await engine.update(v2, undefined, 'a', { ...gadget('a', 6), metadata: { name: 'a', resourceVersion: made.metadata!.resourceVersion } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(409);
    expect(calls.toStorage).toBe(before);
  });

  test('a list is one conversion of all its items; a delete returns the served version', async () => {
    const { engine, v2, calls } = setup();
    for (const n of ['a', 'b', 'c']) await engine.create(v2, undefined, gadget(n, 1));
    const before = calls.batches.length;
    const list = await engine.list(v2, undefined, {});
    expect(calls.batches.slice(before)).toEqual([3]);
    expect(list.items.map((i) => i.object['spec'])).toEqual([{ dimension: 1 }, { dimension: 1 }, { dimension: 1 }]);
    const del = await engine.delete(v2, undefined, 'a');
    expect(del.object.apiVersion).toBe(`${G}/v2`);
    expect(del.object['spec']).toEqual({ dimension: 1 });
  });
});
