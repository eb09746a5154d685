// Face detection with five landmarks on photos of any size: BlazeFace run over an image pyramid
// (whole photo in 256 px, then finer levels down to the smallest face asked for), each level in
// one run of the size-free model (large levels in a few big overlapping windows), plus rotated
// 256-px windows when asked for, merged by weighted NMS in photo coordinates.
import type { RgbImage } from '../image/read.js';
import type { Point } from './geometry.js';
import { fitSimilarity, invertSim, applySim } from './geometry.js';
import { BLAZEFACE_SIZE, decodeBlazeFace, weightedNms, type Candidate } from './blazeface.js';
import { BLAZEFACE_STRIDE, dynamicBlazeFace } from './blazeface-graph.js';
import { TEMPLATE_512, type Landmarks5 } from './align.js';
import { levelGraph, windowsGraph } from './graphs.js';
import type { GraphRuntime, GraphSession, LevelSpec } from './runtime.js';

export interface DetectOptions {
  /** Minimum detector score (default 0.5). */
  threshold?: number;
  /** Smallest face height in photo pixels to look for (default 32); sets the finest tiling. */
  minFace?: number;
  /**
   * Extra in-plane angles (degrees) to search windows at (default none: BlazeFace itself finds
   * heads tilted up to ±60°, measured on the sample photos; add e.g. [90, -90, 180] for more).
   */
  angles?: readonly number[];
}

export interface DetectedFace {
  /** [x, y, width, height] in photo pixels. */
  box: [number, number, number, number];
  score: number;
  /**
   * Image-left eye, image-right eye, nose tip, image-left and image-right mouth corner. BlazeFace
   * gives the mouth centre; the corners are the template's, placed by the 4-point similarity fit.
   */
  landmarks: [number, number][];
  /** In-plane rotation of the head, degrees (positive: clockwise in the image). */
  angle: number;
}

export const DEFAULT_THRESHOLD = 0.5;
export const DEFAULT_MIN_FACE = 32;
export const DEFAULT_ANGLES: readonly number[] = [];

/**
 * Smallest face (box height, detector pixels) BlazeFace-256 finds reliably. Each sample scaled to
 * a 13–18 px box on a mid-grey 256² input, at 4 sub-pixel offsets × tilts 0, ±30°, ±45°: at 16 px
 * the lowest score was 0.73 (astronaut) and 0.86 (Grace Hopper), all 40 found at 0.5; at 13 px
 * 0.56. 16 rather than 18 makes the finest level of a photo 0.79× the pixels (the level's
 * BlazeFace run is the largest cost of detection).
 */
const MIN_DETECTABLE = 16;
/** Largest ratio between the window sides of consecutive pyramid levels. */
const MAX_LEVEL_RATIO = 5;
/**
 * Largest detector input side: a level bigger than this runs in overlapping windows of this size
 * (bounds memory, ~40 MB for the first activation at 1280²).
 */
const MAX_WINDOW = 1280;

/** A detector input cut from a level: origin, size (multiples of the stride), rotation. */
interface Window { ox: number; oy: number; w: number; h: number; angle: number }

const TEMPLATE4: Point[] = [TEMPLATE_512[0], TEMPLATE_512[1], TEMPLATE_512[2], [256, 360.4]];

/** Five alignment landmarks from BlazeFace's eyes, nose and mouth centre (spec §2). */
export function fiveFromBlazeFace(p: ArrayLike<number>): Landmarks5 {
  const four: Point[] = [0, 1, 2, 3].map((k) => [p[2 * k]!, p[2 * k + 1]!] as const);
  const back = invertSim(fitSimilarity(four, TEMPLATE4));
  const corner = (q: Point) => applySim(back, q[0], q[1]);
  return [four[0]!, four[1]!, four[2]!, corner(TEMPLATE_512[3]), corner(TEMPLATE_512[4])];
}

export class FaceDetector {
  /** Level graphs by number of levels (one run resizes them all). */
  private readonly levels = new Map<number, Promise<GraphSession>>();

