import type { TableColumn } from '../../resource.js';
export const endpointSliceColumns: TableColumn[] = [];
export const leaseColumns: TableColumn[] = [];
export const hpaColumns: TableColumn[] = [];
