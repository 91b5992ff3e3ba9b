/**
 * metrics.k8s.io's read paths, as metrics-server answers them: NodeMetrics for the nodes the node list holds
 * (label selector on the node's labels, field selector on metadata.name), PodMetrics for Running pods (label
 * selector on the pod's labels, field selector on metadata.name/namespace), each only when its agent reported
 * figures; lists are sorted by (namespace,) name. Errors are metrics-server's: a missing node or pod is the
 * lister's NotFound, an object without figures is `nodemetrics…`/`podmetrics.metrics.k8s.io "ns/name" not found`.
 */
import type { ComputedSource, KubeObject } from '../resource.js';
import type { NodeUsage, PodUsage } from '../../../dataplane/kubelet/types.js';
import { notFound } from '../status.js';
import { matchesLabels, parseLabelSelector } from '../selectors/label.js';
import { matchesFields, parseFieldSelector } from '../selectors/field.js';
import { nodeMetrics, podMetrics } from './format.js';
import type { UsageCache } from './usage-cache.js';

/** The objects metrics are computed for, read from the API server's own caches. */
export interface MetricsObjects {
  nodes(): Promise<KubeObject[]>;
  node(name: string): Promise<KubeObject | undefined>;
  /** Pods of a namespace, or of every namespace. */
  pods(namespace: string | undefined): Promise<KubeObject[]>;
  pod(namespace: string, name: string): Promise<KubeObject | undefined>;
}

export interface MetricsSourcesDeps {
  objects: MetricsObjects;
  usage: Pick<UsageCache, 'usageOf'>;
  now: () => Date;
}

const GROUP = 'metrics.k8s.io';

/** metrics-server filters on the ObjectMeta field set only: other fields never match a value. */
function selectedBy(labelSelector: string | undefined, fieldSelector: string | undefined): (o: KubeObject) => boolean {
  const labels = parseLabelSelector(labelSelector);
  const fields = parseFieldSelector(fieldSelector);
  return (o) => {
    if (labels.length && !matchesLabels(labels, o.metadata?.labels)) return false;
    if (!fields.length) return true;
    const meta: KubeObject = { metadata: { name: o.metadata?.name ?? '' } };
    if (o.metadata?.namespace !== undefined) meta.metadata!.namespace = o.metadata.namespace;
    return matchesFields(fields, meta);
  };
}

const byName = (a: KubeObject, b: KubeObject): number => {
  const an = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
  const bn = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
  return an < bn ? -1 : an > bn ? 1 : 0;
};

export function nodeMetricsSource(d: MetricsSourcesDeps): ComputedSource {
  return {
    async get(_ns, name) {
      const node = await d.objects.node(name);
      // The node lister's NotFound (client-go's listers name the resource in the singular).
      if (!node) throw notFound({ group: '', resource: 'node' }, name);
      const usage = (await d.usage.usageOf([node])).get(name);
      if (!usage) throw notFound({ group: GROUP, resource: 'nodemetrics' }, name);
      return nodeMetrics(node, usage, d.now());
    },
    async list(_ns, { labelSelector, fieldSelector }) {
      const nodes = (await d.objects.nodes()).filter(selectedBy(labelSelector, fieldSelector));
      const usage = await d.usage.usageOf(nodes);
      const now = d.now();
      const out: KubeObject[] = [];
      for (const node of nodes) {
        const u = usage.get(node.metadata?.name ?? '');
        if (u) out.push(nodeMetrics(node, u, now));
      }
      return out.sort(byName);
    },
  };
}

interface Reported {
  pod: PodUsage;
  node: NodeUsage;
}

export function podMetricsSource(d: MetricsSourcesDeps): ComputedSource {
  /** What the agents of these pods' nodes report, by namespace/name. */
  const reported = async (pods: readonly KubeObject[]): Promise<Map<string, Reported>> => {
    const nodeNames = new Set(pods.map((p) => (p['spec'] as { nodeName?: string } | undefined)?.nodeName).filter((n): n is string => !!n));
    if (nodeNames.size === 0) return new Map();
    const nodes = (await d.objects.nodes()).filter((n) => nodeNames.has(n.metadata?.name ?? ''));
    const out = new Map<string, Reported>();
    for (const node of (await d.usage.usageOf(nodes)).values()) {
      for (const pod of node.pods) out.set(`${pod.namespace}/${pod.name}`, { pod, node });
    }
    return out;
  };
  /** The PodMetrics of a pod, or undefined when it is not Running or its agent reported nothing for it. */
  const metricsOf = (pod: KubeObject, figures: Map<string, Reported>, now: Date): KubeObject | undefined => {
    if ((pod['status'] as { phase?: string } | undefined)?.phase !== 'Running') return undefined;
    const r = figures.get(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
    if (!r) return undefined;
    // A pod deleted and created again under its name: the figures belong to the old one.
    if (r.pod.uid && pod.metadata?.uid && r.pod.uid !== pod.metadata.uid) return undefined;
    if ((pod['spec'] as { nodeName?: string } | undefined)?.nodeName !== r.node.nodeName) return undefined;
    return podMetrics(pod, r.pod, r.node, now);
  };
  return {
    async get(ns, name) {
      const namespace = ns ?? '';
      const pod = await d.objects.pod(namespace, name);
      // metrics-server reads pods through a metadata lister, whose NotFound names the plural resource.
      if (!pod) throw notFound({ group: '', resource: 'pods' }, name);
      const m = metricsOf(pod, await reported([pod]), d.now());
      if (!m) throw notFound({ group: GROUP, resource: 'podmetrics' }, `${namespace}/${name}`);
      return m;
    },
    async list(ns, { labelSelector, fieldSelector }) {
      const pods = (await d.objects.pods(ns)).filter(selectedBy(labelSelector, fieldSelector)).sort(byName);
      const figures = await reported(pods);
      const now = d.now();
      const out: KubeObject[] = [];
      for (const pod of pods) {
        const m = metricsOf(pod, figures, now);
        if (m) out.push(m);
      }
      return out;
    },
  };
}
