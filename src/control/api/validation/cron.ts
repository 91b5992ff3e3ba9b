/**
 * CronJob schedules: the standard 5-field format and the @-descriptors, checked the way the cron parser upstream
 * uses (robfig/cron) checks them, with errors worded like its own.
 */

interface Bounds { min: number; max: number; names?: Record<string, number> }

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: Bounds[] = [
  { min: 0, max: 59 }, { min: 0, max: 23 }, { min: 1, max: 31 }, { min: 1, max: 12, names: MONTHS }, { min: 0, max: 6, names: DAYS },
];
const DESCRIPTORS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

function parseValue(s: string, b: Bounds): number {
  const named = b.names?.[s.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(s)) throw new Error(`failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  return parseInt(s, 10);
}

function checkRange(expr: string, b: Bounds): void {
  const [rangePart, stepPart, ...rest] = expr.split('/');
  if (rest.length > 0) throw new Error(`too many slashes: ${expr}`);
  let start: number;
  let end: number;
  if (rangePart === '*' || rangePart === '?') {
    start = b.min; end = b.max;
  } else {
    const bounds = rangePart!.split('-');
    if (bounds.length > 2) throw new Error(`too many hyphens: ${expr}`);
    start = parseValue(bounds[0]!, b);
    end = bounds.length === 2 ? parseValue(bounds[1]!, b) : start;
  }
  if (stepPart !== undefined) {
    const step = parseValue(stepPart, { min: 0, max: 0 });
    if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
  }
  if (start < b.min) throw new Error(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new Error(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
}

/** The parse error for a schedule, or null when it is valid. */
export function cronScheduleError(schedule: string): string | null {
  const spec = schedule.trim();
  if (spec === '') return 'empty spec string';
  if (spec.startsWith('@')) {
    if (DESCRIPTORS.includes(spec)) return null;
    if (spec.startsWith('@every ')) {
      return /^@every\s+(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(spec) ? null : `failed to parse duration ${spec}`;
    }
    return `unrecognized descriptor: ${spec}`;
  }
  const fields = spec.split(/\s+/);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: ${spec}`;
  try {
    fields.forEach((f, i) => f.split(',').forEach((part) => checkRange(part, FIELDS[i]!)));
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}
