// The official SegFace evaluation (inference.py@9416628:54-163, spec §9), accumulated over a
// whole split: dataset-level counts, never per-image averages.
//
// The official code keeps two accumulators, a confusion matrix (cfg.num_classes wide) and the sum
// of per-image 2-D histograms (as wide as the label-name list). With num_classes equal to the
// number of label names — which this port always uses — both hold the same counts hist[gt][pred],
// so one matrix serves for both. (The published test.py defaults --num_classes to 11 even for the
// 19-class CelebAMask-HQ head, which would scramble its confusion matrix; we do not copy that.)

/** Label value excluded from every count (none exist in the three datasets). */
export const IGNORE_LABEL = 255;

export interface SegMetrics {
  classNames: string[];
  /** hist[gt * C + pred], summed over the split. */
  hist: Float64Array;
  /** ×100 */
  pixelAccuracy: number;
  /** ×100, mean over all classes of tp / max(1, gt count). */
  meanAccuracy: number;
  /** ×100 per class, tp / max(1, gt + pred − tp). */
  iou: number[];
  /** ×100, mean over all classes including background. */
  meanIoU: number;
  /** Fractions, in the official order: every class, then (Helen) eyes, brows, mouth, overall. */
  f1: Array<[string, number]>;
  /** Mean F1 over every class except background (merged Helen groups excluded). */
  meanF1: number;
}

/** Summed confusion counts plus the per-class frequencies the long-tail table needs. */
export class ConfusionAccumulator {
  readonly hist: Float64Array;
  /** Number of images whose ground truth contains the class. */
  readonly gtImages: Float64Array;
  images = 0;

  constructor(readonly numClasses: number) {
    this.hist = new Float64Array(numClasses * numClasses);
    this.gtImages = new Float64Array(numClasses);
  }

  /** One image: gt and pred are label maps of equal size. Pixels with gt 255 are skipped. */
  add(gt: ArrayLike<number>, pred: ArrayLike<number>, name = 'an image'): void {
    const C = this.numClasses;
    if (gt.length !== pred.length) {
      throw new Error(`${name}: ground truth has ${gt.length} pixels, prediction ${pred.length}`);
    }
    const h = this.hist;
    const seen = new Uint8Array(C);
    for (let i = 0; i < gt.length; i++) {
      const g = gt[i]!;
      if (g === IGNORE_LABEL) continue;
      const p = pred[i]!;
      // The official fast_histogram asserts 0 <= label < C; say which image broke it.
      if (g >= C || p >= C || g < 0 || p < 0) {
        throw new Error(`${name}: label ${g >= C || g < 0 ? g : p} at pixel ${i} is outside 0..${C - 1}`);
      }
      h[g * C + p]! += 1;
      seen[g] = 1;
    }
    for (let k = 0; k < C; k++) if (seen[k]) this.gtImages[k]! += 1;
    this.images++;
  }

  /** Adds a batch of label maps laid out [b, R, R]. */
  addBatch(gt: Uint8Array, pred: Uint8Array, b: number, names?: readonly string[]): void {
    const n = gt.length / b;
    for (let i = 0; i < b; i++) {
      this.add(gt.subarray(i * n, (i + 1) * n), pred.subarray(i * n, (i + 1) * n), names?.[i]);
    }
  }

  /** Merges another accumulator's counts into this one. */
  merge(o: ConfusionAccumulator): void {
    for (let i = 0; i < this.hist.length; i++) this.hist[i]! += o.hist[i]!;
    for (let k = 0; k < this.numClasses; k++) this.gtImages[k]! += o.gtImages[k]!;
    this.images += o.images;
  }

  /** Ground-truth pixels per class (row sums of the matrix). */
  gtCounts(): Float64Array {
    const C = this.numClasses;
    const out = new Float64Array(C);
    for (let g = 0; g < C; g++) for (let p = 0; p < C; p++) out[g]! += this.hist[g * C + p]!;
    return out;
  }
}

