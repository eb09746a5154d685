// A tensor in host memory: the currency between checkpoint I/O, the model and the engines.
// float16/bfloat16 data stays as raw 16-bit words (Uint16Array); convert with toFloat32().
import type { DType } from '../engine/ops.js';
import { dtypeSize, numel } from '../engine/dtype.js';

export type HostData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

export interface HostTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** C-order (contiguous) elements. May be a view onto a larger buffer (e.g. a mapped file). */
  readonly data: HostData;
}

/** An ordered state dict, keys exactly as PyTorch's `model.state_dict()`. */
export type StateDict = Map<string, HostTensor>;

export { numel, dtypeSize } from '../engine/dtype.js';

export function hostTensor(dtype: DType, shape: readonly number[], data: HostData): HostTensor {
  if (data.length !== numel(shape)) {
    throw new Error(`tensor data has ${data.length} elements, shape [${shape.join(', ')}] needs ${numel(shape)}`);
  }
  return { dtype, shape: [...shape], data };
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** The tensor's values as float32 (copies unless already float32). */
export function toFloat32(t: HostTensor): Float32Array {
  const d = t.data;
  if (t.dtype === 'float32') return d as Float32Array;
  const out = new Float32Array(d.length);
  if (t.dtype === 'float16') {
    const u = d as Uint16Array;
    for (let i = 0; i < u.length; i++) out[i] = halfToFloat(u[i]!);
  } else if (t.dtype === 'bfloat16') {
    const u = d as Uint16Array;
    const view = new Uint32Array(out.buffer);
    for (let i = 0; i < u.length; i++) view[i] = u[i]! << 16;
  } else if (d instanceof BigInt64Array) {
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  } else {
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  }
  return out;
}

/** True for a HostTensor-shaped value (dtype + shape + typed-array data), e.g. in a loaded checkpoint. */
export function isHostTensor(v: unknown): v is HostTensor {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Partial<HostTensor>;
  return typeof t.dtype === 'string' && Array.isArray(t.shape) && ArrayBuffer.isView(t.data);
}

/** An empty (zeroed) typed array of the right kind for `dtype`. */
export function allocHostData(dtype: DType, n: number): HostData {
  return hostDataView(dtype, new ArrayBuffer(n * dtypeSize(dtype)), 0, n);
}

/** A typed-array view of `n` elements of `dtype` at `byteOffset` (which must be aligned to the element size). */
export function hostDataView(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, n: number): HostData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, n);
    case 'float64':
      return new Float64Array(buffer, byteOffset, n);
    case 'int64':
      return new BigInt64Array(buffer, byteOffset, n);
    case 'int32':
      return new Int32Array(buffer, byteOffset, n);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer, byteOffset, n);
    default:
      return new Uint8Array(buffer, byteOffset, n);
  }
}

/** The bytes of a tensor's data (a view, no copy). */
export function hostBytes(t: HostTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}
