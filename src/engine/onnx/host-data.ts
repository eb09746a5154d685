// Host-side helpers for constants: typed scalars/arrays per dtype and float16 encoding.
import type { DType } from '../ops.js';
import type { ConstData } from './graph.js';
import { halfToFloat } from '../../io/host-tensor.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half bits of a number (round to nearest even), as PyTorch's .half() does. */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** bfloat16 bits of a number (round to nearest even). */
export function floatToBfloat16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Host data of `dtype` holding `values` (numbers; bigints for int64 are accepted too). */
export function typedData(values: ArrayLike<number>, dtype: DType): ConstData {
  const n = values.length;
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int32': return Int32Array.from(values, (v) => Math.trunc(v));
    case 'int64': return BigInt64Array.from({ length: n }, (_, i) => BigInt(Math.trunc(values[i]!)));
    case 'uint8': return Uint8Array.from(values, (v) => v & 0xff);
    case 'bool': return Uint8Array.from(values, (v) => (v ? 1 : 0));
    case 'float16': return Uint16Array.from(values, floatToHalf);
    case 'bfloat16': return Uint16Array.from(values, floatToBfloat16);
  }
}

/** The dtype a host array naturally holds. */
export function naturalDType(data: ConstData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint16Array) return 'float16';
  return 'uint8';
}

/** float32 → IEEE half bits in one tight loop (whole checkpoints go through here). */
export function float32ToHalfArray(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    const e = exp - 112; // rebias 127 → 15
    if (e > 0 && e < 31) {
      // normal: round to nearest even on the 13 dropped bits (a carry may roll into the exponent)
      let h = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
      out[i] = sign | h;
    } else out[i] = floatToHalf(src[i]!);
  }
  return out;
}

/** Converts host data to another dtype (through float64 numbers; fine for constants). */
export function convertData(data: ConstData, from: DType, to: DType): ConstData {
  if (from === to) return data;
  if (from === 'float32' && to === 'float16') return float32ToHalfArray(data as Float32Array);
  const n = data.length;
  const nums = new Float64Array(n);
  if (data instanceof BigInt64Array) for (let i = 0; i < n; i++) nums[i] = Number(data[i]);
  else if (from === 'float16' || from === 'bfloat16') {
    const src = data as Uint16Array;
    const tmp = new Float32Array(1);
    const bits = new Uint32Array(tmp.buffer);
    for (let i = 0; i < n; i++) {
      if (from === 'bfloat16') {
        bits[0] = src[i]! << 16;
        nums[i] = tmp[0]!;
      } else nums[i] = halfToFloat(src[i]!);
    }
  } else for (let i = 0; i < n; i++) nums[i] = Number(data[i]);
  return typedData(nums, to);
}

export { halfToFloat };
