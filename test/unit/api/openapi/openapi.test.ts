import { describe, expect, it } from 'vitest';
import {
  openapiV2, openapiV3GroupVersion, openapiV3Hash, openapiV3Paths, type OperationV3,
} from '../../../../src/control/api/openapi/index.js';
import { resources } from '../../../../src/control/api/kinds/index.js';
import type { Schema } from '../../../../src/control/api/schema/index.js';

const v2 = openapiV2(resources);

describe('/openapi/v2', () => {
  it('has a definition with x-kubernetes-group-version-kind for every registry kind and list kind', () => {
    expect(v2.swagger).toBe('2.0');
    for (const r of resources) {
      const def = v2.definitions[r.definition];
      expect(def, r.definition).toBeDefined();
      expect(def!['x-kubernetes-group-version-kind']).toContainEqual({ group: r.group, version: r.version, kind: r.kind });
      expect(def!.properties?.metadata?.$ref, r.kind).toBe('#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
      // Create-only kinds (core/v1 Binding) have no list kind, as upstream's document.
      if (!r.verbs.includes('list')) continue;
      const list = Object.values(v2.definitions).find((d) =>
        d['x-kubernetes-group-version-kind']?.some((g) => g.group === r.group && g.version === r.version && g.kind === r.listKind));
      expect(list, r.listKind).toBeDefined();
    }
  });

  it('every $ref resolves to a definition', () => {
    const missing: string[] = [];
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          // JSONSchemaProps has a property named $ref: only string values are references.
          if (k === '$ref' && typeof x === 'string') { if (!v2.definitions[(x as string).slice('#/definitions/'.length)]) missing.push(x as string); }
          else visit(x);
        }
      }
    };
    visit(v2);
    expect(missing).toEqual([]);
  });

  it('carries merge keys and strategies on PodSpec, Container and ObjectMeta', () => {
    const podSpec = v2.definitions['io.k8s.api.core.v1.PodSpec']!;
    expect(podSpec.properties!.containers).toMatchObject({
      type: 'array', items: { $ref: '#/definitions/io.k8s.api.core.v1.Container' },
      'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
    });
    expect(podSpec.properties!.volumes!['x-kubernetes-patch-strategy']).toBe('merge,retainKeys');
    expect(podSpec.properties!.tolerations!['x-kubernetes-patch-merge-key']).toBeUndefined();
    const container = v2.definitions['io.k8s.api.core.v1.Container']!;
    expect(container.properties!.ports!['x-kubernetes-patch-merge-key']).toBe('containerPort');
    expect(container.properties!.env!['x-kubernetes-patch-merge-key']).toBe('name');
    expect(container.properties!.volumeMounts!['x-kubernetes-patch-merge-key']).toBe('mountPath');
    expect(container.required).toEqual(['name']);
    const meta = v2.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']!;
    expect(meta.properties!.finalizers!['x-kubernetes-patch-strategy']).toBe('merge');
    expect(meta.properties!.ownerReferences!['x-kubernetes-patch-merge-key']).toBe('uid');
    expect(v2.definitions['io.k8s.api.apps.v1.DeploymentSpec']!.properties!.strategy!['x-kubernetes-patch-strategy']).toBe('retainKeys');
  });

  it('keeps descriptions and types from the package models', () => {
    const podSpec = v2.definitions['io.k8s.api.core.v1.PodSpec']!;
    expect(podSpec.description).toMatch(/description of a pod/);
    expect(podSpec.properties!.containers!.description).toMatch(/List of containers belonging to the pod/);
    // Struct-typed fields: client-node has no text for them, kubernetes-types does.
    expect(podSpec.properties!.affinity!.description).toBe("If specified, the pod's scheduling constraints");
    expect(v2.definitions['io.k8s.api.core.v1.Pod']!.properties!.spec!.description).toMatch(/^Specification of the desired behavior of the pod/);
    expect(podSpec.properties!.terminationGracePeriodSeconds).toMatchObject({ type: 'integer', format: 'int64' });
    expect(v2.definitions['io.k8s.api.core.v1.ContainerPort']!.properties!.containerPort).toMatchObject({ type: 'integer', format: 'int32' });
    expect(v2.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']!.properties!.labels).toMatchObject({
      type: 'object', additionalProperties: { type: 'string' },
    });
    expect(v2.definitions['io.k8s.api.core.v1.ServicePort']!.properties!.targetPort!.$ref)
      .toBe('#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString');
  });

  it('types resource quantities as Quantity (kubernetes-types marks them)', () => {
    const q = { $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity' };
    expect(v2.definitions['io.k8s.api.core.v1.ResourceRequirements']!.properties!.limits!.additionalProperties).toEqual(q);
    expect(v2.definitions['io.k8s.api.core.v1.EmptyDirVolumeSource']!.properties!.sizeLimit!.$ref).toBe(q.$ref);
    expect(v2.definitions['io.k8s.api.core.v1.NodeStatus']!.properties!.capacity!.additionalProperties).toEqual(q);
    expect(v2.definitions['io.k8s.api.core.v1.Container']!.properties!.image!.type).toBe('string');
  });

  it('names nested types after their upstream packages', () => {
    expect(v2.definitions['io.k8s.api.apps.v1.DeploymentSpec']!.properties!.template!.$ref)
      .toBe('#/definitions/io.k8s.api.core.v1.PodTemplateSpec');
    expect(v2.definitions['io.k8s.api.apps.v1.DeploymentSpec']!.properties!.selector!.$ref)
      .toBe('#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector');
    expect(v2.definitions['io.k8s.api.discovery.v1.EndpointSlice']!.properties!.ports!.items!.$ref)
      .toBe('#/definitions/io.k8s.api.discovery.v1.EndpointPort');
    expect(v2.definitions['io.k8s.api.core.v1.EndpointSubset']!.properties!.ports!.items!.$ref)
      .toBe('#/definitions/io.k8s.api.core.v1.EndpointPort');
  });

  it('has every resource path, PATCH with fieldValidation and dryRun, and GVK on operations', () => {
    const pod = v2.paths['/api/v1/namespaces/{namespace}/pods/{name}']!;
    expect(pod.get!.operationId).toBe('readCoreV1NamespacedPod');
    expect(pod.patch!['x-kubernetes-action']).toBe('patch');
    expect(pod.patch!['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Pod' });
    expect(pod.patch!.consumes).toContain('application/strategic-merge-patch+json');
    expect(pod.patch!.consumes).toContain('application/apply-patch+yaml');
    for (const r of resources.filter((x) => x.verbs.includes('patch'))) {
      const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
      const item = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}/{name}` : `${base}/${r.plural}/{name}`;
      const patch = v2.paths[item]?.patch;
      expect(patch, item).toBeDefined();
      const names = patch!.parameters.filter((p) => p.in === 'query').map((p) => p.name);
      expect(names).toEqual(expect.arrayContaining(['fieldValidation', 'dryRun', 'fieldManager']));
      expect(patch!['x-kubernetes-group-version-kind']).toEqual({ group: r.group, version: r.version, kind: r.kind });
    }
    expect(v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']!.patch!['x-kubernetes-group-version-kind'])
      .toEqual({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    expect(v2.paths['/api/v1/pods']!.get!.operationId).toBe('listCoreV1PodForAllNamespaces');
    expect(v2.paths['/api/v1/namespaces/{name}']!.get!.operationId).toBe('readCoreV1Namespace');
    expect(v2.paths['/api/v1/namespaces/{namespace}/pods/{name}/binding']!.post!['x-kubernetes-action']).toBe('post');
  });

  it('publishes only definitions the served paths reach', () => {
    expect(v2.definitions['io.k8s.api.core.v1.PersistentVolume']).toBeDefined(); // served since the storage kinds
    // storage.k8s.io/v1 is served, its VolumeAttributesClass is not.
    expect(v2.definitions['io.k8s.api.storage.v1.CSIStorageCapacity']).toBeDefined();
    expect(v2.definitions['io.k8s.api.storage.v1.VolumeAttributesClass']).toBeUndefined();
    expect(v2.definitions['io.k8s.api.core.v1.PersistentVolumeClaim']).toBeDefined(); // via StatefulSet templates
    expect(v2.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.Patch']).toBeDefined();
  });

  it('is computed once per registry', () => {
    expect(openapiV2(resources)).toBe(v2);
  });
});

describe('/openapi/v3', () => {
  it('indexes every group-version with a hash URL', () => {
    const index = openapiV3Paths(resources);
    const keys = Object.keys(index.paths);
    expect(keys).toEqual(expect.arrayContaining([
      'api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/discovery.k8s.io/v1', 'apis/coordination.k8s.io/v1', 'apis/autoscaling/v2',
    ]));
    const hash = openapiV3Hash(resources, 'apis/apps/v1')!;
    expect(hash).toMatch(/^[0-9A-F]{128}$/);
    expect(index.paths['apis/apps/v1']!.serverRelativeURL).toBe(`/openapi/v3/apis/apps/v1?hash=${hash}`);
  });

  it('serves a group-version document with GVK schemas, merge keys and described refs as allOf', () => {
    const doc = openapiV3GroupVersion(resources, '/openapi/v3/apis/apps/v1?hash=x')!;
    expect(doc.openapi).toBe('3.0.0');
    const schemas = doc.components.schemas;
    expect(schemas['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    // The pod template types are reachable from apps/v1, so they are in its document.
    const containers = schemas['io.k8s.api.core.v1.PodSpec']!.properties!.containers!;
    expect(containers['x-kubernetes-patch-merge-key']).toBe('name');
    expect(containers.items).toEqual({ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' });
    const podSpecAffinity = schemas['io.k8s.api.core.v1.PodSpec']!.properties!.affinity!;
    expect(podSpecAffinity.$ref ?? podSpecAffinity.allOf?.[0]?.$ref).toBe('#/components/schemas/io.k8s.api.core.v1.Affinity');
    const selector = schemas['io.k8s.api.apps.v1.DeploymentSpec']!.properties!.selector!;
    expect(selector.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector' }]);
    expect(selector.description).toMatch(/Label selector for pods/);
    expect(JSON.stringify(doc)).not.toContain('#/definitions/');
    // Core kinds are not in the apps document.
    expect(schemas['io.k8s.api.core.v1.Pod']).toBeUndefined();
  });

  it('PATCH operations carry fieldValidation as an operation query parameter (what kubectl checks)', () => {
    const doc = openapiV3GroupVersion(resources, 'api/v1')!;
    const patches = Object.values(doc.paths).map((p) => p.patch).filter((p): p is OperationV3 => !!p);
    const podPatch = patches.find((p) => p['x-kubernetes-group-version-kind'].kind === 'Pod')!;
    expect(podPatch.parameters!.some((p) => p.name === 'fieldValidation' && p.in === 'query')).toBe(true);
    expect(Object.keys(podPatch.requestBody!.content)).toContain('application/strategic-merge-patch+json');
    expect(openapiV3GroupVersion(resources, 'apis/nope/v1')).toBeUndefined();
  });

  it('every v3 $ref resolves inside its document', () => {
    const index = openapiV3Paths(resources);
    for (const key of Object.keys(index.paths)) {
      const doc = openapiV3GroupVersion(resources, key)!;
      const refs = JSON.stringify(doc).match(/"\$ref":"([^"]+)"/g) ?? [];
      for (const r of refs) {
        const name = r.slice('"$ref":"#/components/schemas/'.length, -1);
        expect(doc.components.schemas[name], `${key}: ${name}`).toBeDefined();
      }
    }
  });
});

describe('schema catalog', () => {
  it('the patcher and the documents read the same schema object', async () => {
    const { definitionSchema } = await import('../../../../src/control/api/schema/index.js');
    const fromCatalog: Schema | undefined = definitionSchema('io.k8s.api.core.v1.PodSpec');
    expect(fromCatalog).toBe(v2.definitions['io.k8s.api.core.v1.PodSpec']);
  });
});
