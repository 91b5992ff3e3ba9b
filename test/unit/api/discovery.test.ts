import { describe, expect, it } from 'vitest';
import {
  acceptsAggregatedDiscovery, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions,
  DISCOVERY_V2_CONTENT_TYPE, storageVersionHash,
} from '../../../src/control/api/discovery.js';
import type { ResourceType } from '../../../src/control/api/resource.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function rt(p: Partial<ResourceType> & Pick<ResourceType, 'group' | 'version' | 'kind' | 'plural'>): ResourceType {
  return {
    listKind: `${p.kind}List`, singular: p.kind.toLowerCase(), shortNames: [], categories: [], namespaced: true,
    verbs: VERBS, subresources: [], strategy: {}, columns: [], definition: `io.k8s.api.x.${p.kind}`, ...p,
  };
}

const registry: ResourceType[] = [
  rt({ group: '', version: 'v1', kind: 'Pod', plural: 'pods', shortNames: ['po'], categories: ['all'], subresources: ['status', 'binding', 'eviction', 'log'] }),
  rt({ group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', shortNames: ['ns'], namespaced: false, subresources: ['status'] }),
  rt({ group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] }),
  rt({ group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', shortNames: ['hpa'], categories: ['all'], subresources: ['status'] }),
];

describe('legacy discovery', () => {
  it('/api lists v1 and a server address', () => {
    const v = apiVersions('10.0.0.1:6443');
    expect(v).toEqual({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }] });
  });

  it('/apis lists named groups only, with preferred versions', () => {
    const list = apiGroupList(registry);
    expect(list.kind).toBe('APIGroupList');
    expect(list.groups.map((g) => g.name)).toEqual(['apps', 'autoscaling']);
    expect(list.groups[1]).toEqual({
      name: 'autoscaling', versions: [{ groupVersion: 'autoscaling/v2', version: 'v2' }],
      preferredVersion: { groupVersion: 'autoscaling/v2', version: 'v2' },
    });
    expect(apiGroup(registry, 'apps')!.preferredVersion.groupVersion).toBe('apps/v1');
    expect(apiGroup(registry, 'nope')).toBeUndefined();
  });

  it('/api/v1 lists resources and subresources with their kinds and verbs', () => {
    const list = apiResourceList(registry, '', 'v1')!;
    expect(list.groupVersion).toBe('v1');
    expect(list.resources.map((r) => r.name)).toEqual([
      'namespaces', 'namespaces/status', 'pods', 'pods/binding', 'pods/eviction', 'pods/log', 'pods/status',
    ]);
    const pods = list.resources.find((r) => r.name === 'pods')!;
    expect(pods).toMatchObject({ singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'], categories: ['all'], verbs: VERBS });
    expect(pods.storageVersionHash).toMatch(/^[A-Za-z0-9+/]{11}=$/);
    expect(list.resources.find((r) => r.name === 'pods/eviction')).toEqual({
      name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'],
    });
    expect(list.resources.find((r) => r.name === 'pods/binding')).toMatchObject({ kind: 'Binding', verbs: ['create'] });
    expect(list.resources.find((r) => r.name === 'pods/status')).toEqual({
      name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'],
    });
    expect(list.resources.find((r) => r.name === 'namespaces')!.namespaced).toBe(false);
  });

  it('scale subresources answer with autoscaling/v1 Scale', () => {
    const list = apiResourceList(registry, 'apps', 'v1')!;
    expect(list.groupVersion).toBe('apps/v1');
    expect(list.resources.find((r) => r.name === 'deployments/scale')).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    expect(apiResourceList(registry, 'apps', 'v2')).toBeUndefined();
  });

  it('storageVersionHash is the first 8 bytes of sha256 of group/version/kind', () => {
    // Value kube-apiserver reports for pods.
    expect(storageVersionHash({ group: '', version: 'v1', kind: 'Pod' })).toBe('xPOwRZ+Yhw8=');
  });
});

describe('aggregated discovery v2', () => {
  it('/api holds only the core group, unnamed', () => {
    const doc = aggregatedDiscovery(registry, 'api');
    expect(doc.kind).toBe('APIGroupDiscoveryList');
    expect(doc.apiVersion).toBe('apidiscovery.k8s.io/v2');
    expect(doc.items).toHaveLength(1);
    expect(doc.items[0]!.metadata).toEqual({ creationTimestamp: null });
    const v1 = doc.items[0]!.versions[0]!;
    expect(v1.version).toBe('v1');
    expect(v1.freshness).toBe('Current');
    expect(v1.resources.map((r) => r.resource)).toEqual(['namespaces', 'pods']);
    const pods = v1.resources[1]!;
    expect(pods).toMatchObject({
      responseKind: { group: '', version: 'v1', kind: 'Pod' }, scope: 'Namespaced', singularResource: 'pod',
      shortNames: ['po'], categories: ['all'], verbs: VERBS,
    });
    expect(pods.subresources!.map((s) => s.subresource)).toEqual(['binding', 'eviction', 'log', 'status']);
    expect(pods.subresources![1]).toEqual({ subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] });
    expect(v1.resources[0]!.scope).toBe('Cluster');
  });

  it('/apis holds every named group and no core group', () => {
    const doc = aggregatedDiscovery(registry, 'apis');
    expect(doc.items.map((i) => i.metadata.name)).toEqual(['apps', 'autoscaling']);
    const deploy = doc.items[0]!.versions[0]!.resources[0]!;
    expect(deploy.subresources).toEqual([
      { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
      { subresource: 'status', responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
    ]);
    expect(doc.items[1]!.versions[0]!.version).toBe('v2');
  });

  it('recognises the Accept header kubectl sends', () => {
    expect(DISCOVERY_V2_CONTENT_TYPE).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    expect(acceptsAggregatedDiscovery(
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
    )).toBe(true);
    expect(acceptsAggregatedDiscovery('application/json, */*')).toBe(false);
    expect(acceptsAggregatedDiscovery(undefined)).toBe(false);
  });
});

describe('discovery of the real registry', () => {
  it('lists every registry kind once, in its group, with its short names', async () => {
    const { resources } = await import('../../../src/control/api/kinds/index.js');
    const listed = [...aggregatedDiscovery(resources, 'api').items, ...aggregatedDiscovery(resources, 'apis').items]
      .flatMap((g) => g.versions.flatMap((v) => v.resources.map((r) => ({ group: g.metadata.name ?? '', version: v.version, r }))));
    expect(listed).toHaveLength(resources.length);
    for (const r of resources) {
      const found = listed.find((l) => l.group === r.group && l.version === r.version && l.r.resource === r.plural);
      expect(found, r.plural).toBeDefined();
      expect(found!.r.shortNames ?? []).toEqual(r.shortNames);
      expect(found!.r.subresources?.map((s) => s.subresource) ?? []).toEqual([...r.subresources].sort());
      const legacy = apiResourceList(resources, r.group, r.version)!;
      for (const sub of r.subresources) expect(legacy.resources.some((x) => x.name === `${r.plural}/${sub}`)).toBe(true);
    }
  });
});