  private constructor(private readonly runtime: GraphRuntime, private readonly model: GraphSession, private readonly windows: GraphSession) {}

  private levelSession(k: number): Promise<GraphSession> {
    let s = this.levels.get(k);
    if (!s) { s = this.runtime.open(levelGraph(k)); this.levels.set(k, s); }
    return s;
  }

  /** `modelBytes`: face_detection_back_256x256_barracuda.onnx (made size-free here). */
  static async open(runtime: GraphRuntime, modelBytes: Uint8Array): Promise<FaceDetector> {
    const [m, w] = await Promise.all([runtime.open(dynamicBlazeFace(modelBytes)), runtime.open(windowsGraph(BLAZEFACE_SIZE))]);
    const det = new FaceDetector(runtime, m, w);
    if (!runtime.levels) await Promise.all([1, 2].map((k) => det.levelSession(k))); // the usual photo sizes: 1 or 2 levels
    return det;
  }

  async detect(img: RgbImage, opts: DetectOptions = {}): Promise<DetectedFace[]> {
    const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
    const minFace = Math.max(1, opts.minFace ?? DEFAULT_MIN_FACE);
    const angles = opts.angles ?? DEFAULT_ANGLES;
    const S = BLAZEFACE_SIZE, W = img.width, H = img.height;
    // Level scales, coarse to fine in equal ratios: the whole photo in S px down to the level
    // where the smallest face asked for is MIN_DETECTABLE detector pixels tall.
    const top = Math.max(W, H), finest = Math.min(top, Math.max(S / 2, (minFace * S) / MIN_DETECTABLE));
    const steps = Math.ceil(Math.log(top / finest) / Math.log(MAX_LEVEL_RATIO) - 1e-9);
    const ratio = steps > 0 ? (top / finest) ** (1 / steps) : 1;
    const sides = Array.from({ length: steps + 1 }, (_, k) => top / ratio ** k);
    // A face too small for the coarser level must fit whole in some window of this one.
    const overlap = Math.min(0.5, Math.max(0.25, (MIN_DETECTABLE * ratio * 1.1) / S));

    const cands: Candidate[] = [];
    const run = async (input: Float32Array, w: Window) => {
      const res = await this.model.run({ 'input:0': { data: input, shape: [1, w.h, w.w, 3] } });
      return decodeBlazeFace(res['Identity:0']!.data as Float32Array, res['Identity_1:0']!.data as Float32Array,
        res['Identity_2:0']!.data as Float32Array, res['Identity_3:0']!.data as Float32Array, threshold, w.w, w.h);
    };
    // Level sizes, then all levels in one run of the level graph.
    const span = (len: number) => Math.min(MAX_WINDOW, roundUp(len));
    const levels = sides.map((side) => {
      const s = S / side; // photo → level
      const lw = Math.max(1, Math.round(W * s)), lh = Math.max(1, Math.round(H * s));
      // Upright windows: the whole level when it fits MAX_WINDOW, else overlapping big windows
      // (the overlap the 256 tiles had, in level pixels). Sides are rounded up to the stride; the
      // level is padded with 0 (mid-grey) to match.
      const ww = span(lw), wh = span(lh), px = Math.max(0, ww - lw), py = Math.max(0, wh - lh);
      return { lw, lh, ww, wh, px, py };
    });
    const made = this.makeLevels(img, levels);
    for (const m of made) m.catch(() => undefined); // a failed level is thrown where it is awaited, not left unhandled
    for (const [i, { lw, lh, ww, wh, px, py }] of levels.entries()) {
      const sx = lw / W, sy = lh / H;
      const pixels = await made[i]!; // [1,lh+py,lw+px,3]
      const pw = lw + px, ph = lh + py;
      for (const oy of starts(ph, wh, overlap * S)) {
        for (const ox of starts(pw, ww, overlap * S)) {
          const w: Window = { ox, oy, w: ww, h: wh, angle: 0 };
          const input = ww === pw && wh === ph ? pixels : cut(pixels, pw, ph, ox, oy, ww, wh);
          for (const d of await run(input, w)) if (!cutByWindow(d, w, lw, lh)) cands.push(toPhoto(d, w, sx, sy));
        }
      }
      // Rotated windows (only when asked for): S-px windows sampled in one GridSample run.
      if (angles.length > 0) {
        const turned: Window[] = [];
        for (const oy of starts(lh, S, overlap * S)) for (const ox of starts(lw, S, overlap * S)) for (const angle of angles) turned.push({ ox, oy, w: S, h: S, angle });
        const grid = new Float32Array(S * turned.length * S * 2);
        turned.forEach((w, i) => windowGrid(w, pw, ph, grid, turned.length, i));
        const rotated = (await this.windows.run({ image: { data: pixels, shape: [1, ph, pw, 3] }, grid: { data: grid, shape: [1, S, turned.length * S, 2] } })).windows!.data as Float32Array; // [n,S,S,3]
        for (const [k, w] of turned.entries()) {
          for (const d of await run(rotated.subarray(k * S * S * 3, (k + 1) * S * S * 3), w)) cands.push(toPhoto(d, w, sx, sy));
        }
      }
    }
    return weightedNms(cands, 0.3)
      .map(toFace)
      .filter(plausible)
      .filter((f) => f.box[3] >= minFace * 0.8 && f.box[2] > 0 && f.box[0] + f.box[2] > 0 && f.box[1] + f.box[3] > 0 && f.box[0] < W && f.box[1] < H)
      .sort((a, b) => b.score - a.score);
  }

