/** Table columns of the networking.k8s.io/v1 kinds, as upstream prints them. */
import type { KubeObject, TableColumn } from '../../resource.js';
import { selectorString, type LabelSelector } from '../../validation/selectors.js';
import { rec, records, str } from '../strategies/json.js';
import { ageColumn, column, path } from './columns.js';

export const networkPolicyColumns: TableColumn[] = [
  column('Pod-Selector', 'string', 'Selects the pods to which this NetworkPolicy object applies.',
    (o) => selectorString(rec(path(o, 'spec', 'podSelector')) as LabelSelector | undefined) || '<none>'),
  ageColumn,
];

/** Up to three rule hosts, then "+ N more..." (counting rules), or "*" when no rule names a host. */
function ingressHosts(o: KubeObject): string {
  const rules = records(path(o, 'spec', 'rules'));
  const hosts = rules.slice(0, 3).map((r) => str(r.host)).filter((h) => h !== '');
  if (hosts.length === 0) return '*';
  return rules.length > 3 ? `${hosts.join(',')} + ${rules.length - 3} more...` : hosts.join(',');
}

/** Load-balancer IPs or hostnames, sorted and unique (the server prints wide, so never clipped). */
function ingressAddress(o: KubeObject): string {
  const set = new Set<string>();
  for (const i of records(path(o, 'status', 'loadBalancer', 'ingress'))) {
    const a = str(i.ip) || str(i.hostname);
    if (a) set.add(a);
  }
  return [...set].sort().join(',');
}

export const ingressColumns: TableColumn[] = [
  column('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration',
    (o) => { const c = path(o, 'spec', 'ingressClassName'); return typeof c === 'string' ? c : '<none>'; }),
  column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule', ingressHosts),
  column('Address', 'string', 'Address is a list containing ingress points for the load-balancer', ingressAddress),
  column('Ports', 'string', 'Ports of TLS configurations that open', (o) => (records(path(o, 'spec', 'tls')).length ? '80, 443' : '80')),
  ageColumn,
];

export const ingressClassColumns: TableColumn[] = [
  column('Controller', 'string', 'Controller that is responsible for handling this class', (o) => str(path(o, 'spec', 'controller'))),
  column('Parameters', 'string', 'A reference to a resource with additional parameters', (o) => {
    const p = rec(path(o, 'spec', 'parameters'));
    if (!p) return '<none>';
    const kind = typeof p.apiGroup === 'string' ? `${str(p.kind)}.${p.apiGroup}` : str(p.kind);
    return `${kind}/${str(p.name)}`;
  }),
  ageColumn,
];
