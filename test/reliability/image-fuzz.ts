// Seeded mutations of small JPEG, PNG and WebP files for the parse and server fuzzers: header
// and body byte flips, truncations, a PNG whose header (CRC fixed) claims a pixel bomb, and
// garbage behind a valid signature.
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import { rng } from './fuzz-helpers.js';

export interface ImageCase { kind: string; name: string; bytes: Buffer }

async function base(format: 'jpeg' | 'png' | 'webp'): Promise<Buffer> {
  const w = 48, h = 40;
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) & 0xff;
  const s = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  return format === 'jpeg' ? s.jpeg().toBuffer() : format === 'png' ? s.png().toBuffer() : s.webp().toBuffer();
}

/** A PNG whose IHDR claims w×h (its CRC recomputed, so only the size is wrong). */
function pngClaiming(png: Buffer, w: number, h: number): Buffer {
  const b = Buffer.from(png);
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  b.writeUInt32BE(zlib.crc32(b.subarray(12, 29)) >>> 0, 29);
  return b;
}

/** `perFormat` cases for each of JPEG, PNG and WebP, the same for a given seed. */
export async function imageCases(seed: number, perFormat: number): Promise<ImageCase[]> {
  const r = rng(seed);
  const out: ImageCase[] = [];
  for (const format of ['jpeg', 'png', 'webp'] as const) {
    const good = await base(format);
    for (let i = 0; i < perFormat; i++) {
      const b = Buffer.from(good);
      const k = i % 6;
      let kind: string;
      if (k === 0) { kind = 'header bytes flipped'; for (let j = 0; j < 1 + r.int(4); j++) b[r.int(Math.min(64, b.length))] ^= 1 + r.int(255); }
      else if (k === 1) { kind = 'body bytes flipped'; for (let j = 0; j < 1 + r.int(16); j++) b[64 + r.int(b.length - 64)] ^= 1 + r.int(255); }
      else if (k === 2) { kind = 'truncated'; out.push({ kind, name: `${format}-${i}.${format}`, bytes: b.subarray(0, r.int(b.length)) }); continue; }
      else if (k === 3) { kind = 'signature + garbage'; const g = Buffer.alloc(200 + r.int(2000)); for (let j = 0; j < g.length; j++) g[j] = r.int(256); b.copy(g, 0, 0, 16); out.push({ kind, name: `${format}-${i}.${format}`, bytes: g }); continue; }
      else if (k === 4 && format === 'png') { kind = 'pixel bomb header'; const d = r.pick([100_000, 65_535, 30_000]); out.push({ kind, name: `${format}-${i}.png`, bytes: pngClaiming(good, d, d) }); continue; }
      else { kind = 'valid'; }
      out.push({ kind, name: `${format}-${i}.${format}`, bytes: b });
    }
  }
  return out;
}
