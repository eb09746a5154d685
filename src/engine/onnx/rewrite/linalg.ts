// Host products of weight matrices for folded layers: float64 accumulation, one float32 rounding.

/** a [p,q] · b [q,r] (row-major) in float64. */
export function matmul64(a: ArrayLike<number>, b: ArrayLike<number>, p: number, q: number, r: number): Float64Array {
  const out = new Float64Array(p * r);
  for (let i = 0; i < p; i++) {
    for (let k = 0; k < q; k++) {
      const v = a[i * q + k]!;
      if (v === 0) continue;
      const row = k * r;
      const o = i * r;
      for (let j = 0; j < r; j++) out[o + j]! += v * b[row + j]!;
    }
  }
  return out;
}

/** Columns [from, from+n) of a [p,q] matrix. */
export function columns(a: ArrayLike<number>, p: number, q: number, from: number, n: number): Float64Array {
  const out = new Float64Array(p * n);
  for (let i = 0; i < p; i++) for (let j = 0; j < n; j++) out[i * n + j] = a[i * q + from + j]!;
  return out;
}

/** a [p,q] · v [q]. */
export function matvec64(a: ArrayLike<number>, v: ArrayLike<number>, p: number, q: number): Float64Array {
  return matmul64(a, v, p, q, 1);
}
