// Draws docs/in-the-wild.jpg for the README: a group photo composed from the two public-domain
// samples (NASA's astronaut, Grace Hopper), the faces BlazeFace finds with their five landmarks
// (from the 68-point landmark net),
// and each face's aligned crop as the CelebAMask-HQ models see it (geometry only: no model runs).
//   node dist/scripts/wild-picture.js [out.jpg]
import { join } from 'node:path';
import sharp from 'sharp';
import { celebAlignment, type Landmarks5 } from '../src/face/align.js';
import { FaceDetector } from '../src/face/detector.js';
import { nodeRuntime } from '../src/face/node-runtime.js';
import { FacePaster } from '../src/face/paste.js';
import { blazeFaceBytes } from '../src/face/weights.js';
import { LandmarkNet } from '../src/face/landmarks68.js';
import { landmarks68Bytes } from '../src/face/landmarks68-weights.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../src/image/preprocess.js';

const root = join(import.meta.dirname, '..', '..');
const out = process.argv[2] ?? join(root, 'docs', 'in-the-wild.jpg');
const W = 1600, H = 900, R = 512, THUMB = 280;

const items = [
  { file: 'astronaut.png', scale: 1.0, deg: 0, left: 30, top: 200 },
  { file: 'grace_hopper.jpg', scale: 1.1, deg: 28, left: 560, top: 40 },
  { file: 'astronaut.png', scale: 0.3, deg: -20, left: 1330, top: 650 },
];
const layers: sharp.OverlayOptions[] = [];
for (const it of items) {
  const path = join(root, '.assets', it.file);
  const m = await sharp(path).metadata();
  layers.push({ left: it.left, top: it.top, input: await sharp(path).removeAlpha().resize(Math.round(m.width! * it.scale)).rotate(it.deg, { background: '#9aa5a8' }).flatten({ background: '#9aa5a8' }).png().toBuffer() });
}
const { data } = await sharp({ create: { width: W, height: H, channels: 3, background: '#9aa5a8' } }).composite(layers).removeAlpha().raw().toBuffer({ resolveWithObject: true });
const photo = { data: new Uint8Array(data), width: W, height: H, name: 'group' };

const rt = nodeRuntime({ threads: 2 });
const det = await FaceDetector.open(rt, await blazeFaceBytes());
const net = await LandmarkNet.open(rt, await landmarks68Bytes());
const faces = await net.refine(photo, await det.detect(photo));
await Promise.all([det.dispose(), net.dispose()]);
const aligns = faces.map((f) => celebAlignment(f.landmarks as unknown as Landmarks5, R));
const paster = new FacePaster(rt, R);
const crops = await paster.crops(photo, aligns);
await paster.dispose();

const dots = (pts: readonly (readonly [number, number])[], r: number) => pts.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="#ff3d7f"/>`).join('');
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${faces.map((f, i) =>
  `<rect x="${f.box[0]}" y="${f.box[1]}" width="${f.box[2]}" height="${f.box[3]}" fill="none" stroke="#00e5ff" stroke-width="4"/>${dots(f.landmarks, 4)}`
  + `<text x="${f.box[0]}" y="${f.box[1] - 8}" font-family="sans-serif" font-size="26" fill="#00e5ff">${i + 1}</text>`).join('')}</svg>`;
const annotated = await sharp(Buffer.from(photo.data), { raw: { width: W, height: H, channels: 3 } }).composite([{ input: Buffer.from(svg) }]).png().toBuffer();

// Aligned crops, denormalised, with the photo landmarks mapped onto each canvas.
const thumbs: sharp.OverlayOptions[] = [];
for (let i = 0; i < faces.length && i < 3; i++) {
  const rgb = Buffer.alloc(R * R * 3);
  for (let c = 0; c < 3; c++) for (let p = 0; p < R * R; p++) rgb[p * 3 + c] = Math.max(0, Math.min(255, Math.round((crops[(i * 3 + c) * R * R + p]! * IMAGENET_STD[c]! + IMAGENET_MEAN[c]!) * 255)));
  const m = aligns[i]!.toCanvas;
  const lm = faces[i]!.landmarks.map(([x, y]) => [(m.a * x + m.b * y + m.tx) * THUMB / R, (-m.b * x + m.a * y + m.ty) * THUMB / R] as const);
  const label = `<svg xmlns="http://www.w3.org/2000/svg" width="${THUMB}" height="${THUMB}">${dots(lm, 3)}<text x="8" y="28" font-family="sans-serif" font-size="24" fill="#00e5ff">${i + 1}</text></svg>`;
  const thumb = await sharp(rgb, { raw: { width: R, height: R, channels: 3 } }).resize(THUMB, THUMB).composite([{ input: Buffer.from(label) }]).png().toBuffer();
  thumbs.push({ input: thumb, left: W + 20, top: 20 + i * (THUMB + 20) });
}
await sharp({ create: { width: W + THUMB + 40, height: H, channels: 3, background: '#ffffff' } })
  .composite([{ input: annotated, left: 0, top: 0 }, ...thumbs]).jpeg({ quality: 82 }).toFile(out);
console.log(`${out}: ${faces.length} faces; crops 1–${Math.min(3, faces.length)} on the right (CelebA-HQ geometry with the ${1.3}× margin)`);
