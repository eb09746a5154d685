// PyTorch checkpoints (`torch.save` zip format) to and from JS values, without libtorch.
// Layout: `<root>/data.pkl` (the pickled object; tensors refer to storages by persistent id),
// `<root>/data/<key>` (raw little-endian storage bytes, 64-byte aligned), `<root>/version`.
// Tensors come back as HostTensors that view the checkpoint's bytes where the storage is
// contiguous and aligned (no copy); see py-values.ts for the other Python types.
import type { DType } from '../engine/ops.js';
import { UserError } from '../errors.js';
import {
  allocHostData,
  dtypeSize,
  hostBytes,
  hostDataView,
  hostTensor,
  isHostTensor,
  numel,
  type HostData,
  type HostTensor,
  type StateDict,
} from './host-tensor.js';
import { unpickle, type GlobalImpl } from './pickle.js';
import { pickle } from './pickle-writer.js';
import { OrderedDict, PyGlobal, PyPersistent, PyReduce, tuple, type PyValue } from './py-values.js';
import { concatBytes, readZip, writeZipChunks, type ZipEntry, type ZipReadOptions } from './zip.js';

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};
const DTYPE_STORAGE: Record<DType, string> = {
  float32: 'FloatStorage',
  float64: 'DoubleStorage',
  float16: 'HalfStorage',
  bfloat16: 'BFloat16Storage',
  int64: 'LongStorage',
  int32: 'IntStorage',
  uint8: 'ByteStorage',
  bool: 'BoolStorage',
};
// Storage classes torch knows but HostTensor cannot hold: named in the error instead of "forbidden".
const UNSUPPORTED_STORAGES = ['ShortStorage', 'CharStorage', 'ComplexFloatStorage', 'ComplexDoubleStorage', 'QInt8Storage', 'QUInt8Storage', 'QInt32Storage'];
const TORCH_DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'];

function isInt(v: PyValue): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i]!;
  }
  return st;
}

/** Element count of a shape whose sizes are ≥ 0, or Infinity past 2^53 (it can never fit a file). */
function boundedNumel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return Number.isSafeInteger(n) ? n : Infinity;
}

/** `n` elements of `dtype` starting `byteOffset` into `bytes`: a view when aligned, else a copy. */
function viewOrCopy(dtype: DType, bytes: Uint8Array, byteOffset: number, n: number): HostData {
  const abs = bytes.byteOffset + byteOffset;
  if (abs % dtypeSize(dtype) === 0) return hostDataView(dtype, bytes.buffer, abs, n);
  const copy = bytes.slice(byteOffset, byteOffset + n * dtypeSize(dtype));
  return hostDataView(dtype, copy.buffer, 0, n);
}

/**
 * Read a `torch.save` checkpoint. `name` (usually the file name) prefixes every error message.
 * Every zip entry is checked against its CRC-32 (opts.crc32: a faster one, or false to skip).
 * Dicts come back as Map / OrderedDict, `collections.Counter` as Counter, tensors as HostTensor.
 */
