// The official input pipeline (spec §7.1): RGB → PIL bicubic resize to R×R ignoring aspect →
// ÷255 → ImageNet mean/std, laid out NCHW float32.
import { resizeBicubicRgb } from './resize-bicubic.js';
import type { RgbImage } from './read.js';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** Writes one image as [3,R,R] into `out` at element offset `offset`. */
export function preprocessInto(img: RgbImage, resolution: number, out: Float32Array, offset: number): void {
  const r = resolution;
  const px = resizeBicubicRgb(img.data, img.width, img.height, r, r);
  const plane = r * r;
  for (let c = 0; c < 3; c++) {
    // Same float32 arithmetic order as ToTensor then Normalize: (x/255 - mean)/std.
    const mean = Math.fround(IMAGENET_MEAN[c]), std = Math.fround(IMAGENET_STD[c]);
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = Math.fround(Math.fround(Math.fround(px[i * 3 + c] / 255) - mean) / std);
  }
}

/** A batch [n,3,R,R] for the given images. */
export function preprocessBatch(imgs: readonly RgbImage[], resolution: number): Float32Array {
  const per = 3 * resolution * resolution;
  const out = new Float32Array(imgs.length * per);
  imgs.forEach((img, i) => preprocessInto(img, resolution, out, i * per));
  return out;
}
