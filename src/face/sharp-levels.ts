// Detector levels in Node from sharp (libvips: antialiased linear reduce, multi-threaded, SIMD)
// instead of ORT's antialiased Resize, which took ~34 ms for the two levels of a 1920×1280 photo.
// libvips reduces in 8-bit, so a level differs from the float Resize by rounding (≤ 0.5/255
// before the [-1, 1] scaling) and by libvips' own filter; the browser keeps the ORT level graph.
import sharp from 'sharp';
import type { LevelSpec, LevelResizer } from './runtime.js';

/** [-1, 1] for each byte value, as the detector's input wants it. */
const TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => (v / 255) * 2 - 1);

/** uint8 [lh,lw,3] → float [lh+py, lw+px, 3] in [-1, 1], 0 (mid-grey) in the padding. */
function detectorInput(u8: Uint8Array, { lw, lh, px, py }: LevelSpec): Float32Array {
  const row = lw * 3, prow = (lw + px) * 3, out = new Float32Array(prow * (lh + py));
  for (let y = 0; y < lh; y++) {
    for (let i = 0, s = y * row, o = y * prow; i < row; i++) out[o + i] = TO_UNIT[u8[s + i]!]!;
  }
  return out;
}

export const sharpLevels: LevelResizer = (photo, specs) => {
  const raw = { width: photo.width, height: photo.height, channels: 3 as const };
  return specs.map(async (l) => {
    const u8 = l.lw === photo.width && l.lh === photo.height
      ? photo.data
      : new Uint8Array(await sharp(photo.data, { raw }).resize(l.lw, l.lh, { fit: 'fill', kernel: 'linear' }).raw().toBuffer());
    return detectorInput(u8, l);
  });
};
