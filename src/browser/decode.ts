// Photos in the browser: files, blobs and camera frames → 8-bit RGB (the RgbImage the shared
// preprocessing takes). The browser's own decoders do the work; EXIF orientation is applied.
import { DEFAULT_MAX_PIXELS } from '../image/limits.js';
import type { RgbImage } from '../image/read.js';

function canvas2d(w: number, h: number): CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D {
  const c = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(w, h) : Object.assign(document.createElement('canvas'), { width: w, height: h });
  const ctx = c.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!ctx) throw new Error('this browser cannot draw to a canvas');
  return ctx;
}

/** RGBA (canvas order) → RGB. */
export function rgbaToRgb(rgba: Uint8ClampedArray | Uint8Array, w: number, h: number, name: string): RgbImage {
  const n = w * h;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) { data[i * 3] = rgba[i * 4]!; data[i * 3 + 1] = rgba[i * 4 + 1]!; data[i * 3 + 2] = rgba[i * 4 + 2]!; }
  return { data, width: w, height: h, name };
}

export function pixelsOf(src: CanvasImageSource, w: number, h: number, name: string): RgbImage {
  const ctx = canvas2d(w, h);
  ctx.drawImage(src, 0, 0, w, h);
  return rgbaToRgb(ctx.getImageData(0, 0, w, h).data, w, h, name);
}

export async function decodeBlob(blob: Blob, name: string, maxPixels = DEFAULT_MAX_PIXELS): Promise<RgbImage> {
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch {
    throw new Error(`${name}: not an image this browser can decode`);
  }
  try {
    if (bmp.width * bmp.height > maxPixels) throw new Error(`${name}: ${bmp.width}×${bmp.height} is over the limit of ${maxPixels} pixels`);
    return pixelsOf(bmp, bmp.width, bmp.height, name);
  } finally {
    bmp.close();
  }
}

/** A label PNG (8-bit greyscale, value = class id) as ids, decoded without colour management. */
export async function decodeLabelPng(blob: Blob): Promise<{ labels: Uint8Array; width: number; height: number }> {
  const bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  try {
    const ctx = canvas2d(bmp.width, bmp.height);
    ctx.drawImage(bmp, 0, 0);
    const rgba = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
    const labels = new Uint8Array(bmp.width * bmp.height);
    for (let i = 0; i < labels.length; i++) labels[i] = rgba[i * 4]!;
    return { labels, width: bmp.width, height: bmp.height };
  } finally {
    bmp.close();
  }
}

export function grabFrame(video: HTMLVideoElement): RgbImage {
  return pixelsOf(video, video.videoWidth, video.videoHeight, 'camera');
}
