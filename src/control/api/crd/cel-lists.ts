/**
 * Kubernetes' CEL list library (k8s.io/apiserver/pkg/cel/library/lists): isSorted, sum, min, max, indexOf and
 * lastIndexOf on lists of comparable values (ints, doubles, strings), as CRD rules use them.
 */
import { celError, celMethod, listType, CelScalar, type CelFunc, type CelList, type CelValue } from '@bufbuild/cel';

const LIST = listType(CelScalar.DYN);

type Comparable = bigint | number | string;
const comparable = (v: CelValue): v is Comparable => typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string';

function less(a: Comparable, b: Comparable): boolean {
  if (typeof a === 'string' || typeof b === 'string') return String(a) < String(b);
  return a < b;
}

function items(list: CelList): Comparable[] | Error {
  const out: Comparable[] = [];
  for (const v of list) {
    if (!comparable(v)) return new Error('list elements are not comparable');
    out.push(v);
  }
  return out;
}

const same = (a: CelValue, b: CelValue): boolean => (typeof a === 'bigint' || typeof b === 'bigint' ? Number(a) === Number(b) : a === b);

function extreme(name: string, pick: (a: Comparable, b: Comparable) => boolean): CelFunc {
  return celMethod(name, LIST, [], CelScalar.DYN, function (this: CelList) {
    const xs = items(this);
    if (xs instanceof Error) return celError(xs.message) as never;
    if (xs.length === 0) return celError(`${name} called on empty list`) as never;
    return xs.reduce((m, x) => (pick(x, m) ? x : m));
  });
}

export const kubernetesLists: CelFunc[] = [
  celMethod('isSorted', LIST, [], CelScalar.BOOL, function (this: CelList) {
    const xs = items(this);
    if (xs instanceof Error) return celError(xs.message) as never;
    return xs.every((x, i) => i === 0 || !less(x, xs[i - 1]!));
  }),
  celMethod('sum', LIST, [], CelScalar.DYN, function (this: CelList) {
    let int = 0n;
    let dbl = 0;
    let doubles = false;
    for (const v of this) {
      if (typeof v === 'bigint') int += v;
      else if (typeof v === 'number') {
        dbl += v;
        doubles = true;
      } else return celError('sum requires a list of numbers') as never;
    }
    return doubles ? dbl + Number(int) : int;
  }),
  extreme('min', less),
  extreme('max', (a, b) => less(b, a)),
  celMethod('indexOf', LIST, [CelScalar.DYN], CelScalar.INT, function (this: CelList, x: CelValue) {
    let i = 0;
    for (const v of this) {
      if (same(v, x)) return BigInt(i);
      i++;
    }
    return -1n;
  }),
  celMethod('lastIndexOf', LIST, [CelScalar.DYN], CelScalar.INT, function (this: CelList, x: CelValue) {
    let found = -1;
    let i = 0;
    for (const v of this) {
      if (same(v, x)) found = i;
      i++;
    }
    return BigInt(found);
  }),
];

