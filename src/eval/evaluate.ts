// The evaluation loop (inference.py@9416628:54-163): per batch logits → (bilinear resize to R, a
// no-op for SegFace) → argmax → summed confusion counts against the labels at resolution R.
// The loop only needs a Predictor, so any engine (ONNX, libtorch, a test double) can be measured.
import { join } from 'node:path';
import { labelsPng } from '../image/encode.js';
import { resizeArgmax } from '../image/postprocess.js';
import { writeFileAtomic } from '../io/write-files.js';
import type { DataLoader } from '../data/loader.js';
import type { Batch } from '../data/types.js';
import { ConfusionAccumulator, argmaxLogits, computeMetrics, type SegMetrics } from './metrics.js';

export interface Logits {
  /** [b, C, height, width] */
  logits: Float32Array;
  height: number;
  width: number;
}

/** A model under test: a batch in, its logits out. */
export type Predictor = (batch: Batch) => Promise<Logits>;

export interface EvaluateOptions {
  classNames: readonly string[];
  /** Helen's merged eyes / brows / mouth / overall F1. */
  merged?: boolean;
  /** Write every prediction as <dir>/<sample name>.png (8-bit class ids at resolution R). */
  savePreds?: string;
  onBatch?: (done: number, total: number) => void;
}

export interface EvaluateResult {
  acc: ConfusionAccumulator;
  metrics: SegMetrics;
  samples: number;
}

/** Class ids [b, R, R] from logits of any spatial size (bilinear, align_corners=False, then argmax). */
export function predictLabels(out: Logits, b: number, numClasses: number, r: number): Uint8Array {
  const { logits, height: h, width: w } = out;
  if (logits.length !== b * numClasses * h * w) {
    throw new Error(`model returned ${logits.length} logits, expected ${b}×${numClasses}×${h}×${w}`);
  }
  // F.interpolate to the same size copies, and softmax does not move the argmax.
  if (h === r && w === r) return argmaxLogits(logits, b, numClasses, r * r);
  const out8 = new Uint8Array(b * r * r);
  for (let i = 0; i < b; i++) out8.set(resizeArgmax(logits, i * numClasses * h * w, numClasses, h, w, r, r), i * r * r);
  return out8;
}

/** File-system-safe name for a sample's prediction file. */
export const predFileName = (name: string): string => `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.png`;

export async function evaluate(loader: DataLoader, predict: Predictor, o: EvaluateOptions): Promise<EvaluateResult> {
  const C = o.classNames.length;
  const acc = new ConfusionAccumulator(C);
  const total = loader.length;
  let done = 0, samples = 0;
  for await (const batch of loader.epoch(0)) {
    const r = batch.resolution;
    const preds = predictLabels(await predict(batch), batch.size, C, r);
    acc.addBatch(batch.labels, preds, batch.size, batch.names);
    if (o.savePreds) {
      await Promise.all(batch.names.map(async (name, i) => {
        const png = await labelsPng(preds.subarray(i * r * r, (i + 1) * r * r), r, r);
        await writeFileAtomic(join(o.savePreds!, predFileName(name)), png);
      }));
    }
    samples += batch.size;
    o.onBatch?.(++done, total);
  }
  return { acc, metrics: computeMetrics(acc.hist, o.classNames, o.merged ?? false), samples };
}
