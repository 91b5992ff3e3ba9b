import type { TableColumn } from '../../resource.js';
export const deploymentColumns: TableColumn[] = [];
export const replicaSetColumns: TableColumn[] = [];
export const statefulSetColumns: TableColumn[] = [];
export const daemonSetColumns: TableColumn[] = [];
