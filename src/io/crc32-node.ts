// The CRC-32 (IEEE, as zip uses) that checks every checkpoint entry in Node: @node-rs/crc32 (SIMD)
// is about three times zlib.crc32 (Node >= 20.15); the portable one in zip.ts is the last resort.
// Each continues from a previous value, so an entry can be summed chunk by chunk.
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { crc32 as portableCrc32 } from './zip.js';

/** crc(bytes, previous) continues a CRC-32 from `previous` (0 to start). */
export type Crc32Step = (bytes: Uint8Array, previous: number) => number;

const zlibCrc = (zlib as unknown as { crc32?: (b: Uint8Array, prev?: number) => number }).crc32;

export const crc32Step: Crc32Step = (() => {
  try {
    const { crc32 } = createRequire(import.meta.url)('@node-rs/crc32') as { crc32: (b: Uint8Array, prev?: number) => number };
    return (b: Uint8Array, prev: number) => crc32(b, prev) >>> 0;
  } catch { /* no prebuilt binary for this platform */ }
  return zlibCrc ? (b: Uint8Array, prev: number) => zlibCrc(b, prev) >>> 0 : portableCrc32;
})();

export const crc32Node = (b: Uint8Array): number => crc32Step(b, 0);
