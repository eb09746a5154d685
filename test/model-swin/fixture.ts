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
