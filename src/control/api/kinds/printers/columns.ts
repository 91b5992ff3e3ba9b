/** Column builders shared by the per-kind printers. */
import type { KubeObject, TableColumn } from '../../resource.js';
import { selectorString, type LabelSelector } from '../../validation/selectors.js';
import { records, rec, type Json } from '../strategies/json.js';
import { since } from './duration.js';

type Cell = string | number | boolean | null;

export function column(name: string, type: TableColumn['type'], description: string,
  value: (obj: KubeObject, now: Date) => Cell, priority = 0): TableColumn {
  return { name, type, description, priority, value };
}

export const wide = (name: string, type: TableColumn['type'], description: string,
  value: (obj: KubeObject, now: Date) => Cell): TableColumn => column(name, type, description, value, 1);

export const ageColumn: TableColumn = column('Age', 'string', 'Time since the object was created.',
  (obj, now) => since(obj.metadata?.creationTimestamp, now));

/** `obj.a.b.c` for plain JSON, undefined when any step is missing. */
export function path(obj: unknown, ...keys: string[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) {
    const r = rec(cur);
    if (!r) return undefined;
    cur = r[k];
  }
  return cur;
}

export const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** Names and images of a pod template's containers, comma-joined (upstream's layoutContainerCells). */
export function templateColumns(templateSpec: (obj: KubeObject) => unknown, selector?: (obj: KubeObject) => unknown): TableColumn[] {
  const containers = (obj: KubeObject): Json[] => records(path(templateSpec(obj), 'containers'));
  const cols = [
    wide('Containers', 'string', 'Names of each container in the template.', (o) => containers(o).map((c) => String(c.name ?? '')).join(',')),
    wide('Images', 'string', 'Images referenced by each container in the template.', (o) => containers(o).map((c) => String(c.image ?? '')).join(',')),
  ];
  if (selector) {
    cols.push(wide('Selector', 'string', 'Label query over the pods this object manages.',
      (o) => selectorString(rec(selector(o)) as LabelSelector | undefined)));
  }
  return cols;
}
