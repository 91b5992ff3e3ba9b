/**
 * Resource quantities ("500m", "1.5Gi", "2e3") as plain numbers, the way the kubelet's admission and QoS read
 * them: CPU as MilliValue(), everything else as Value(), both rounded up as resource.Quantity does. The dataplane
 * depends on the client layer only, so this is its own small parser rather than the scheduler's.
 */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

// Pods of one workload repeat the same few strings; remember them (bounded).
const memo = new Map<string, number | null>();

/** value × 10^scale rounded up (scale 3 → milli units), or null when `text` is not a quantity. */
export function quantityScaled(text: unknown, scale: number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) ? Math.ceil(text * 10 ** scale) : null;
  if (typeof text !== 'string') return null;
  const key = scale + '|' + text;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const v = parse(text.trim(), scale);
  if (memo.size > 4096) memo.clear();
  memo.set(key, v);
  return v;
}

function parse(text: string, scale: number): number | null {
  const m = QUANTITY.exec(text);
  if (!m || (m[2] === '' && !m[3])) return null;
  const digits = (m[2] || '0') + (m[3] ?? '');
  let exp10 = scale - (m[3]?.length ?? 0);
  let mult = 1n;
  if (m[4] !== undefined) exp10 += Number(m[4]);
  else if (m[5] !== undefined && BINARY[m[5]] !== undefined) mult = BigInt(BINARY[m[5]]!);
  else if (m[5] !== undefined) exp10 += DECIMAL[m[5]]!;
  let mantissa = BigInt(digits) * mult;
  if (m[1] === '-') mantissa = -mantissa;
  if (exp10 >= 0) return Number(mantissa * 10n ** BigInt(exp10));
  const div = 10n ** BigInt(-exp10);
  let q = mantissa / div;
  if (mantissa % div !== 0n && mantissa > 0n) q += 1n; // round towards +inf, as Quantity.Value()
  return Number(q);
}

/** CPU in millicores; other resources in base units (bytes, count). Unparseable → 0. */
export function resourceAmount(resource: string, q: unknown): number {
  return quantityScaled(q, resource === 'cpu' ? 3 : 0) ?? 0;
}