export function readCheckpoint(bytes: Uint8Array, name = 'checkpoint', opts: ZipReadOptions = {}): PyValue {
  const entries = readZip(bytes, name, opts);
  const pkl = entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name)) ?? entries.find((e) => e.name === 'data.pkl');
  if (!pkl) throw new UserError(`${name}: missing data.pkl (not a PyTorch checkpoint written by torch.save)`);
  const root = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const records = new Map<string, ZipEntry>();
  for (const e of entries) if (e.name.startsWith(root)) records.set(e.name.slice(root.length), e);
  const byteorder = records.get('byteorder');
  if (byteorder && new TextDecoder().decode(byteorder.data).trim() !== 'little') {
    throw new UserError(`${name}: big-endian checkpoints are not supported`);
  }

  // A storage is a 1-D HostTensor over its record (a view when aligned, one copy otherwise), so
  // tensors are subarrays of it and a storage pickled on its own is already a usable value.
  const storages = new Map<string, HostTensor>();
  const storageKeys = new WeakMap<object, string>();
  const persistentLoad = (pid: PyValue): PyValue => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
      throw new UserError(`${name}: unsupported persistent id in data.pkl (only tensor storages are allowed)`);
    }
    const [, cls, key, , declared] = pid as PyValue[];
    if (!(cls instanceof PyGlobal) || typeof key !== 'string' || !isInt(declared!) || declared < 0) {
      throw new UserError(`${name}: malformed storage reference in data.pkl`);
    }
    const dtype = STORAGE_DTYPES[cls.name];
    if (!dtype) throw new UserError(`${name}: unsupported storage type '${cls.qualifiedName}' in data.pkl`);
    let st = storages.get(key);
    if (!st) {
      const rec = records.get(`data/${key}`);
      if (!rec) throw new UserError(`${name}: storage '${key}' is missing (no record ${root}data/${key})`);
      // UntypedStorage counts bytes; typed storages count elements.
      const need = declared * dtypeSize(dtype);
      if (rec.data.length < need) {
        throw new UserError(
          `${name}: storage '${key}' is shorter than its tensor (record ${root}data/${key} holds ${rec.data.length} bytes, ${declared} ${dtype} elements need ${need})`,
        );
      }
      st = hostTensor(dtype, [declared], viewOrCopy(dtype, rec.data, 0, declared));
      storages.set(key, st);
      storageKeys.set(st, key);
    }
    return st;
  };

  // Tensors that are not plain views (transposes, expands) are copied; all copies together may
  // not exceed the file's own size, so a few bytes of pickle cannot ask for gigabytes.
  let copyBudget = bytes.length;
  const rebuild = (args: readonly PyValue[]): PyValue => {
    const [st, offset, size, stride] = args;
    const key = st && typeof st === 'object' ? storageKeys.get(st) : undefined;
    if (key === undefined || !isHostTensor(st) || !isInt(offset!) || !Array.isArray(size) || !Array.isArray(stride)) {
      throw new UserError(`${name}: malformed tensor in data.pkl`);
    }
    const shape = size as number[];
    const strides = stride as number[];
    const desc = () => `tensor [${shape.map(String).join(', ')}] with strides [${strides.map(String).join(', ')}] at offset ${String(offset)} of storage '${key}'`;
    if (!shape.every(isInt) || !strides.every(isInt) || strides.length !== shape.length) {
      throw new UserError(`${name}: malformed tensor shape or stride in data.pkl (${desc()})`);
    }
    if (offset < 0 || shape.some((d) => d < 0) || strides.some((s) => s < 0)) {
      throw new UserError(`${name}: malformed ${desc()} in data.pkl (negative offset, size or stride)`);
    }
    const n = boundedNumel(shape);
    const storageNumel = st.data.length;
    // One past the last storage element the tensor touches (every stride is ≥ 0 here).
    let extent = n === 0 ? offset : offset + 1;
    if (n > 0) for (let i = 0; i < shape.length; i++) extent += (shape[i]! - 1) * strides[i]!;
    if (!(extent <= storageNumel)) {
      throw new UserError(
        `${name}: storage '${key}' is shorter than its tensor (holds ${storageNumel} ${st.dtype} elements, tensor [${shape.join(', ')}] at offset ${offset} needs ${extent}${strides.every((x, i) => x === contiguousStrides(shape)[i]) ? '' : ` with strides [${strides.join(', ')}]`})`,
      );
    }
    const want = contiguousStrides(shape);
    if (shape.every((d, i) => d === 1 || strides[i] === want[i])) {
      return hostTensor(st.dtype, shape, st.data.subarray(offset, offset + n));
    }
    // Non-contiguous (a transpose, a slice with steps, an expand): gather in C order.
    const bytesNeeded = n * dtypeSize(st.dtype);
    if (bytesNeeded > copyBudget) {
      throw new UserError(`${name}: ${desc()} would take ${bytesNeeded} bytes, more than the ${bytes.length}-byte file holds (a corrupt or hostile checkpoint)`);
    }
    copyBudget -= bytesNeeded;
    const src = st.data as unknown as ArrayLike<number | bigint>;
    const out = allocHostData(st.dtype, n) as unknown as { [i: number]: number | bigint };
    const idx = new Array<number>(shape.length).fill(0);
    let p = offset;
    for (let i = 0; i < n; i++) {
      out[i] = src[p]!;
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++idx[d]! < shape[d]!) {
          p += strides[d]!;
          break;
        }
        idx[d] = 0;
        p -= (shape[d]! - 1) * strides[d]!;
      }
    }
    return hostTensor(st.dtype, shape, out as unknown as HostData);
  };

  const globals: Record<string, GlobalImpl> = {
    'torch._utils._rebuild_tensor_v2': rebuild,
    'torch._utils._rebuild_tensor': rebuild,
    'torch._utils._rebuild_parameter': (a) => a[0]!,
    'torch._utils._rebuild_parameter_with_state': (a) => a[0]!,
    'torch.Size': (a) => tuple(...((a[0] as PyValue[]) ?? [])),
    'torch.storage.UntypedStorage': null,
  };
  for (const s of [...Object.keys(STORAGE_DTYPES), ...UNSUPPORTED_STORAGES]) globals[`torch.${s}`] = null;
  for (const d of TORCH_DTYPES) globals[`torch.${d}`] = null;

  return unpickle(pkl.data, { name, part: 'data.pkl', globals, persistentLoad });
}

