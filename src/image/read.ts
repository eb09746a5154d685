// Decoding users' photos into 8-bit RGB with sharp (JPEG, PNG, WebP, TIFF, ...). EXIF orientation
// is applied, greyscale/CMYK/16-bit become 8-bit sRGB, alpha is dropped (as cv2.imread does in the
// official pipeline). For untagged and sRGB files the pixels equal OpenCV's (test/image/
// preprocess.test.ts); unlike OpenCV, an embedded ICC profile (e.g. a phone's Display P3) is
// honoured, so the network sees the colours the photo shows. Every failure is a UserError naming
// the file.
import { open, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { UserError } from '../errors.js';
import type { FetchBytesOptions } from '../hub/fetch-bytes.js';
import { toSource } from './input-source.js';

/** Interleaved 8-bit RGB, [height, width, 3]. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** File path or a label such as '<buffer>' for messages and output names. */
  name: string;
}

/**
 * Raw pixels a caller already holds (e.g. a canvas's ImageData): 1, 3 or 4 interleaved channels;
 * without `channels` the count follows from the data's length.
 */
export interface RawPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels?: 1 | 3 | 4;
}

/**
 * What the parser takes: a file path, an http(s) or file: URL (string or `URL`), encoded bytes
 * (Buffer, any typed array, ArrayBuffer, Blob) or raw pixels.
 */
export type ImageInput = string | URL | Buffer | Uint8Array | ArrayBuffer | ArrayBufferView | Blob | RawPixels;

import { DEFAULT_MAX_PIXELS } from './limits.js';

export { DEFAULT_MAX_PIXELS };

export interface ReadOptions {
  maxPixels?: number;
  /** Name used in messages for buffers and raw pixels. */
  name?: string;
  /** Limits for images named by an http(s) URL. */
  download?: FetchBytesOptions;
}

/** Why sharp refused, in words a user can act on. */
function decodeProblem(err: unknown): string {
  const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  if (/unsupported image format|bad seek|not a known file format/i.test(msg)) return 'not an image (or an unsupported format)';
  if (/premature end|truncated|unexpected end|end of (file|stream)|corrupt|incomplete|read error|short read/i.test(msg)) {
    return `truncated or corrupt image (${msg.trim()})`;
  }
  if (/exceeds pixel limit/i.test(msg)) return 'image is larger than the pixel limit';
  return `cannot decode image (${msg.trim()})`;
}

/**
 * Whether encoded bytes end before their format's end marker (JPEG EOI, PNG IEND). sharp sometimes
 * reports a cut-short file as just "Unknown error" (libvips' error buffer is shared by concurrent
 * decodes), so the bytes themselves decide.
 */
export async function cutShort(file: string | Buffer): Promise<boolean> {
  let head: Buffer, tail: Buffer;
  if (typeof file === 'string') {
    const fh = await open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      head = Buffer.alloc(Math.min(8, size));
      tail = Buffer.alloc(Math.min(16, size));
      await fh.read(head, 0, head.length, 0);
      await fh.read(tail, 0, tail.length, size - tail.length);
    } finally {
      await fh.close();
    }
  } else [head, tail] = [file.subarray(0, 8), file.subarray(Math.max(0, file.length - 16))];
  if (head[0] === 0xff && head[1] === 0xd8) return tail.lastIndexOf(Buffer.from([0xff, 0xd9])) < 0;
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return !tail.includes(Buffer.from('IEND'));
  return false;
}

/** decodeProblem, with a cut-short file named as such whatever sharp's message was. */
async function decodeFailure(name: string, file: string | Buffer, err: unknown): Promise<UserError> {
  const problem = decodeProblem(err);
  if (problem.startsWith('cannot decode') && (await cutShort(file).catch(() => false))) {
    return new UserError(`${name}: truncated or corrupt image (the file ends before its image data does)`);
  }
  return new UserError(`${name}: ${problem}`);
}

function checkPixels(name: string, width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new UserError(`${name}: image is ${width}×${height} = ${width * height} pixels, over the limit of ${maxPixels} (raise it with --max-pixels / maxPixels)`);
  }
}

function rawToRgb(raw: RawPixels, name: string, maxPixels: number): RgbImage {
  const { width, height, data } = raw;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new UserError(`${name}: raw pixels need a positive integer width and height, got ${width}×${height}`);
  }
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new UserError(`${name}: raw pixel data must be a Uint8Array or Uint8ClampedArray, got ${(data as object)?.constructor?.name ?? typeof data}`);
  }
  const channels = raw.channels ?? data.length / (width * height);
  if (![1, 3, 4].includes(channels)) {
    throw new UserError(raw.channels === undefined
      ? `${name}: raw pixel buffer has ${data.length} bytes, not ${width}×${height} times 1, 3 or 4 channels`
      : `${name}: raw pixels need 1, 3 or 4 channels, got ${channels}`);
  }
  if (data.length !== width * height * channels) {
    throw new UserError(`${name}: raw pixel buffer has ${data.length} bytes, expected ${width}×${height}×${channels} = ${width * height * channels}`);
  }
  checkPixels(name, width, height, maxPixels);
  const n = width * height;
  const out = new Uint8Array(n * 3);
  if (channels === 3) out.set(data);
  else for (let i = 0; i < n; i++) {
    const s = i * channels;
    out[i * 3] = data[s];
    out[i * 3 + 1] = data[channels === 1 ? s : s + 1];
    out[i * 3 + 2] = data[channels === 1 ? s : s + 2];
  }
  return { data: out, width, height, name };
}

/** Decodes a path, URL, encoded bytes or raw pixels into RGB. */
export async function readImage(image: ImageInput, opts: ReadOptions = {}): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const src = await toSource(image, opts.name, opts.download);
  if (src.kind === 'raw') return rawToRgb(src.raw, src.name, maxPixels);
  const input = src.kind === 'path' ? src.path : src.bytes;
  const name = src.name;
  if (typeof input === 'string') {
    let st;
    try { st = await stat(input); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(code === 'ENOENT' ? `${name}: no such file` : `${name}: cannot read (${code ?? String(e)})`);
    }
    if (st.isDirectory()) throw new UserError(`${name}: is a directory, not an image`);
    if (st.size === 0) throw new UserError(`${name}: empty file (0 bytes)`);
  } else if (input.length === 0) {
    throw new UserError(`${name}: empty buffer (0 bytes)`);
  }
  const file = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  // limitInputPixels false: we check the limit ourselves for a message that names the flag.
  const decoder = () => sharp(file, { failOn: 'truncated', limitInputPixels: false, sequentialRead: true });
  let meta: sharp.Metadata;
  try { meta = await decoder().metadata(); } catch (e) { throw await decodeFailure(name, file, e); }
  if (!meta.width || !meta.height) throw new UserError(`${name}: not an image (no dimensions)`);
  checkPixels(name, meta.width, meta.height, maxPixels);
  try {
    const { data, info } = await decoder()
      .rotate() // EXIF orientation
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, name };
  } catch (e) {
    throw await decodeFailure(name, file, e);
  }
}
