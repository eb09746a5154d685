// A small served model for service tests: the mobilenet recipe fixture at 256 (random weights),
// its graph cached in a temp folder, one ORT thread.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { FaceParser } from '../../src/api/face-parser.js';
import { openServedModel, warmUp, type ServedModel } from '../../src/service/open-model.js';

export const FIXTURE = join(process.cwd(), '..', 'shared', 'fixtures', 'mobilenet_hash_256');
export const ASSETS = join(process.cwd(), '.assets');

let served: Promise<ServedModel> | undefined;

/** One model per test process (building the session takes a few seconds). */
export function testModel(): Promise<ServedModel> {
  served ??= (async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'segface-serve-cache-'));
    process.once('exit', () => rmSync(cacheDir, { recursive: true, force: true }));
    const m = await openServedModel(FIXTURE, { threads: 1, cacheDir });
    await warmUp(m.parser);
    return m;
  })();
  return served;
}

export async function testParser(): Promise<FaceParser> {
  return (await testModel()).parser;
}

/** A w×h PNG or JPEG with a gradient (so it is a real photo-like image). */
export async function makeImage(w: number, h: number, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = (y * w + x) * 3;
    raw[o] = (x * 255) / w; raw[o + 1] = (y * 255) / h; raw[o + 2] = 128;
  }
  const s = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  return format === 'png' ? s.png().toBuffer() : s.jpeg({ quality: 85 }).toBuffer();
}

/** A multipart/form-data body with one file field. */
export function multipartBody(field: string, filename: string, type: string, data: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----segface${Date.now().toString(16)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, data, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}
