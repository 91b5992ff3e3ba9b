/**
 * API timestamps (metav1.Time): RFC 3339 at whole seconds in UTC, as `2026-12-03T09:30:00Z`. Every component
 * stamps conditions, managedFields and events with the same few seconds, so the last second's text is kept.
 */
let lastSecond = NaN;
let lastText = '';

export function rfc3339(at: number | Date): string {
  const second = Math.floor((typeof at === 'number' ? at : at.getTime()) / 1000);
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = second;
  }
  return lastText;
}

/** Parses an API timestamp to ms, or null. */
export function parseTime(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t;
}
