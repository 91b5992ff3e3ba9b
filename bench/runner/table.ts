/** Plain-text tables for benchmark output, plus the number formats every suite uses. */

export type Cell = string | number | null | undefined;

/** Prints a boxed-free aligned table to stdout: numbers right-aligned, text left-aligned. */
export function printTable(title: string, header: string[], rows: Cell[][]): void {
  process.stdout.write(formatTable(title, header, rows) + '\n');
}

export function formatTable(title: string, header: string[], rows: Cell[][]): string {
  const text = rows.map((r) => header.map((_, i) => cellText(r[i])));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const numeric = header.map((_, i) => rows.every((r) => r[i] === null || r[i] === undefined || typeof r[i] === 'number' || /^[-+]?[\d.,]+\s*\S*$/.test(String(r[i]))));
  const line = (cells: string[]) =>
    cells.map((c, i) => (numeric[i] && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [`\n${title}`, line(header), rule, ...text.map(line)].join('\n');
}

function cellText(c: Cell): string {
  if (c === null || c === undefined) return '-';
  if (typeof c === 'number') return fmtNum(c);
  return c;
}

/** 3 significant digits, thousands separated: 12,345 / 123 / 1.23 / 0.0123. */
export function fmtNum(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1000) return Math.round(n).toLocaleString('en-US');
  if (abs === 0) return '0';
  return Number(n.toPrecision(3)).toString();
}

export function fmtMs(ms: number): string {
  return ms >= 1000 ? `${fmtNum(ms / 1000)} s` : ms >= 1 ? `${fmtNum(ms)} ms` : `${fmtNum(ms * 1000)} µs`;
}

export function fmtOps(opsPerSec: number): string {
  return `${fmtNum(opsPerSec)}/s`;
}

export function fmtMiB(bytes: number): string {
  return `${fmtNum(bytes / 1024 / 1024)} MiB`;
}

/** "2.5x" — how many times `a` is `b`; '-' when either is missing. */
export function fmtRatio(a: number | null | undefined, b: number | null | undefined): string {
  if (!a || !b) return '-';
  return `${fmtNum(a / b)}x`;
}