  /** Each level, float NHWC [1,lh+py,lw+px,3]: the runtime's resizer, else one run of the level graph. */
  private makeLevels(img: RgbImage, levels: readonly LevelSpec[]): Promise<Float32Array>[] {
    if (this.runtime.levels) return this.runtime.levels(img, levels);
    const feeds: Record<string, { data: Uint8Array | BigInt64Array; shape: number[] }> = { photo: { data: img.data, shape: [1, img.height, img.width, 3] } };
    levels.forEach((l, i) => { feeds[`size${i}`] = int64([l.lh, l.lw]); feeds[`pad${i}`] = int64([l.py, l.px]); });
    const resized = this.levelSession(levels.length).then((s) => s.run(feeds));
    return levels.map(async (_, i) => (await resized)[`level${i}`]!.data as Float32Array);
  }

  async dispose(): Promise<void> {
    const levels = [...this.levels.values()];
    this.levels.clear();
    await Promise.all([this.model.release(), this.windows.release(), ...levels.map(async (l) => (await l).release())]);
  }
}

const int64 = (v: readonly number[]) => ({ data: BigInt64Array.from(v.map(BigInt)), shape: [v.length] as number[] });

const roundUp = (n: number) => Math.ceil(n / BLAZEFACE_STRIDE) * BLAZEFACE_STRIDE;

/** Window origins covering [0, len) with windows of side `side` overlapping by at least `overlap` px. */
function starts(len: number, side: number, overlap: number): number[] {
  if (len <= side) return [0];
  const n = Math.ceil((len - side) / (side - Math.min(overlap, side / 2))) + 1;
  return Array.from({ length: n }, (_, i) => Math.round(((len - side) * i) / (n - 1)));
}

/** A w×h NHWC window at (ox, oy) of a [ph,pw,3] image; outside the image 0 (mid-grey in [-1, 1]). */
function cut(px: Float32Array, pw: number, ph: number, ox: number, oy: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h * 3);
  const cw = Math.min(w, pw - ox);
  for (let y = 0; y < h && oy + y < ph; y++) out.set(px.subarray(((oy + y) * pw + ox) * 3, ((oy + y) * pw + ox + cw) * 3), y * w * 3);
  return out;
}

/**
 * A box that crosses a window edge inside the level is usually a part of a face (the overlapping
 * window or the coarser level sees all of it).
 */
