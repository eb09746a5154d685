// One photo with several faces: align each as its model was trained, run the network on the
// crops, paste the logits back at the photo's resolution and composite.
import type { HeadKind } from '../model/classes.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../image/preprocess.js';
import { alignmentFor, type Landmarks5 } from './align.js';
import type { Alignment } from './geometry.js';
import type { FacePaster, Composite } from './paste.js';

/** Which of the detected faces to parse. */
export type FaceSelection = 'all' | 'largest' | number;

export interface FaceLike {
  box: readonly [number, number, number, number];
  score: number;
  landmarks: readonly (readonly [number, number])[];
}

/** Highest score first; 'largest' keeps the biggest box, N the N best. */
export function selectFaces<F extends FaceLike>(faces: readonly F[], which: FaceSelection = 'all'): F[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score);
  if (which === 'all') return sorted;
  if (which === 'largest') {
    return sorted.length === 0 ? [] : [sorted.reduce((m, f) => (f.box[2] * f.box[3] > m.box[2] * m.box[3] ? f : m))];
  }
  return sorted.slice(0, which);
}

/** What parseFaces needs from a network: normalised [n,3,R,R] → logits [n,C,h,h]. */
export interface CanvasModel {
  readonly resolution: number;
  readonly numClasses: number;
  readonly head: HeadKind;
  run(batch: Float32Array, n: number): Promise<{ logits: Float32Array; height: number; width: number }>;
}

export interface FaceCrop {
  /** The aligned model input as RGB, [R,R,3]. */
  rgb: Uint8Array;
  /** Native class ids on the canvas, [h,h]. */
  labels: Uint8Array;
  size: number;
}

export interface FacesParsed extends Composite {
  aligns: Alignment[];
  crops?: FaceCrop[];
  timing: { alignMs: number; inferenceMs: number; pasteMs: number };
}

const now = () => performance.now();

function canvasArgmax(logits: Float32Array, C: number, h: number): Uint8Array {
  // Class-major, like the logits: one sequential pass per class plane (ties keep the lower class).
  const plane = h * h, out = new Uint8Array(plane), bv = new Float32Array(plane).fill(-Infinity);
  for (let c = 0; c < C; c++) {
    const base = c * plane;
    for (let p = 0; p < plane; p++) { const v = logits[base + p]!; if (v > bv[p]!) { bv[p] = v; out[p] = c; } }
  }
  return out;
}

function cropRgb(crop: Float32Array, R: number): Uint8Array {
  const plane = R * R, out = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const base = c * plane, m = IMAGENET_MEAN[c]!, s = IMAGENET_STD[c]!;
    for (let p = 0; p < plane; p++) out[p * 3 + c] = Math.max(0, Math.min(255, Math.round((crop[base + p]! * s + m) * 255)));
  }
  return out;
}

export async function parseFaces(
  photo: { data: Uint8Array; width: number; height: number }, faces: readonly FaceLike[], model: CanvasModel, paster: FacePaster,
  opts: { crops?: boolean } = {},
): Promise<FacesParsed> {
  const R = model.resolution, C = model.numClasses;
  const t0 = now();
  const aligns = faces.map((f) => alignmentFor(model.head, f.landmarks as unknown as Landmarks5, R));
  const inputs = await paster.faceCrops(photo, aligns); // n × [3,R,R]
  const t1 = now();
  // One face per run: the model's sessions stay at batch 1 whatever the number of faces. Each
  // face's logits stay the model's own output array (no copy into one [n,C,h,h] batch).
  const logits: Float32Array[] = [];
  let h = R;
  for (let i = 0; i < faces.length; i++) {
    const out = await model.run(inputs[i]!, 1);
    if (i === 0) h = out.height;
    if (out.height !== h || out.width !== h) throw new Error(`the model returned ${out.height}×${out.width} logits; face parsing needs square maps`);
    logits.push(out.logits.length === C * h * h ? out.logits : out.logits.subarray(0, C * h * h));
  }
  const t2 = now();
  const comp = await paster.composite(photo.width, photo.height, aligns, logits, C, h);
  const t3 = now();
  const crops = opts.crops
    ? faces.map((_, i) => ({ rgb: cropRgb(inputs[i]!, R), labels: canvasArgmax(logits[i]!, C, h), size: h }))
    : undefined;
  return { ...comp, aligns, ...(crops ? { crops } : {}), timing: { alignMs: t1 - t0, inferenceMs: t2 - t1, pasteMs: t3 - t2 } };
}
