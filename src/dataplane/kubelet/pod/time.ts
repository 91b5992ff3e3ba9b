/** API timestamps (metav1.Time): RFC 3339 at whole seconds in UTC, as `2026-12-03T09:30:00Z`. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Parses an API timestamp to ms, or null. */
export function parseTime(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t;
}
