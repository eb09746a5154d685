// Element counts and dtype facts, written once for io/, the engines and the model.
import type { DType } from './ops.js';

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

const BYTES: Record<DType, number> = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, uint8: 1, bool: 1,
};

/** Bytes per element (bool and uint8: 1; float16/bfloat16: 2). */
export function dtypeSize(dtype: DType): number {
  return BYTES[dtype] ?? 1;
}

export function isFloat(d: string): boolean {
  return d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float64';
}
