/**
 * Kubernetes resource quantities ("100m", "1.5Gi", "2e3") as exact integers, the way the scheduler reads them:
 * CPU as MilliValue() and everything else as Value(), both rounded up as upstream's Quantity does.
 * BigInt keeps "0.1" * 1000 exact; parsing happens once per pod or node, never per scheduling cycle.
 */

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n,
};
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

// Pods of one workload repeat the same few quantity strings; remember them (bounded).
const memo = new Map<string, number | null>();

/** Returns value × 10^scale rounded up (scale 3 gives milli units), or null when `text` is not a quantity. */
export function parseQuantityScaled(text: unknown, scale: number): number | null {
  if (typeof text === 'string') {
    const k = `${scale}|${text}`;
    const hit = memo.get(k);
    if (hit !== undefined) return hit;
    const v = parseUncached(text, scale);
    if (memo.size > 4096) memo.clear();
    memo.set(k, v);
    return v;
  }
  return parseUncached(text, scale);
}

function parseUncached(text: unknown, scale: number): number | null {
  if (typeof text === 'number') text = String(text);
  if (typeof text !== 'string') return null;
  const m = QUANTITY.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) return null;
  const sign = m[1] === '-' ? -1n : 1n;
  const frac = m[3] ?? '';
  let mantissa = BigInt((m[2] || '0') + frac) * sign;
  let exp10 = -frac.length + scale;
  let mult = 1n;
  if (m[4]) exp10 += Number(m[4].slice(1));
  else if (m[5] && BINARY[m[5]] !== undefined) mult = BINARY[m[5]]!;
  else if (m[5] !== undefined) exp10 += DECIMAL[m[5]]!;
  mantissa *= mult;
  if (exp10 >= 0) return Number(mantissa * 10n ** BigInt(exp10));
  const div = 10n ** BigInt(-exp10);
  let q = mantissa / div;
  if (mantissa % div !== 0n && mantissa > 0n) q += 1n; // round towards +inf as Quantity.Value()
  return Number(q);
}

/** CPU in millicores; other resources in base units (bytes, count). */
export function resourceValue(resource: string, q: unknown): number | null {
  return parseQuantityScaled(q, resource === 'cpu' ? 3 : 0);
}
