/** Defensive reading of Kubernetes objects as plain JSON: a malformed field reads as empty, never throws. */

/** The array at `x` without null/undefined entries, or [] when `x` is not an array. */
export function list<T>(x: unknown): T[] {
  return Array.isArray(x) ? (x.filter((e) => e !== null && e !== undefined) as T[]) : [];
}
