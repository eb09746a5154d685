// Reads the parts of a hash-weights fixture these tests need: the weights.json recipe and the
// verbatim float / int64 arrays it points into (numpy v1.0, little-endian, C order).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures');

export interface RecipeEntry {
  key: string;
  shape: number[];
  dtype: 'float32' | 'int64';
  source: 'hash' | 'small' | 'int';
  offset?: number;
  numel?: number;
}

export function recipe(folder: string): RecipeEntry[] {
  return (JSON.parse(readFileSync(path.join(FIXTURES, folder, 'weights.json'), 'utf8')) as { entries: RecipeEntry[] }).entries;
}

/** The raw data bytes of a .npy file (header skipped). */
export function npyBytes(file: string): Buffer {
  const buf = readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  return buf.subarray(10 + headerLen);
}

export function smallParams(folder: string): Float32Array {
  const b = npyBytes(path.join(FIXTURES, folder, 'small_params.npy'));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function intBuffers(folder: string): BigInt64Array {
  const b = npyBytes(path.join(FIXTURES, folder, 'int_buffers.npy'));
  return new BigInt64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

/** A float32 .npy (version 1.0, little-endian, C order). */
export function readNpyF32(file: string): NpyArray {
  const buf = readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + headerLen).toString('latin1');
  if (!header.includes("'<f4'") || header.includes("'fortran_order': True")) throw new Error(`${file}: expected C-order <f4`);
  const shape = [...header.match(/'shape': \(([^)]*)\)/)![1]!.matchAll(/\d+/g)].map((m) => Number(m[0]));
  const b = buf.subarray(10 + headerLen);
  return { shape, data: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) };
}

/** The fixtures' hash generator (README: "source": "hash"). */
export function hashValues(n: number, seed: number, center: number, halfwidth: number): Float32Array {
  const out = new Float32Array(n);
  const s = Math.imul(seed, 0x9e3779b9) >>> 0;
  for (let i = 0; i < n; i++) {
    let x = (i + s) >>> 0;
    x = (x ^ (x >>> 16)) >>> 0;
    x = Math.imul(x, 0x7feb352d) >>> 0;
    x = (x ^ (x >>> 15)) >>> 0;
    x = Math.imul(x, 0x846ca68b) >>> 0;
    x = (x ^ (x >>> 16)) >>> 0;
    const u = (x >>> 8) / 2 ** 24;
    out[i] = Math.fround(center + halfwidth * (2 * u - 1));
  }
  return out;
}

/** Every state-dict tensor of a hash fixture, by key. */
export function fixtureWeights(folder: string): Map<string, { shape: number[]; data: Float32Array | BigInt64Array }> {
  const small = smallParams(folder), ints = intBuffers(folder);
  const out = new Map<string, { shape: number[]; data: Float32Array | BigInt64Array }>();
  for (const e of recipe(folder) as (RecipeEntry & { seed?: number; center?: number; halfwidth?: number })[]) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const data = e.source === 'hash' ? hashValues(n, e.seed!, e.center!, e.halfwidth!)
      : e.source === 'small' ? small.slice(e.offset!, e.offset! + n)
      : ints.slice(e.offset!, e.offset! + n);
    out.set(e.key, { shape: e.shape, data });
  }
  return out;
}