function cutByWindow(d: { cx: number; cy: number; w: number; h: number }, w: Window, lw: number, lh: number): boolean {
  if (w.angle !== 0) return false;
  return (d.cx - d.w / 2 < 0 && w.ox > 0) || (d.cx + d.w / 2 > w.w && w.ox + w.w < lw)
    || (d.cy - d.h / 2 < 0 && w.oy > 0) || (d.cy + d.h / 2 > w.h && w.oy + w.h < lh);
}

/** Detector pixel (continuous) → level point: rotation by `angle` about the window centre. */
function windowToLevel(w: Window, x: number, y: number): [number, number] {
  const t = (w.angle * Math.PI) / 180, c = Math.cos(t), s = Math.sin(t);
  const dx = x - w.w / 2, dy = y - w.h / 2;
  return [w.ox + w.w / 2 + c * dx - s * dy, w.oy + w.h / 2 + s * dx + c * dy];
}

function windowGrid(w: Window, lw: number, lh: number, grid: Float32Array, n: number, i: number): void {
  const S = BLAZEFACE_SIZE;
  for (let y = 0; y < S; y++) {
    let o = (y * n * S + i * S) * 2;
    for (let x = 0; x < S; x++, o += 2) {
      const [px, py] = windowToLevel(w, x + 0.5, y + 0.5);
      grid[o] = (px / lw) * 2 - 1;
      grid[o + 1] = (py / lh) * 2 - 1;
    }
  }
}

function toPhoto(d: ReturnType<typeof decodeBlazeFace>[number], w: Window, sx: number, sy: number): Candidate {
  const map = (x: number, y: number): [number, number] => {
    const [lx, ly] = windowToLevel(w, x, y);
    return [lx / sx, ly / sy];
  };
  // The axis-aligned photo box around the (possibly rotated) detector box.
  const corners = [[-1, -1], [1, -1], [1, 1], [-1, 1]].map(([a, b]) => map(d.cx + (a! * d.w) / 2, d.cy + (b! * d.h) / 2));
  const xs = corners.map((p) => p[0]), ys = corners.map((p) => p[1]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  const points = new Float64Array(12);
  for (let k = 0; k < 6; k++) { const [x, y] = map(d.points[2 * k]!, d.points[2 * k + 1]!); points[2 * k] = x; points[2 * k + 1] = y; }
  // A rotated window's axis-aligned box is larger than the face; shrink it back by the angle so
  // boxes from different windows of one face overlap well in the NMS.
  const t = (w.angle * Math.PI) / 180, grow = Math.abs(Math.cos(t)) + Math.abs(Math.sin(t));
  const cw = (x1 - x0) / grow, ch = (y1 - y0) / grow;
  return { score: d.score, cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, w: cw, h: ch, points };
}

/**
 * Drops detections whose landmarks are not a face's: on the samples real faces have an eye
 * distance of 0.40–0.46 box widths and the nose 0.53–0.59 eye distances below the eyes; a 0.55
 * false positive on a round badge had 0.07 and 3.3.
 */
function plausible(f: DetectedFace): boolean {
  const [l, r, n] = f.landmarks as [number, number][];
  const iod = Math.hypot(r![0] - l![0], r![1] - l![1]);
  const nose = Math.hypot(n![0] - (l![0] + r![0]) / 2, n![1] - (l![1] + r![1]) / 2);
  return iod >= 0.15 * f.box[2] && iod <= 0.9 * f.box[2] && nose <= 1.5 * iod;
}

function toFace(c: Candidate): DetectedFace {
  const lm = fiveFromBlazeFace(c.points);
  const [l, r] = lm;
  const angle = (Math.atan2(r[1] - l[1], r[0] - l[0]) * 180) / Math.PI;
  return {
    box: [c.cx - c.w / 2, c.cy - c.h / 2, c.w, c.h],
    score: c.score,
    landmarks: lm.map((p) => [p[0], p[1]] as [number, number]),
    angle,
  };
}
