/**
 * Activation times of a CronJob schedule in an IANA time zone, with robfig/cron's semantics (what upstream
 * uses): `next(t)` is the first activation strictly after t at whole minutes; a wall time skipped by a DST jump
 * does not fire that day, and one repeated by a DST fall-back fires twice (once per offset). Time zones come
 * from Intl, so no tz database ships with Skiff.
 */
import { parseCronSchedule, type CronSchedule } from '../../api/validation/cron.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Longer than any DST shift: how far around a transition we look for repeated wall times. */
const SHIFT_WINDOW = 3 * HOUR;
/** robfig gives up after five years without a match (e.g. "0 0 30 2 *"). */
const SEARCH_YEARS = 5;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** Throws RangeError for a zone Intl does not know. */
export function checkTimeZone(tz: string): void {
  formatter(tz);
}

const isUTC = (tz: string): boolean => tz === 'UTC' || tz === 'Etc/UTC' || tz === '';

/** The zone's offset from UTC at instant `t`, in ms (whole seconds). */
export function offsetAt(t: number, tz: string): number {
  if (isUTC(tz)) return 0;
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wall - Math.floor(t / 1000) * 1000;
}

/** The instants (0, 1 or 2, ascending) whose wall-clock time in `tz` is `wall` (wall fields encoded as UTC ms). */
export function instantsOf(wall: number, tz: string): number[] {
  if (isUTC(tz)) return [wall];
  // Sample the offsets in force around where the instant must lie (the wall time less roughly its offset).
  const near = wall - offsetAt(wall - offsetAt(wall, tz), tz);
  const offsets = new Set([offsetAt(near - SHIFT_WINDOW, tz), offsetAt(near, tz), offsetAt(near + SHIFT_WINDOW, tz)]);
  const out: number[] = [];
  for (const o of offsets) {
    const i = wall - o;
    if (offsetAt(i, tz) === o && !out.includes(i)) out.push(i);
  }
  return out.sort((a, b) => a - b);
}

function dayMatches(s: Extract<CronSchedule, { kind: 'fields' }>, d: Date): boolean {
  const dom = s.dom.has(d.getUTCDate());
  const dow = s.dow.has(d.getUTCDay());
  return s.domStar || s.dowStar ? dom && dow : dom || dow;
}

/** The first wall minute ≥ `wall` matching the fields, or null within the search horizon. */
function nextMatchingWall(s: Extract<CronSchedule, { kind: 'fields' }>, wall: number): number | null {
  const d = new Date(Math.ceil(wall / MINUTE) * MINUTE);
  const limit = d.getUTCFullYear() + SEARCH_YEARS;
  while (d.getUTCFullYear() <= limit) {
    if (!s.month.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(s, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
    } else if (!s.hour.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
    } else if (!s.minute.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
    } else {
      return d.getTime();
    }
  }
  return null;
}

export class Schedule {
  constructor(
    readonly parsed: CronSchedule,
    readonly timeZone: string,
  ) {}

  /** Parses `schedule` (optionally prefixed `TZ=zone ` or `CRON_TZ=zone `, which wins over `timeZone`). */
  static parse(schedule: string, timeZone = 'UTC'): Schedule {
    let spec = schedule.trim();
    let tz = timeZone;
    const m = /^(?:CRON_)?TZ=(\S+)\s+(.*)$/.exec(spec);
    if (m) {
      tz = m[1]!;
      spec = m[2]!;
    }
    try {
      checkTimeZone(tz);
    } catch {
      throw new Error(`provided bad location ${tz}: unknown time zone ${tz}`);
    }
    return new Schedule(parseCronSchedule(spec), tz);
  }

  /** The first activation strictly after `t` (ms), or null when none comes within five years. */
  next(t: number): number | null {
    const s = this.parsed;
    if (s.kind === 'every') return Math.floor(t / 1000) * 1000 + s.delayMs;
    const tz = this.timeZone;
    const start = Math.floor(t / MINUTE) * MINUTE + MINUTE;
    let wall = start + offsetAt(start, tz);
    // Near a fall-back, wall times before `wall` happen (again) after `start`.
    if (offsetAt(start - SHIFT_WINDOW, tz) > offsetAt(start + SHIFT_WINDOW, tz)) wall -= SHIFT_WINDOW;
    let best: number | null = null;
    let scanUntil = Infinity;
    for (let w = nextMatchingWall(s, wall); w !== null && w <= scanUntil; w = nextMatchingWall(s, w + MINUTE)) {
      for (const i of instantsOf(w, tz)) {
        if (i < start || (best !== null && i >= best)) continue;
        best = i;
        // A fall-back within reach may bring an earlier instant at a later wall time.
        scanUntil = offsetAt(i + SHIFT_WINDOW, tz) < offsetAt(i, tz) ? w + SHIFT_WINDOW : w;
      }
      if (best === null && w - wall > (SEARCH_YEARS + 1) * 366 * DAY) return null;
    }
    return best;
  }
}

/** RFC 3339 in the zone, as Go's time.Format(time.RFC3339) writes it ("Z" for a zero offset). */
export function formatInZone(t: number, tz: string): string {
  const off = offsetAt(t, tz);
  const wall = new Date(Math.floor(t / 1000) * 1000 + off).toISOString().replace(/\.\d{3}Z$/, '');
  if (off === 0) return `${wall}Z`;
  const a = Math.abs(off) / MINUTE;
  const hh = String(Math.floor(a / 60)).padStart(2, '0');
  const mm = String(a % 60).padStart(2, '0');
  return `${wall}${off < 0 ? '-' : '+'}${hh}:${mm}`;
}
