/** The last second rfc3339 formatted: a pod's status stamps its conditions and containers with the same few. */
let lastSecond = NaN;
let lastText = '';

/** API timestamps (metav1.Time): RFC 3339 at whole seconds in UTC, as `2026-12-03T09:30:00Z`. */
export function rfc3339(ms: number): string {
  const second = Math.floor(ms / 1000);
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
