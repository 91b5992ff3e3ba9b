/** Table columns of EndpointSlice, Lease and HorizontalPodAutoscaler. */
import type { KubeObject, TableColumn } from '../../resource.js';
import { records, rec, str, type Json } from '../strategies/json.js';
import { ageColumn, column, num, path } from './columns.js';

/** First three items, then "+ N more...", or `<unset>` for none (upstream's listWithMoreString). */
function listWithMore(items: string[], max: number, joiner = ','): string {
  if (items.length > max) return `${items.slice(0, max).join(joiner)} + ${items.length - max} more...`;
  return items.length ? items.join(joiner) : '<unset>';
}

export const endpointSliceColumns: TableColumn[] = [
  column('AddressType', 'string', 'IPv4, IPv6 or FQDN.', (o) => str(o.addressType)),
  column('Ports', 'string', 'Port numbers (or names) of the slice.', (o) => listWithMore(records(o.ports).map((p) =>
    typeof p.port === 'number' ? String(p.port) : typeof p.name === 'string' ? p.name : '*'), 3)),
  column('Endpoints', 'string', 'Endpoint addresses.', (o) => listWithMore(records(o.endpoints).flatMap((e) =>
    (Array.isArray(e.addresses) ? e.addresses.map(String) : [])), 3)),
  ageColumn,
];

export const leaseColumns: TableColumn[] = [
  column('Holder', 'string', 'The identity holding the lease.', (o) => str(path(o, 'spec', 'holderIdentity'))),
  ageColumn,
];

function metricText(spec: Json, status: Json | undefined): string {
  const type = str(spec.type);
  const lower = type.charAt(0).toLowerCase() + type.slice(1);
  const source = rec(spec[lower]);
  const current = rec(rec(status?.[lower])?.current);
  const target = rec(source?.target) ?? {};
  if (type === 'Resource' || type === 'ContainerResource') {
    const name = str(source?.name);
    if (target.averageValue !== undefined) {
      const cur = current?.averageValue !== undefined ? String(current.averageValue) : '<unknown>';
      return `${name}: ${cur}/${String(target.averageValue)}`;
    }
    const cur = typeof current?.averageUtilization === 'number' ? `${current.averageUtilization}%` : '<unknown>';
    const tgt = typeof target.averageUtilization === 'number' ? `${target.averageUtilization}%` : '<auto>';
    return `${name}: ${cur}/${tgt}`;
  }
  if (type === 'Pods' || type === 'Object' || type === 'External') {
    const value = target.averageValue ?? target.value;
    const cur = current?.averageValue ?? current?.value;
    const avg = target.averageValue !== undefined && type !== 'Pods' ? ' (avg)' : '';
    return `${cur !== undefined ? String(cur) : '<unknown>'}/${value !== undefined ? String(value) : '<unknown>'}${avg}`;
  }
  return '<unknown type>';
}

function hpaTargets(o: KubeObject): string {
  const specs = records(path(o, 'spec', 'metrics'));
  if (specs.length === 0) return '<none>';
  const statuses = records(path(o, 'status', 'currentMetrics'));
  return listWithMore(specs.map((s, i) => metricText(s, statuses[i])), 2, ', ');
}

export const hpaColumns: TableColumn[] = [
  column('Reference', 'string', 'The scaled object, as kind/name.', (o) =>
    `${str(path(o, 'spec', 'scaleTargetRef', 'kind'))}/${str(path(o, 'spec', 'scaleTargetRef', 'name'))}`),
  column('Targets', 'string', 'Current and target metric values.', hpaTargets),
  column('MinPods', 'string', 'The lower replica bound.', (o) => {
    const min = path(o, 'spec', 'minReplicas');
    return typeof min === 'number' ? String(min) : '<unset>';
  }),
  column('MaxPods', 'integer', 'The upper replica bound.', (o) => num(path(o, 'spec', 'maxReplicas'))),
  column('Replicas', 'integer', 'The current number of replicas.', (o) => num(path(o, 'status', 'currentReplicas'))),
  ageColumn,
];
