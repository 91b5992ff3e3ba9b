/**
 * metrics.k8s.io/v1beta1 as metrics-server serves it: NodeMetrics (`nodes`, cluster-scoped) and PodMetrics
 * (`pods`, namespaced), get and list only, no singular name in discovery, computed from the usage node agents
 * report (src/control/api/metrics) and never stored. Table columns and OpenAPI schemas are metrics-server's.
 */
import type { KubeObject, ResourceType, TableColumn } from '../resource.js';
import type { Definitions, Schema } from '../schema/types.js';
import { sumQuantities } from '../metrics/format.js';

const PKG = 'io.k8s.metrics.pkg.apis.metrics.v1beta1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

const ref = (definition: string, description?: string): Schema => (description ? { $ref: `#/definitions/${definition}`, description } : { $ref: `#/definitions/${definition}` });
const str = (description: string): Schema => ({ type: 'string', description });

const API_VERSION = str('The versioned schema of this representation of an object (APIVersion).');
const KIND = str('The REST resource this object represents, in CamelCase (Kind).');
const TIMES = 'Timestamp and Window bound the interval [Timestamp-Window, Timestamp] the figures were collected over.';
const USAGE: Schema = {
  type: 'object', description: 'Resource usage; memory is the working set.', additionalProperties: ref(QUANTITY),
};

const timed = (name: string, what: string, extra: Record<string, Schema>, required: string[]): Schema => ({
  type: 'object',
  description: `${name}: resource usage of ${what}.`,
  required: ['timestamp', 'window', ...required],
  properties: {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: ref(`${META}.ObjectMeta`, "Standard object's metadata."),
    timestamp: ref(`${META}.Time`, TIMES),
    window: { type: 'string', description: TIMES },
    ...extra,
  },
});

const list = (kind: string): Schema => ({
  type: 'object',
  description: `A list of ${kind}.`,
  required: ['items'],
  properties: {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: ref(`${META}.ListMeta`, 'Standard list metadata.'),
    items: { type: 'array', description: `The ${kind} items.`, items: ref(`${PKG}.${kind}`) },
  },
});

const CONTAINER_METRICS: Schema = {
  type: 'object',
  description: 'ContainerMetrics: resource usage of one container.',
  required: ['name', 'usage'],
  properties: { name: str('The container name, as in pod.spec.containers.'), usage: USAGE },
};

const nodeSchemas: Definitions = {
  [`${PKG}.NodeMetrics`]: timed('NodeMetrics', 'a node', { usage: USAGE }, ['usage']),
  [`${PKG}.NodeMetricsList`]: list('NodeMetrics'),
};

const podSchemas: Definitions = {
  [`${PKG}.PodMetrics`]: timed('PodMetrics', 'a pod', {
    containers: {
      type: 'array', description: 'Usage of every container, over the same window.', items: ref(`${PKG}.ContainerMetrics`),
      'x-kubernetes-list-type': 'atomic',
    },
  }, ['containers']),
  [`${PKG}.PodMetricsList`]: list('PodMetrics'),
  [`${PKG}.ContainerMetrics`]: CONTAINER_METRICS,
};

type Usage = Record<string, string> | undefined;

/** metrics-server's columns: Name, then each usage key in sorted order (cpu, memory), then Window. */
function columns(usage: (obj: KubeObject) => Usage): TableColumn[] {
  const quantity = (name: 'cpu' | 'memory'): TableColumn => ({
    name, type: 'string', format: 'quantity', description: '', priority: 0, value: (o) => usage(o)?.[name] ?? '',
  });
  return [
    { name: 'Name', type: 'string', format: 'name', description: 'Name of the resource', priority: 0, value: (o) => o.metadata?.name ?? '' },
    quantity('cpu'),
    quantity('memory'),
    { name: 'Window', type: 'string', format: 'duration', description: '', priority: 0, value: (o) => String(o['window'] ?? '') },
  ];
}

/** A pod's row shows the sum of its containers' usage. */
function podUsage(o: KubeObject): Usage {
  const containers = (o['containers'] as Array<{ usage?: Record<string, string> }> | undefined) ?? [];
  const keys = new Set(containers.flatMap((c) => Object.keys(c.usage ?? {})));
  return Object.fromEntries([...keys].map((k) => [k, sumQuantities(containers.map((c) => c.usage?.[k]).filter((v): v is string => v !== undefined))]));
}

const metrics = { group: 'metrics.k8s.io', version: 'v1beta1', verbs: ['get', 'list'] } as const;

export const nodemetrics: ResourceType = {
  ...metrics, verbs: [...metrics.verbs], kind: 'NodeMetrics', listKind: 'NodeMetricsList', plural: 'nodes', singular: '',
  shortNames: [], categories: [], namespaced: false, subresources: [], strategy: {},
  columns: columns((o) => o['usage'] as Usage), definition: `${PKG}.NodeMetrics`, computed: true, schemas: nodeSchemas,
};

export const podmetrics: ResourceType = {
  ...metrics, verbs: [...metrics.verbs], kind: 'PodMetrics', listKind: 'PodMetricsList', plural: 'pods', singular: '',
  shortNames: [], categories: [], namespaced: true, subresources: [], strategy: {},
  columns: columns(podUsage), definition: `${PKG}.PodMetrics`, computed: true, schemas: podSchemas,
};
