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

/**
 * A parsed schedule for computing activation times (the controller's side of robfig/cron's ParseStandard):
 * the set of allowed values per field, and whether day-of-month / day-of-week was `*` (robfig's star bit: when
 * either is a star both must match, otherwise either may).
 */
export type CronSchedule =
  | { kind: 'fields'; minute: Set<number>; hour: Set<number>; dom: Set<number>; month: Set<number>; dow: Set<number>; domStar: boolean; dowStar: boolean }
  | { kind: 'every'; delayMs: number };

const DESCRIPTOR_FIELDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};

const GO_DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function expandField(expr: string, b: Bounds): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of expr.split(',')) {
    checkRange(part, b);
    const [rangePart, stepPart] = part.split('/');
    let start: number;
    let end: number;
    let partStar = false;
    if (rangePart === '*' || rangePart === '?') {
      start = b.min; end = b.max; partStar = true;
    } else {
      const bounds = rangePart!.split('-');
      start = parseValue(bounds[0]!, b);
      // "N/step" means N through the maximum.
      end = bounds.length === 2 ? parseValue(bounds[1]!, b) : stepPart !== undefined ? b.max : start;
    }
    const step = stepPart !== undefined ? parseValue(stepPart, { min: 0, max: 0 }) : 1;
    if (step > 1) partStar = false;
    if (partStar) star = true;
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return { values, star };
}

/** Parses a schedule for evaluation; throws with cronScheduleError's wording when it is invalid. */
export function parseCronSchedule(schedule: string): CronSchedule {
  const err = cronScheduleError(schedule);
  if (err) throw new Error(err);
  let spec = schedule.trim();
  if (spec.startsWith('@every ')) {
    let ms = 0;
    for (const m of spec.slice(7).trim().matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * GO_DURATION_UNITS[m[2]!]!;
    // robfig rounds the delay to whole seconds, at least one.
    return { kind: 'every', delayMs: Math.max(1000, Math.floor(ms / 1000) * 1000) };
  }
  spec = DESCRIPTOR_FIELDS[spec] ?? spec;
  const f = spec.split(/\s+/).map((x, i) => expandField(x, FIELDS[i]!));
  return { kind: 'fields', minute: f[0]!.values, hour: f[1]!.values, dom: f[2]!.values, month: f[3]!.values, dow: f[4]!.values, domStar: f[2]!.star, dowStar: f[4]!.star };
}
