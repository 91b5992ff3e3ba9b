/** Table columns of the core/v1 kinds, with upstream's names, types and priorities. */
import type { KubeObject, TableColumn } from '../../resource.js';
import { formatLabels } from '../../validation/selectors.js';
import { isRecord, records, rec, str, type Json } from '../strategies/json.js';
import { ageColumn, column, path, wide, num } from './columns.js';
import { since } from './duration.js';
import { summarizePod } from './pod-status.js';
import { hostPort } from '../../../../net/host-port.js';

const orNone = (s: string): string => (s === '' ? '<none>' : s);
const count = (v: unknown): number => (isRecord(v) ? Object.keys(v).length : Array.isArray(v) ? v.length : 0);

// ---------------------------------------------------------------- pods

export const podColumns: TableColumn[] = [
  column('Ready', 'string', 'Ready containers out of all containers.', (o, now) => summarizePod(o, now).ready),
  column('Status', 'string', 'The pod phase, or the reason a container is waiting or terminated.', (o, now) => summarizePod(o, now).status),
  column('Restarts', 'string', 'Container restarts, and how long ago the last one was.', (o, now) => summarizePod(o, now).restarts),
  ageColumn,
  wide('IP', 'string', 'The pod IP address.', (o) => orNone(str(path(records(path(o, 'status', 'podIPs'))[0], 'ip')) || str(path(o, 'status', 'podIP')))),
  wide('Node', 'string', 'The node the pod is bound to.', (o) => orNone(str(path(o, 'spec', 'nodeName')))),
  wide('Nominated Node', 'string', 'The node the scheduler nominated after preempting pods.', (o) => orNone(str(path(o, 'status', 'nominatedNodeName')))),
  wide('Readiness Gates', 'string', 'Readiness gates that are true, out of all gates.', (o) => {
    const gates = records(path(o, 'spec', 'readinessGates'));
    if (gates.length === 0) return '<none>';
    const conditions = records(path(o, 'status', 'conditions'));
    const ok = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
    return `${ok}/${gates.length}`;
  }),
];

// ---------------------------------------------------------------- namespaces, configmaps, secrets, serviceaccounts

export const namespaceColumns: TableColumn[] = [
  column('Status', 'string', 'The namespace phase.', (o) => str(path(o, 'status', 'phase'))),
  ageColumn,
];

export const configMapColumns: TableColumn[] = [
  column('Data', 'integer', 'Number of data and binary data entries.', (o) => count(o.data) + count(o.binaryData)),
  ageColumn,
];

export const secretColumns: TableColumn[] = [
  column('Type', 'string', 'The secret type.', (o) => str(o.type)),
  column('Data', 'integer', 'Number of data entries.', (o) => count(o.data)),
  ageColumn,
];

export const serviceAccountColumns: TableColumn[] = [
  column('Secrets', 'integer', 'Number of secrets listed for this service account.', (o) => count(o.secrets)),
  ageColumn,
];

// ---------------------------------------------------------------- services and endpoints

