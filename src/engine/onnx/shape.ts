// Static shape inference helpers (PyTorch conventions: negative dims count from the end).
import type { DType } from '../ops.js';

export { numel as numelOf, isFloat } from '../dtype.js';

export function normDim(dim: number, rank: number, what = 'dim'): number {
  const d = dim < 0 ? dim + rank : dim;
  if (!Number.isInteger(d) || d < 0 || d >= rank) throw new Error(`${what} ${dim} is out of range for a tensor of rank ${rank}`);
  return d;
}

/** numpy / torch broadcasting of two shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new Error(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const RANK: Record<DType, number> = { bool: 0, uint8: 1, int32: 2, int64: 3, bfloat16: 4, float16: 5, float32: 6, float64: 7 };

/** torch.result_type for two tensors (simplified: a float beats any integer, wider beats narrower). */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if ((a === 'float16' && b === 'bfloat16') || (a === 'bfloat16' && b === 'float16')) return 'float32';
  return RANK[a] >= RANK[b] ? a : b;
}

/** Output length of a conv/pool window along one axis (floor mode). */
export function windowOut(size: number, kernel: number, stride: number, pad: number, dilation = 1): number {
  const out = Math.floor((size + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1;
  if (out < 1) throw new Error(`window of ${kernel} (dilation ${dilation}, padding ${pad}) does not fit an input of ${size}`);
  return out;
}
