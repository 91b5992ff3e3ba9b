import type { TableColumn } from '../../resource.js';
export const jobColumns: TableColumn[] = [];
export const cronJobColumns: TableColumn[] = [];
