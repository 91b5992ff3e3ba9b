/**
 * Table columns of a custom resource version from its additionalPrinterColumns, as upstream's tableconvertor:
 * the first JSONPath result of each column; `string` columns print it as jsonpath does, integer/number/boolean
 * columns keep the JSON value when it has that type, `date` columns print the age of a timestamp; nothing found
 * is an empty cell (kubectl shows `<none>`). A version without columns prints Age, as upstream defaults it.
 */
import type { TableColumn } from '../resource.js';
import { humanDuration } from '../kinds/printers/duration.js';
import type { PrinterColumn } from './definition.js';
import { findResults, parseJSONPath, printValue } from './jsonpath.js';

type Cell = string | number | boolean | null;

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

function cellFor(type: string, value: unknown, now: Date): Cell {
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      const t = Date.parse(value);
      return Number.isNaN(t) ? '<invalid>' : humanDuration(now.getTime() - t);
    }
    default:
      return printValue(value);
  }
}

export function printerColumns(columns: PrinterColumn[] | undefined): TableColumn[] {
  const list = columns?.length ? columns : [AGE];
  return list.map((c) => {
    let steps: ReturnType<typeof parseJSONPath> | null;
    try {
      steps = parseJSONPath(c.jsonPath);
    } catch {
      steps = null;
    }
    const col: TableColumn = {
      name: c.name,
      type: (['integer', 'number', 'boolean', 'date', 'string'].includes(c.type) ? c.type : 'string') as TableColumn['type'],
      description: c.description ?? (c.name === 'Age' && c === AGE ? 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp' : `Custom resource definition column (in JSONPath format): ${c.jsonPath}`),
      priority: c.priority ?? 0,
      value: (obj, now) => {
        if (!steps) return null;
        const found = findResults(obj, steps);
        if (found.length === 0) return null;
        return cellFor(c.type, found[0], now);
      },
    };
    if (c.format) col.format = c.format;
    return col;
  });
}