function serviceExternalIP(o: KubeObject): string {
  const spec = rec(o.spec) ?? {};
  const external = Array.isArray(spec.externalIPs) ? spec.externalIPs.map(String) : [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
    case undefined:
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      // The server prints wide, so load-balancer addresses are never truncated.
      const lb = records(path(o, 'status', 'loadBalancer', 'ingress')).map((i) => str(i.ip) || str(i.hostname)).filter((s) => s !== '');
      const all = [...lb, ...external];
      return all.length ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

function servicePorts(o: KubeObject): string {
  const pieces = records(path(o, 'spec', 'ports')).map((p) =>
    num(p.nodePort) > 0 ? `${num(p.port)}:${num(p.nodePort)}/${str(p.protocol)}` : `${num(p.port)}/${str(p.protocol)}`);
  return orNone(pieces.join(','));
}

export const serviceColumns: TableColumn[] = [
  column('Type', 'string', 'How the service is exposed.', (o) => str(path(o, 'spec', 'type'))),
  column('Cluster-IP', 'string', 'The cluster IP address of the service.', (o) => {
    const ips = path(o, 'spec', 'clusterIPs');
    return orNone(Array.isArray(ips) && ips.length ? String(ips[0]) : str(path(o, 'spec', 'clusterIP')));
  }),
  column('External-IP', 'string', 'External or load-balancer addresses.', serviceExternalIP),
  column('Port(s)', 'string', 'Service ports, with node ports where allocated.', servicePorts),
  ageColumn,
  wide('Selector', 'string', 'Labels of the pods this service routes to.', (o) => formatLabels(rec(path(o, 'spec', 'selector')) as Record<string, string> | undefined)),
];


/** Up to three addresses (with ports), then "+ N more...", as upstream's formatEndpoints. */
function formatEndpoints(o: KubeObject): string {
  const subsets = records(o.subsets);
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let total = 0;
  let more = false;
  const push = (s: string) => { if (list.length === max) more = true; else list.push(s); };
  for (const ss of subsets) {
    const addresses = records(ss.addresses);
    const ports = records(ss.ports);
    if (ports.length === 0) {
      total += addresses.length;
      for (const a of addresses) push(str(a.ip));
      continue;
    }
    for (const p of ports) {
      total += addresses.length;
      for (const a of addresses) push(hostPort(str(a.ip), num(p.port)));
    }
  }
  const text = list.join(',');
  return more ? `${text} + ${total - max} more...` : text;
}

export const endpointsColumns: TableColumn[] = [
  column('Endpoints', 'string', 'Ready addresses with their ports.', formatEndpoints),
  ageColumn,
];

// ---------------------------------------------------------------- nodes

function nodeStatus(o: KubeObject): string {
  const ready = records(path(o, 'status', 'conditions')).find((c) => c.type === 'Ready');
  const parts = ready ? [ready.status === 'True' ? 'Ready' : 'NotReady'] : ['Unknown'];
  if (path(o, 'spec', 'unschedulable') === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(o: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(o.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role !== '') roles.add(role);
    } else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return orNone([...roles].sort().join(','));
}

const nodeAddress = (type: string) => (o: KubeObject): string =>
  orNone(str(records(path(o, 'status', 'addresses')).find((a) => a.type === type)?.address));
const nodeInfo = (key: string) => (o: KubeObject): string => str(path(o, 'status', 'nodeInfo', key)) || '<unknown>';

export const nodeColumns: TableColumn[] = [
  column('Status', 'string', 'Whether the node is ready, and whether scheduling is disabled.', nodeStatus),
  column('Roles', 'string', 'Roles from the node-role.kubernetes.io labels.', nodeRoles),
  ageColumn,
  column('Version', 'string', 'The kubelet version the node reports.', (o) => str(path(o, 'status', 'nodeInfo', 'kubeletVersion'))),
  wide('Internal-IP', 'string', 'The first InternalIP address.', nodeAddress('InternalIP')),
  wide('External-IP', 'string', 'The first ExternalIP address.', nodeAddress('ExternalIP')),
  wide('OS-Image', 'string', 'The operating system image.', nodeInfo('osImage')),
  wide('Kernel-Version', 'string', 'The kernel version.', nodeInfo('kernelVersion')),
  wide('Container-Runtime', 'string', 'The container runtime and its version.', nodeInfo('containerRuntimeVersion')),
];

// ---------------------------------------------------------------- events

function eventTimes(o: KubeObject, now: Date): { first: string; last: string; count: number } {
  const first = str(o.firstTimestamp) ? since(o.firstTimestamp, now) : since(o.eventTime, now);
  let last = str(o.lastTimestamp) ? since(o.lastTimestamp, now) : first;
  let n = num(o.count);
  const series = rec(o.series);
  if (series) {
    last = since(series.lastObservedTime, now);
    n = num(series.count);
  } else if (n === 0) {
    n = 1;
  }
  return { first, last, count: n };
}

function eventObject(o: KubeObject): string {
  const inv: Json = rec(o.involvedObject) ?? {};
  const kind = str(inv.kind).toLowerCase();
  return str(inv.name) ? `${kind}/${str(inv.name)}` : kind;
}

function eventSource(o: KubeObject): string {
  const src: Json = rec(o.source) ?? {};
  const component = str(src.component) || str(o.reportingComponent);
  const instance = str(src.host) || str(o.reportingInstance);
  return instance === '' ? component : `${component}, ${instance}`;
}

/** Events put Name last and hidden (upstream's order), so the table must not prepend its own. */
export const eventColumns: TableColumn[] = [
  column('Last Seen', 'string', 'Time since the event was last observed.', (o, now) => eventTimes(o, now).last),
  column('Type', 'string', 'Normal or Warning.', (o) => str(o.type)),
  column('Reason', 'string', 'Short machine-readable reason.', (o) => str(o.reason)),
  column('Object', 'string', 'The object the event is about.', eventObject),
  wide('Subobject', 'string', 'The field path inside the object, such as a container.', (o) => str(path(o, 'involvedObject', 'fieldPath'))),
  wide('Source', 'string', 'The component that reported the event.', eventSource),
  column('Message', 'string', 'Human-readable description.', (o) => str(o.message).trim()),
  wide('First Seen', 'string', 'Time since the event was first observed.', (o, now) => eventTimes(o, now).first),
  wide('Count', 'string', 'How many times the event occurred.', (o, now) => eventTimes(o, now).count),
  { ...wide('Name', 'string', 'The object name.', (o) => o.metadata?.name ?? ''), format: 'name' },
];