/** Helen's extra merged groups (inference.py@9416628:108-119), by label name. */
const HELEN_GROUPS: Array<[string, string[]]> = [
  ['eyes', ['le', 're']],
  ['brows', ['lb', 'rb']],
  ['mouth', ['ulip', 'imouth', 'llip']],
  ['overall', ['le', 're', 'lb', 'rb', 'nose', 'ulip', 'imouth', 'llip']],
];

/**
 * The official numbers from the summed matrix. `merged` adds Helen's eyes/brows/mouth/overall
 * F1 (only when every member name exists). Division by zero gives NaN, as numpy would.
 */
export function computeMetrics(
  hist: Float64Array, classNames: readonly string[], merged = false,
): SegMetrics {
  const C = classNames.length;
  if (hist.length !== C * C) throw new Error(`confusion matrix has ${hist.length} cells, ${C} classes need ${C * C}`);
  const pos = new Float64Array(C); // gt counts (row sums)
  const res = new Float64Array(C); // prediction counts (column sums)
  const tp = new Float64Array(C);
  for (let g = 0; g < C; g++) {
    for (let p = 0; p < C; p++) {
      const v = hist[g * C + p]!;
      pos[g]! += v;
      res[p]! += v;
    }
    tp[g] = hist[g * C + g]!;
  }
  const sum = (a: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]!; return s; };
  const mean = (a: ArrayLike<number>): number => sum(a) / a.length;
  const pixelAccuracy = (sum(tp) / sum(pos)) * 100;
  const acc = Array.from(tp, (t, k) => t / Math.max(1, pos[k]!));
  const meanAccuracy = mean(acc) * 100;
  const iou = Array.from(tp, (t, k) => (t / Math.max(1, pos[k]! + res[k]! - t)) * 100);
  const meanIoU = mean(iou);

  const groups: Array<[string, number[]]> = classNames.map((n, k) => [n, [k]]);
  if (merged) {
    for (const [name, members] of HELEN_GROUPS) {
      const idx = members.map((m) => classNames.indexOf(m));
      if (idx.every((i) => i >= 0)) groups.push([name, idx]);
    }
  }
  const f1: Array<[string, number]> = [];
  const perClass: number[] = [];
  for (const [name, idx] of groups) {
    let A = 0, B = 0, inter = 0;
    for (const g of idx) A += pos[g]!;
    for (const p of idx) B += res[p]!;
    for (const g of idx) for (const p of idx) inter += hist[g * C + p]!;
    const v = (2 * inter) / (A + B);
    f1.push([name, v]);
    // Mean_F1 covers the real classes after background, never the merged groups.
    if (classNames.indexOf(name) >= 1) perClass.push(v);
  }
  return {
    classNames: [...classNames], hist, pixelAccuracy, meanAccuracy, iou, meanIoU, f1, meanF1: mean(perClass),
  };
}

/** Argmax over the class axis of logits [b, C, H, W] → labels [b, H, W]; first maximum wins. */
export function argmaxLogits(logits: Float32Array, b: number, C: number, hw: number): Uint8Array {
  if (logits.length !== b * C * hw) {
    throw new Error(`logits have ${logits.length} values, expected ${b}×${C}×${hw}`);
  }
  const out = new Uint8Array(b * hw);
  for (let i = 0; i < b; i++) {
    const base = i * C * hw;
    const best = new Float32Array(hw).fill(-Infinity);
    const o = out.subarray(i * hw, (i + 1) * hw);
    for (let c = 0; c < C; c++) {
      const plane = logits.subarray(base + c * hw, base + (c + 1) * hw);
      for (let j = 0; j < hw; j++) {
        const v = plane[j]!;
        // NaN never wins (torch.argmax would pick it; a NaN logit is a model bug either way).
        if (v > best[j]!) { best[j] = v; o[j] = c; }
      }
    }
  }
  return out;
}
