// Test photos composed from the two public-domain samples: scaled, rotated, several per picture,
// with where each sample's points land, so expected face positions follow from one detection of
// each sample at its own size.
import { join } from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../../src/image/read.js';

export const ASSETS = join(import.meta.dirname, '..', '..', '..', '.assets');
export const ASTRONAUT = join(ASSETS, 'astronaut.png');
export const GRACE = join(ASSETS, 'grace_hopper.jpg');

export interface Placement { file: string; scale: number; deg: number; left: number; top: number }

/** Maps a point of the original sample into the collage (sharp rotates clockwise about the centre). */
export type PointMap = (x: number, y: number) => [number, number];

export async function collage(width: number, height: number, items: readonly Placement[]): Promise<{ img: RgbImage; maps: PointMap[] }> {
  const layers: sharp.OverlayOptions[] = [];
  const maps: PointMap[] = [];
  for (const it of items) {
    const meta = await sharp(it.file).metadata();
    const w = Math.round(meta.width! * it.scale), h = Math.round(meta.height! * it.scale);
    const { data, info } = await sharp(it.file).removeAlpha().resize(w, h).rotate(it.deg, { background: '#808080' })
      .flatten({ background: '#808080' }).png().toBuffer({ resolveWithObject: true });
    layers.push({ input: data, left: it.left, top: it.top });
    const t = (it.deg * Math.PI) / 180, c = Math.cos(t), s = Math.sin(t);
    const sx = w / meta.width!, sy = h / meta.height!;
    maps.push((x, y) => {
      const dx = x * sx - w / 2, dy = y * sy - h / 2;
      return [it.left + info.width / 2 + c * dx - s * dy, it.top + info.height / 2 + s * dx + c * dy];
    });
  }
  const { data, info } = await sharp({ create: { width, height, channels: 3, background: '#808080' } })
    .composite(layers).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { img: { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, name: 'collage' }, maps };
}