export interface WriteCheckpointOptions {
  /** Folder name inside the zip; torch uses the file's name without extension ('archive' for buffers). */
  root?: string;
  /** Passed to the zip writer (files.ts hands in Node's zlib.crc32). */
  crc32?: (bytes: Uint8Array) => number;
}

/**
 * The checkpoint as chunks (headers plus the tensors' own bytes, not copied) for streaming to a
 * file. Each tensor gets its own storage; records: data.pkl, byteorder, data/0.., version.
 */
export function writeCheckpointChunks(obj: PyValue, opts: WriteCheckpointOptions = {}): Uint8Array[] {
  const root = opts.root ?? 'archive';
  const data: Uint8Array[] = [];
  const rebuildV2 = new PyGlobal('torch._utils', '_rebuild_tensor_v2');
  const replace = (v: PyValue): PyValue | undefined => {
    if (!isHostTensor(v)) return undefined;
    const n = numel(v.shape);
    if (v.data.length !== n) throw new Error(`tensor data has ${v.data.length} elements, shape [${v.shape.join(', ')}] needs ${n}`);
    const cls = DTYPE_STORAGE[v.dtype];
    if (!cls) throw new Error(`cannot write a tensor of dtype ${v.dtype}`);
    const key = String(data.length);
    data.push(hostBytes(v));
    const pid = new PyPersistent(tuple('storage', new PyGlobal('torch', cls), key, 'cpu', n));
    const args = tuple(pid, 0, tuple(...v.shape), tuple(...contiguousStrides(v.shape)), false, new OrderedDict());
    return new PyReduce(rebuildV2, args);
  };
  const pkl = pickle(obj, { replace });
  const enc = new TextEncoder();
  return writeZipChunks([
    { name: `${root}/data.pkl`, data: pkl },
    { name: `${root}/byteorder`, data: enc.encode('little') },
    ...data.map((d, i) => ({ name: `${root}/data/${i}`, data: d })),
    { name: `${root}/version`, data: enc.encode('3\n') },
  ], { crc32: opts.crc32 });
}

/** The checkpoint in one buffer (`torch.load` reads it; see writeCheckpointChunks). */
export function writeCheckpoint(obj: PyValue, opts?: WriteCheckpointOptions): Uint8Array {
  return concatBytes(writeCheckpointChunks(obj, opts));
}

/**
 * The model weights in a loaded checkpoint: its `state_dict_backbone` (the SegFace training
 * script's key), else `state_dict` / `model`, else the value itself; a DDP `module.` prefix is stripped.
 */
export function stateDictFromCheckpoint(obj: PyValue, name = 'checkpoint'): StateDict {
  let sd: PyValue = obj;
  if (obj instanceof Map) {
    for (const k of ['state_dict_backbone', 'state_dict', 'model']) {
      if (obj.has(k) && obj.get(k) instanceof Map) {
        sd = obj.get(k)!;
        break;
      }
    }
  }
  if (!(sd instanceof Map)) throw new UserError(`${name}: does not hold a state dict`);
  const out: StateDict = new Map();
  for (const [k, v] of sd) {
    if (typeof k !== 'string') throw new UserError(`${name}: state dict has a non-string key ${String(k)}`);
    if (!isHostTensor(v)) throw new UserError(`${name}: state dict entry '${k}' is not a tensor`);
    out.set(k.startsWith('module.') ? k.slice('module.'.length) : k, v);
  }
  if (out.size === 0) throw new UserError(`${name}: the state dict is empty`);
  return out;
}
