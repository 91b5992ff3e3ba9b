/** Table columns of the apps/v1 kinds. */
import type { KubeObject, TableColumn } from '../../resource.js';
import { formatLabels } from '../../validation/selectors.js';
import { rec } from '../strategies/json.js';
import { ageColumn, column, num, path, templateColumns } from './columns.js';

const templateSpec = (o: KubeObject) => path(o, 'spec', 'template', 'spec');
const selector = (o: KubeObject) => path(o, 'spec', 'selector');
const status = (o: KubeObject, key: string) => num(path(o, 'status', key));
const specReplicas = (o: KubeObject) => num(path(o, 'spec', 'replicas'));

export const deploymentColumns: TableColumn[] = [
  column('Ready', 'string', 'Ready replicas out of desired replicas.', (o) => `${status(o, 'readyReplicas')}/${specReplicas(o)}`),
  column('Up-to-date', 'integer', 'Replicas running the current template.', (o) => status(o, 'updatedReplicas')),
  column('Available', 'integer', 'Replicas available to users.', (o) => status(o, 'availableReplicas')),
  ageColumn,
  ...templateColumns(templateSpec, selector),
];

export const replicaSetColumns: TableColumn[] = [
  column('Desired', 'integer', 'The desired number of replicas.', specReplicas),
  column('Current', 'integer', 'The number of replicas that exist.', (o) => status(o, 'replicas')),
  column('Ready', 'integer', 'The number of ready replicas.', (o) => status(o, 'readyReplicas')),
  ageColumn,
  ...templateColumns(templateSpec, selector),
];

export const statefulSetColumns: TableColumn[] = [
  column('Ready', 'string', 'Ready replicas out of desired replicas.', (o) => `${status(o, 'readyReplicas')}/${specReplicas(o)}`),
  ageColumn,
  ...templateColumns(templateSpec),
];

export const daemonSetColumns: TableColumn[] = [
  column('Desired', 'integer', 'Nodes that should run the daemon pod.', (o) => status(o, 'desiredNumberScheduled')),
  column('Current', 'integer', 'Nodes running at least one daemon pod.', (o) => status(o, 'currentNumberScheduled')),
  column('Ready', 'integer', 'Nodes with a ready daemon pod.', (o) => status(o, 'numberReady')),
  column('Up-to-date', 'integer', 'Nodes running the current template.', (o) => status(o, 'updatedNumberScheduled')),
  column('Available', 'integer', 'Nodes with an available daemon pod.', (o) => status(o, 'numberAvailable')),
  column('Node Selector', 'string', 'The template\'s node selector.', (o) =>
    formatLabels(rec(path(o, 'spec', 'template', 'spec', 'nodeSelector')) as Record<string, string> | undefined)),
  ageColumn,
  ...templateColumns(templateSpec, selector),
];

/** CONTROLLER is `<kind>.<group>/<name>` of the controller reference, as upstream's printControllerRevision. */
export const controllerRevisionColumns: TableColumn[] = [
  column('Controller', 'string', 'The controller of this revision.', (o) => {
    const ref = o.metadata?.ownerReferences?.find((r) => r.controller === true);
    if (!ref) return '<none>';
    const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
    return `${ref.kind.toLowerCase()}${group ? `.${group}` : ''}/${ref.name}`;
  }),
  column('Revision', 'integer', 'The revision number.', (o) => num((o as { revision?: unknown }).revision)),
  ageColumn,
];
