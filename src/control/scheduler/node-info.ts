/**
 * A Node as the scheduler's plugins see it, parsed once per node event: labels, taints, unschedulable,
 * allocatable (cpu in millicores, the rest in base units) and image sizes by every name the node reports.
 */
import type { KubeObject } from '../api/resource.js';
import { list } from './json.js';
import { resourceValue } from './quantity.js';

export interface Taint { key: string; value: string; effect: string }

export interface ParsedNode {
  name: string;
  labels: Record<string, string>;
  unschedulable: boolean;
  taints: Taint[];
  allocatable: Map<string, number>;
  /** Image name → size in bytes (each of an image's names is a key, as upstream's ImageStates). */
  images: Map<string, number>;
}

export function parseNode(node: KubeObject): ParsedNode {
  const meta = node.metadata ?? {};
  const spec = (node.spec ?? {}) as Record<string, unknown>;
  const status = (node.status ?? {}) as Record<string, unknown>;
  const taints: Taint[] = [];
  for (const t of list<Record<string, unknown>>(spec.taints)) {
    taints.push({
      key: String(t.key ?? ''),
      value: typeof t.value === 'string' ? t.value : '',
      effect: String(t.effect ?? ''),
    });
  }
  const allocatable = new Map<string, number>();
  const raw = (status.allocatable ?? status.capacity ?? {}) as Record<string, unknown>;
  for (const [name, q] of Object.entries(raw)) {
    const v = resourceValue(name, q);
    if (v !== null) allocatable.set(name, v);
  }
  const images = new Map<string, number>();
  for (const img of list<{ names?: string[]; sizeBytes?: number }>(status.images)) {
    for (const n of list<string>(img.names)) images.set(n, Number(img.sizeBytes ?? 0));
  }
  return {
    name: meta.name ?? '',
    labels: { ...(meta.labels ?? {}) },
    unschedulable: spec.unschedulable === true,
    taints,
    allocatable,
    images,
  };
}
