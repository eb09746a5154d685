// Rebuilds a fixture's state dict from its recipe (fixtures README, "The two kinds of
// weights"): `weights.json` entries that are hash-generated, or slices of `small_params.npy`
// (float32) and `int_buffers.npy` (int64).
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { readFileBytes, readNpyFile } from '../io/files.js';
import { hostTensor, numel, type HostTensor, type StateDict } from '../io/host-tensor.js';
import type { DType } from '../engine/ops.js';

interface RecipeEntry {
  key: string;
  shape: number[];
  dtype: DType;
  source: 'hash' | 'small' | 'int';
  seed?: number;
  center?: number;
  halfwidth?: number;
  offset?: number;
  numel?: number;
}

/** Element i of the hash generator (bit-exact with the fixture generator). */
export function hashValue(i: number, seed: number, center: number, halfwidth: number): number {
  let x = (i + Math.imul(seed, 0x9e3779b9)) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  const u = (x >>> 8) / 16777216;
  return Math.fround(center + halfwidth * (2 * u - 1));
}

export function hashTensor(shape: readonly number[], seed: number, center: number, halfwidth: number): Float32Array {
  const out = new Float32Array(numel(shape));
  for (let i = 0; i < out.length; i++) out[i] = hashValue(i, seed, center, halfwidth);
  return out;
}

/** The state dict described by `<folder>/weights.json`, in the file's key order. */
export function recipeStateDict(folder: string): StateDict {
  const path = join(folder, 'weights.json');
  let doc: { format?: string; entries?: RecipeEntry[] };
  try {
    doc = JSON.parse(new TextDecoder().decode(readFileBytes(path)));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(doc.entries)) throw new UserError(`${path}: no "entries" list`);
  let small: Float32Array | null = null;
  let ints: BigInt64Array | null = null;
  const slice = (name: string, e: RecipeEntry, arr: Float32Array | BigInt64Array): Float32Array | BigInt64Array => {
    const off = e.offset ?? -1, n = e.numel ?? numel(e.shape);
    if (off < 0 || off + n > arr.length) throw new UserError(`${path}: ${e.key} points outside ${name} (offset ${off}, numel ${n}, size ${arr.length})`);
    return arr.slice(off, off + n);
  };
  const sd: StateDict = new Map();
  for (const e of doc.entries) {
    let t: HostTensor;
    if (e.source === 'hash') {
      t = hostTensor('float32', e.shape, hashTensor(e.shape, e.seed ?? 0, e.center ?? 0, e.halfwidth ?? 0));
    } else if (e.source === 'small') {
      small ??= loadFlat(join(folder, 'small_params.npy'), 'float32') as Float32Array;
      t = hostTensor('float32', e.shape, slice('small_params.npy', e, small));
    } else if (e.source === 'int') {
      ints ??= loadFlat(join(folder, 'int_buffers.npy'), 'int64') as BigInt64Array;
      t = hostTensor('int64', e.shape, slice('int_buffers.npy', e, ints));
    } else {
      throw new UserError(`${path}: ${e.key} has unknown source '${String(e.source)}'`);
    }
    sd.set(e.key, t);
  }
  return sd;
}

function loadFlat(path: string, dtype: 'float32' | 'int64'): Float32Array | BigInt64Array {
  const t = readNpyFile(path);
  if (t.dtype !== dtype) throw new UserError(`${path}: expected ${dtype} data, found ${t.dtype}`);
  return t.data as Float32Array | BigInt64Array;
}
