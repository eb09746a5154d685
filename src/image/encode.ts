// Label maps to pictures: 8-bit id PNG, palette colouring, overlay on the photo, binary masks.
import sharp from 'sharp';

// The codec-free parts live in label-pixels.ts (shared with the browser build).
export { binaryMask, colorize, histogram, overlay } from './label-pixels.js';

/** Class ids as an 8-bit greyscale PNG (pixel value = id). */
export function labelsPng(labels: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(labels, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 6 }).toBuffer();
}

export function rgbPng(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
}
