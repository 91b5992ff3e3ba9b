/** Table columns of LimitRange, ResourceQuota and PodTemplate, as upstream prints them. */
import type { KubeObject, TableColumn } from '../../resource.js';
import { formatLabels } from '../../validation/selectors.js';
import { quantityString } from '../../validation/quantity-canonical.js';
import { rec, records, str } from '../strategies/json.js';
import { ageColumn, column, path } from './columns.js';
import { rfc3339 } from '../../../../client/time.js';

/**
 * LimitRange has no printer upstream: the server's default table (rest.NewDefaultTableConvertor) gives
 * Name and "Created At", the creation time in RFC 3339.
 */
export const limitRangeColumns: TableColumn[] = [
  column('Created At', 'date', 'CreationTimestamp is a timestamp representing the server time when this object was created.',
    (o) => {
      const t = o.metadata?.creationTimestamp;
      return t ? rfc3339(new Date(t)) : '';
    }),
];

/** "<resource>: <used>/<hard>" for each status.hard resource, sorted; limits.* go to the Limit column. */
function quotaCells(o: KubeObject): { request: string; limit: string } {
  const hard = rec(path(o, 'status', 'hard')) ?? {};
  const used = rec(path(o, 'status', 'used')) ?? {};
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const pieces = name.split('.');
    const text = `${name}: ${quantityString(used[name]) ?? '0'}/${quantityString(hard[name]) ?? '0'}`;
    (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(text);
  }
  return { request: request.join(', '), limit: limit.join(', ') };
}

export const resourceQuotaColumns: TableColumn[] = [
  column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.', (o) => quotaCells(o).request),
  column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.', (o) => quotaCells(o).limit),
  ageColumn,
];

const templateContainers = (o: KubeObject) => records(path(o, 'template', 'spec', 'containers'));

export const podTemplateColumns: TableColumn[] = [
  column('Containers', 'string', 'Names of each container in the template.', (o) => templateContainers(o).map((c) => str(c.name)).join(',')),
  column('Images', 'string', 'Images referenced by each container in the template.', (o) => templateContainers(o).map((c) => str(c.image)).join(',')),
  column('Pod Labels', 'string', 'The labels for the pod template.',
    (o) => formatLabels(rec(path(o, 'template', 'metadata', 'labels')) as Record<string, string> | undefined)),
];
