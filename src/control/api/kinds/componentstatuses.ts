/**
 * core/v1 componentstatuses (`cs`): upstream's deprecated read-only health of the control plane (scheduler,
 * controller-manager, etcd-0), get and list only, never stored. Each object carries one condition of type Healthy;
 * the server computes them on request (componentstatus-source.ts). Every response warns as upstream's does.
 */
import type { KubeObject, ResourceType, TableColumn } from '../resource.js';
import { column } from './printers/columns.js';

interface Condition {
  type?: string;
  status?: string;
  message?: string;
  error?: string;
}

const healthy = (o: KubeObject): Condition | undefined =>
  (Array.isArray(o['conditions']) ? (o['conditions'] as Condition[]) : []).find((c) => c?.type === 'Healthy');

/** As upstream's printComponentStatus: Unknown without a Healthy condition, else its status, message and error. */
export const componentStatusColumns: TableColumn[] = [
  column('Status', 'string', 'Status of the component conditions', (o) => {
    const c = healthy(o);
    return c === undefined ? 'Unknown' : c.status === 'True' ? 'Healthy' : 'Unhealthy';
  }),
  column('Message', 'string', 'Message of the component conditions', (o) => healthy(o)?.message ?? ''),
  column('Error', 'string', 'Error of the component conditions', (o) => healthy(o)?.error ?? ''),
];

export const componentstatuses: ResourceType = {
  group: '', version: 'v1', kind: 'ComponentStatus', listKind: 'ComponentStatusList', plural: 'componentstatuses',
  singular: 'componentstatus', shortNames: ['cs'], categories: [], namespaced: false, verbs: ['get', 'list'], subresources: [],
  strategy: {}, columns: componentStatusColumns, definition: 'io.k8s.api.core.v1.ComponentStatus', computed: true,
  deprecationWarning: 'v1 ComponentStatus is deprecated in v1.19+',
};
