/**
 * Server-side printing: a meta.k8s.io/v1 Table for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
 * Every column is always filled (the server prints "wide"); kubectl hides priority-1 columns unless `-o wide`.
 */
import { storageOf, type KubeObject, type ResourceType, type TableColumn } from './resource.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface TableOptions {
  /** What each row carries in `object`: nothing, a PartialObjectMetadata (kubectl's default ask), or the object. */
  includeObject: IncludeObject;
  now: Date;
  listMeta?: TableListMeta | Record<string, unknown>;
  /** Leave out columnDefinitions (for watch events after the first). */
  noHeaders?: boolean;
}

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean | null;

export interface TableRow {
  cells: Cell[];
  object?: KubeObject;
}

const nameColumn: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace; it identifies the object in URLs and cannot be changed.',
  priority: 0,
  value: (obj) => obj.metadata?.name ?? '',
};

/**
 * The kind's columns with Name first, unless the kind places its own name column (as Events do). Every version
 * of a kind prints as its storage version (upstream's printers read the internal object).
 */
export function tableColumns(r: ResourceType): TableColumn[] {
  // A custom resource's versions each have their own additionalPrinterColumns, read from the served object.
  const columns = r.custom ? r.columns : storageOf(r).columns;
  return columns.some((c) => c.format === 'name') ? columns : [nameColumn, ...columns];
}

export function columnDefinitions(r: ResourceType): TableColumnDefinition[] {
  return tableColumns(r).map((c) => ({
    name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority,
  }));
}

function rowObject(obj: KubeObject, include: IncludeObject): KubeObject | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

/** A printer must never take the request down: a cell that throws on odd data prints as `<unknown>`. */
function cell(c: TableColumn, obj: KubeObject, now: Date): Cell {
  try {
    return c.value(obj, now);
  } catch {
    return '<unknown>';
  }
}

export function toTable(r: ResourceType, objs: KubeObject[], opts: TableOptions): KubeObject {
  const cols = tableColumns(r);
  const printed = r.custom ? undefined : r.conversion?.toStorage;
  const rows: TableRow[] = objs.map((obj) => {
    const source = printed ? printed(obj) : obj;
    const row: TableRow = { cells: cols.map((c) => cell(c, source, opts.now)) };
    const object = rowObject(obj, opts.includeObject);
    if (object) row.object = object;
    return row;
  });
  const metadata: Record<string, unknown> = {};
  const lm = (opts.listMeta ?? {}) as Record<string, unknown>;
  for (const k of ['resourceVersion', 'continue', 'remainingItemCount']) {
    if (lm[k] !== undefined && lm[k] !== '') metadata[k] = lm[k];
  }
  if (!opts.listMeta && objs.length === 1 && objs[0]!.metadata?.resourceVersion) {
    metadata.resourceVersion = objs[0]!.metadata.resourceVersion;
  }
  const table: KubeObject = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata };
  if (!opts.noHeaders) table.columnDefinitions = columnDefinitions(r);
  table.rows = rows;
  return table;
}
