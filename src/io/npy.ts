// NumPy `.npy` arrays (format 1.0 written; 1.0-3.0 read), little-endian, C order only.
// numpy has no bfloat16: bfloat16 tensors are written as their raw bits with descr '<u2', and
// '<u2' arrays read back as bfloat16 (this project has no other use for uint16).
import type { DType } from '../engine/ops.js';
import { UserError } from '../errors.js';
import { dtypeSize, hostBytes, hostDataView, hostTensor, numel, type HostTensor } from './host-tensor.js';

const DESCR_DTYPE: Record<string, DType> = {
  f4: 'float32',
  f8: 'float64',
  f2: 'float16',
  i8: 'int64',
  i4: 'int32',
  u1: 'uint8',
  b1: 'bool',
  u2: 'bfloat16',
};
const DTYPE_DESCR: Record<DType, string> = {
  float32: '<f4',
  float64: '<f8',
  float16: '<f2',
  int64: '<i8',
  int32: '<i4',
  uint8: '|u1',
  bool: '|b1',
  bfloat16: '<u2',
};
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parse a `.npy` file. The data is a view onto `bytes` when aligned (no copy). */
export function readNpy(bytes: Uint8Array, name = 'array.npy'): HostTensor {
  const fail = (msg: string): never => {
    throw new UserError(`${name}: ${msg}`);
  };
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) fail('not a .npy file (bad magic)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let hlen: number;
  let start: number;
  if (major === 1) (hlen = view.getUint16(8, true)), (start = 10);
  else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated .npy header');
    (hlen = view.getUint32(8, true)), (start = 12);
  } else return fail(`unsupported .npy format version ${major}.${bytes[7]}`);
  if (start + hlen > bytes.length) fail('truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + hlen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) return fail(`malformed .npy header: ${header.trim()}`);
  if (fortran === 'True') fail('Fortran-order arrays are not supported (save with np.ascontiguousarray)');
  const order = descr[0]!;
  if (order === '>') fail(`big-endian dtype '${descr}' is not supported`);
  const dtype = /^[<|=]/.test(descr) && Object.hasOwn(DESCR_DTYPE, descr.slice(1)) ? DESCR_DTYPE[descr.slice(1)] : undefined;
  if (!dtype) return fail(`unsupported dtype '${descr}'`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`malformed shape (${shapeText})`);
  const n = numel(shape);
  const dataStart = start + hlen;
  const nbytes = n * dtypeSize(dtype);
  if (dataStart + nbytes > bytes.length) {
    fail(`truncated .npy data (shape [${shape.join(', ')}] ${descr} needs ${nbytes} bytes, file has ${bytes.length - dataStart})`);
  }
  const abs = bytes.byteOffset + dataStart;
  const data =
    abs % dtypeSize(dtype) === 0
      ? hostDataView(dtype, bytes.buffer, abs, n)
      : hostDataView(dtype, bytes.slice(dataStart, dataStart + nbytes).buffer, 0, n);
  return hostTensor(dtype, shape, data);
}

/** The `.npy` header (format 1.0, padded so the data starts on a 64-byte boundary, as numpy does). */
export function npyHeader(dtype: DType, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${DTYPE_DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  if (dict.length > 0xffff) throw new Error('npy header too long');
  const out = new Uint8Array(10 + dict.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = dict.length & 0xff;
  out[9] = dict.length >>> 8;
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  return out;
}

/** A `.npy` file holding `t` (C order). */
export function writeNpy(t: HostTensor): Uint8Array {
  const head = npyHeader(t.dtype, t.shape);
  const body = hostBytes(t);
  if (t.data.length !== numel(t.shape)) throw new Error(`tensor data has ${t.data.length} elements, shape [${t.shape.join(', ')}] needs ${numel(t.shape)}`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}
