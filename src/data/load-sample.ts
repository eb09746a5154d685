// Decoding and preprocessing of one sample (runs inside loader workers, or inline with 0 workers):
// PIL-exact bicubic image resize and nearest label resize to R×R ignoring aspect, ImageNet
// normalisation (src/image/preprocess.ts), plus LaPa's training affine and Helen's crop.
import { UserError } from '../errors.js';
import { Rng } from '../model/init.js';
import { preprocessInto } from '../image/preprocess.js';
import { readImage, type RgbImage } from '../image/read.js';
import { loadCelebRaw } from './celebamask-hq.js';
import { affineBicubicRgb, affineNearest, crop, inverseAffine, resizeNearest, transformLandmarks } from './geometry.js';
import { helenCropBox, helenFivePoints } from './helen.js';
import { lapaFivePoints } from './lapa.js';
import { readGray, type GrayImage } from './read-gray.js';
import { DATASET_IDS, type HelenSpec, type LapaSpec, type LoadOptions, type Sample, type SampleSpec } from './types.js';

/** LaPa training augmentation ranges (lapa.py@9416628:89-128). */
export const LAPA_AUG = { maxAngle: 30, minScale: 0.5, maxScale: 3, maxShift: 20 } as const;

function finish(name: string, dataset: number, image: RgbImage, label: GrayImage, lnm: Float32Array, r: number): Sample {
  const img = new Float32Array(3 * r * r);
  preprocessInto(image, r, img, 0);
  return { name, dataset, image: img, label: resizeNearest(label.data, label.width, label.height, r, r), lnm };
}

function sameSize(image: RgbImage, label: GrayImage, labelPath: string): void {
  if (image.width !== label.width || image.height !== label.height) {
    throw new UserError(`${labelPath}: label is ${label.width}×${label.height} but its image ${image.name} is ${image.width}×${image.height}`);
  }
}

async function loadLapa(spec: LapaSpec, o: LoadOptions): Promise<Sample> {
  const r = o.resolution;
  let [image, label] = await Promise.all([readImage(spec.image), readGray(spec.label)]);
  sameSize(image, label, spec.label);
  const w = image.width, h = image.height;
  let lm: Float64Array = Float64Array.from(spec.landmarks);
  if (o.augmentSeed != null) {
    // Draw order as in the official code: angle, scale, shift x, shift y (random.uniform(a, b)).
    const rng = new Rng(o.augmentSeed);
    const u = (a: number, b: number) => a + (b - a) * rng.uniform();
    const angle = u(-LAPA_AUG.maxAngle, LAPA_AUG.maxAngle);
    const scale = u(LAPA_AUG.minScale, LAPA_AUG.maxScale);
    const t: [number, number] = [u(-LAPA_AUG.maxShift, LAPA_AUG.maxShift), u(-LAPA_AUG.maxShift, LAPA_AUG.maxShift)];
    const center: [number, number] = [w / 2, h / 2];
    const m = inverseAffine(center, angle, t, scale);
    image = { ...image, data: affineBicubicRgb(image.data, w, h, m) };
    label = { ...label, data: affineNearest(label.data, w, h, m) };
    lm = transformLandmarks(lm, center, angle, scale, t);
  }
  if (o.augmentSeed != null) {
    // Train branch: float64 landmarks scaled, five points taken, then stored as float32.
    for (let i = 0; i < lm.length; i += 2) { lm[i]! *= r / w; lm[i + 1]! *= r / h; }
    return finish(spec.name, DATASET_IDS.lapa, image, label, lapaFivePoints(lm), r);
  }
  // Test branch: numpy stays in float32 (five points from the float32 file values, then scaled).
  const f = Math.fround;
  const l32 = Float32Array.from(spec.landmarks);
  const five = lapaFivePoints(l32, true);
  const sx = f(r / w), sy = f(r / h);
  for (let i = 0; i < 10; i += 2) { five[i] = f(five[i]! * sx); five[i + 1] = f(five[i + 1]! * sy); }
  return finish(spec.name, DATASET_IDS.lapa, image, label, five, r);
}

async function loadHelen(spec: HelenSpec, o: LoadOptions): Promise<Sample> {
  const r = o.resolution;
  const [image, label] = await Promise.all([readImage(spec.image), readGray(spec.label)]);
  sameSize(image, label, spec.label);
  const lm = Float64Array.from(spec.landmarks, (v) => v * 0.5);
  const [x1, y1, x2, y2] = helenCropBox(lm, image.width, image.height);
  if (x2 <= x1 || y2 <= y1) throw new UserError(`${spec.image}: the landmark box lies outside the image`);
  const cw = x2 - x1, ch = y2 - y1;
  const img: RgbImage = { ...image, data: crop(image.data, image.width, 3, x1, y1, x2, y2), width: cw, height: ch };
  const lbl: GrayImage = { data: crop(label.data, label.width, 1, x1, y1, x2, y2), width: cw, height: ch };
  for (let i = 0; i < lm.length; i += 2) { lm[i] = (lm[i]! - x1) * (r / cw); lm[i + 1] = (lm[i + 1]! - y1) * (r / ch); }
  return finish(spec.name, DATASET_IDS.helen, img, lbl, helenFivePoints(lm), r);
}

/** Decodes and preprocesses one sample at resolution R. */
export async function loadSample(spec: SampleSpec, o: LoadOptions): Promise<Sample> {
  switch (spec.kind) {
    case 'celebamask_hq': {
      // No augmentation for CelebAMask-HQ: train and test branches are identical (spec §7.2).
      const { image, label } = await loadCelebRaw(spec);
      return finish(spec.name, DATASET_IDS.celebamask_hq, image, label, new Float32Array(10), o.resolution);
    }
    case 'lapa': return loadLapa(spec, o);
    case 'helen': return loadHelen(spec, o);
  }
}
