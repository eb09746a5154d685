// Browser inputs → 8-bit RGB: Blob/File, ImageData, ImageBitmap, canvas (DOM or Offscreen),
// <img>, <video>, VideoFrame, raw pixels, or a URL to fetch. The browser's decoders do the work.
import { decodeBlob, pixelsOf, rgbaToRgb } from '../browser/decode.js';
import type { RgbImage } from '../image/read.js';

/** Raw pixels (ImageData has this shape): RGBA, RGB or grey; channels follow from the length when absent. */
export interface WebRawPixels { data: Uint8Array | Uint8ClampedArray; width: number; height: number; channels?: 1 | 3 | 4 }

export type WebImageInput = Blob | ImageData | ImageBitmap | HTMLCanvasElement | OffscreenCanvas | HTMLImageElement
  | HTMLVideoElement | VideoFrame | WebRawPixels | string | URL;

const has = (name: string) => typeof (globalThis as Record<string, unknown>)[name] === 'function';
const is = <T>(x: unknown, name: string): x is T => has(name) && x instanceof ((globalThis as Record<string, unknown>)[name] as new () => T);

function fromRaw(raw: WebRawPixels, name: string): RgbImage {
  const { data, width, height } = raw;
  const channels = raw.channels ?? data.length / (width * height);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || ![1, 3, 4].includes(channels) || data.length !== width * height * channels) {
    throw new Error(`${name}: raw pixels need width × height × (1, 3 or 4) bytes, got ${data.length} bytes for ${width}×${height}`);
  }
  if (channels === 4) return rgbaToRgb(data, width, height, name);
  if (channels === 3) return { data: new Uint8Array(data), width, height, name };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = data[i]!;
  return { data: rgb, width, height, name };
}

/** The drawable's size (natural size for images and video). */
function sizeOf(src: CanvasImageSource): [number, number] {
  if (is<HTMLImageElement>(src, 'HTMLImageElement')) {
    if (!src.complete || src.naturalWidth === 0) throw new Error(`${src.currentSrc || 'image'}: the <img> has not loaded (await img.decode() first)`);
    return [src.naturalWidth, src.naturalHeight];
  }
  if (is<HTMLVideoElement>(src, 'HTMLVideoElement')) return [src.videoWidth, src.videoHeight];
  if (is<VideoFrame>(src, 'VideoFrame')) return [src.displayWidth, src.displayHeight];
  const s = src as { width: number; height: number };
  return [s.width, s.height];
}

export async function toRgb(input: WebImageInput, name: string | undefined, maxPixels: number): Promise<RgbImage> {
  if (typeof input === 'string' || input instanceof URL) {
    const url = String(input);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return decodeBlob(await res.blob(), name ?? url, maxPixels);
  }
  if (is<Blob>(input, 'Blob')) return decodeBlob(input, name ?? ((input as File).name || 'blob'), maxPixels);
  const drawable = ['ImageBitmap', 'HTMLCanvasElement', 'OffscreenCanvas', 'HTMLImageElement', 'HTMLVideoElement', 'VideoFrame'].find((k) => is(input, k));
  let img: RgbImage;
  if (drawable) {
    const [w, h] = sizeOf(input as CanvasImageSource);
    if (!w || !h) throw new Error(`${name ?? drawable}: has no pixels (${w}×${h})`);
    if (w * h > maxPixels) throw new Error(`${name ?? drawable}: ${w}×${h} is over the limit of ${maxPixels} pixels`);
    img = pixelsOf(input as CanvasImageSource, w, h, name ?? drawable);
  } else if (input && typeof input === 'object' && 'data' in input && 'width' in input && 'height' in input) {
    img = fromRaw(input as WebRawPixels, name ?? (is(input, 'ImageData') ? 'ImageData' : 'pixels'));
  } else {
    throw new Error(`${name ?? 'input'}: cannot read an image from ${input === null ? 'null' : typeof input === 'object' ? `a ${(input as object).constructor?.name ?? 'object'}` : `a ${typeof input}`}; expected a Blob, ImageData, ImageBitmap, canvas, <img>, <video>, VideoFrame, {data, width, height} or a URL`);
  }
  if (img.width * img.height > maxPixels) throw new Error(`${img.name}: ${img.width}×${img.height} is over the limit of ${maxPixels} pixels`);
  return img;
}
