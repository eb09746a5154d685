// Shared by the engine-torch tests: the same exact-fraction inputs make-expected.py uses, and
// closeness checks with useful failure messages.
import assert from 'node:assert/strict';
import { fromData, type TorchTensor } from '../../src/engine/torch/index.js';
import type { DType } from '../../src/engine/ops.js';

export function genValues(n: number, k = 0, scale = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ((((i * 37 + k * 11) % 23) - 11) / 8) * scale;
  return out;
}

export function gen(shape: readonly number[], k = 0, scale = 1, dtype: DType = 'float32'): TorchTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = genValues(n, k, scale);
  return dtype === 'float64' ? fromData(v, shape) : fromData(Float32Array.from(v), shape, dtype);
}

export function int64(values: readonly number[], shape?: readonly number[]): TorchTensor {
  return fromData(BigInt64Array.from(values, (v) => BigInt(v)), shape ?? [values.length]);
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-5, rtol = 1e-5, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      assert.fail(`${what}: element ${i} is ${a}, expected ${e} (atol ${atol}, rtol ${rtol})`);
    }
  }
}
