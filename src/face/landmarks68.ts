// True mouth corners: face-api's 68-point landmark net run on a square crop around each BlazeFace
// face, turned upright by BlazeFace's eye line (so tilted heads look as the net was trained), all
// faces of a photo in one crop run and one network run. BlazeFace gives the eyes, nose tip and
// only the mouth *centre* (the corners were template estimates); the five alignment points are
// taken from the net's 68 instead.
import { GraphBuilder, type OnnxValue } from '../engine/onnx/graph.js';
import type { RgbImage } from '../image/read.js';
import type { DetectedFace } from './detector.js';
import { one } from './graphs.js';
import { LANDMARK_INPUT, LANDMARK_POINTS } from './landmarks68-onnx.js';
import type { GraphRuntime, GraphSession } from './runtime.js';

/** Photo → net input sampled at SUPERSAMPLE² points per input pixel and averaged (antialiasing). */
const SUPERSAMPLE = 2;

/**
 * Crop square side ÷ BlazeFace box side, and the crop centre's shift along the face's down axis
 * (÷ box side). On the rotated and scaled samples the net's
 * points are steadiest at 1.15 (docs/in-the-wild.md: worst 0.072 eye distances, 0.133 at 1.0,
 * 0.087 at 1.3); the shift was not tuned.
 */
export const CROP_SCALE = 1.15;
export const CROP_DOWN = 0.05;

/** Where the net's input square lies in the photo: centre, side, in-plane angle (radians, clockwise). */
export interface LandmarkCrop { cx: number; cy: number; side: number; angle: number }

/** The upright crop square for a detected face. */
export function cropFor(face: Pick<DetectedFace, 'box' | 'angle'>, scale = CROP_SCALE, down = CROP_DOWN): LandmarkCrop {
  const [x, y, w, h] = face.box;
  const side = Math.max(w, h), t = (face.angle * Math.PI) / 180;
  // Down in the face's frame is (−sin t, cos t) in the photo.
  return { cx: x + w / 2 - Math.sin(t) * down * side, cy: y + h / 2 + Math.cos(t) * down * side, side: side * scale, angle: t };
}

/** A crop's unit square point (u, v ∈ [0, 1], x right / y down in the upright face) → photo point. */
export function cropToPhoto(c: LandmarkCrop, u: number, v: number): [number, number] {
  const cos = Math.cos(c.angle), sin = Math.sin(c.angle);
  const a = (u - 0.5) * c.side, b = (v - 0.5) * c.side;
  return [c.cx + cos * a - sin * b, c.cy + sin * a + cos * b];
}

/**
 * photo uint8 [1,H,W,3] + grid [1,S·112,n·S·112,2] → the net's input [n,112,112,3] (RGB 0..255):
 * one GridSample for all faces, then an S×S average.
 */
export function landmarkCropGraph(): Uint8Array {
  const N = LANDMARK_INPUT, S = SUPERSAMPLE;
  const g = new GraphBuilder('segface_landmark_crop');
  const photo = g.input('photo', [1, 0, 0, 3], 'uint8');
  g.setDimParam('photo', 1, 'H');
  g.setDimParam('photo', 2, 'W');
  const img = one(g, 'Transpose', [one(g, 'Cast', [photo], { to: 1 })], { perm: [0, 3, 1, 2] }); // [1,3,H,W]
  const grid = g.input('grid', [1, S * N, 0, 2]);
  g.setDimParam('grid', 2, 'nSN');
  const s = one(g, 'GridSample', [img, grid], { mode: 'linear', padding_mode: 'zeros', align_corners: 0 }); // [1,3,S·N,n·S·N]
  const p = one(g, 'AveragePool', [s], { kernel_shape: [S, S], strides: [S, S] }); // [1,3,N,n·N]
  const r = one(g, 'Reshape', [p, g.initializer(BigInt64Array.from([3n, BigInt(N), -1n, BigInt(N)]), [4], 'int64')]); // [3,N,n,N]
  g.output({ name: one(g, 'Transpose', [r], { perm: [2, 1, 3, 0] }).name, shape: [0, N, N, 3], dtype: 'float32' }, 'input'); // [n,N,N,3]
  g.setDimParam('input', 0, 'n');
  return g.serialize();
}

/** A crop's pixels in the mosaic: the photo rectangle [x0,x1)×[y0,y1) copied to column dx, row 0. */
export interface Tile { x0: number; y0: number; x1: number; y1: number; dx: number }

export interface Mosaic { data: Uint8Array; width: number; height: number; tiles: Tile[] }

/**
 * Only the photo pixels the crops read, copied side by side with a zero column between them
 * (uint8 NHWC, row copies): the crop graph casts and transposes its whole input, which for a
 * 2000-px photo cost more than the net itself.
 */
export function landmarkMosaic(img: RgbImage, crops: readonly LandmarkCrop[]): Mosaic {
  const W = img.width, H = img.height;
  let dx = 1, height = 1;
  const tiles = crops.map((c): Tile => {
    const xs: number[] = [], ys: number[] = [];
    for (const [u, v] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) { const [x, y] = cropToPhoto(c, u, v); xs.push(x); ys.push(y); }
    const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
    // 2 px beyond the square: bilinear taps of its outermost samples.
    const x0 = clip(Math.floor(Math.min(...xs)) - 2, W), x1 = clip(Math.ceil(Math.max(...xs)) + 2, W);
    const y0 = clip(Math.floor(Math.min(...ys)) - 2, H), y1 = clip(Math.ceil(Math.max(...ys)) + 2, H);
    const t = { x0, y0, x1: Math.max(x0, x1), y1: Math.max(y0, y1), dx };
    dx += t.x1 - t.x0 + 1;
    height = Math.max(height, t.y1 - t.y0);
    return t;
  });
  const width = dx, data = new Uint8Array(width * height * 3);
  for (const t of tiles) {
    for (let y = t.y0; y < t.y1; y++) data.set(img.data.subarray((y * W + t.x0) * 3, (y * W + t.x1) * 3), ((y - t.y0) * width + t.dx) * 3);
  }
  return { data, width, height, tiles };
}

/**
 * The crops' sampling grid into the mosaic, side by side: [1, S·112, n·S·112, 2],
 * align_corners=False. Samples more than half a pixel off their tile lie outside the photo: they
 * are sent outside the mosaic (zeros, as GridSample pads the photo).
 */
export function landmarkGrid(crops: readonly LandmarkCrop[], m: Mosaic): Float32Array {
  const M = LANDMARK_INPUT * SUPERSAMPLE, n = crops.length;
  const grid = new Float32Array(M * n * M * 2);
  crops.forEach((c, i) => {
    const t = m.tiles[i]!;
    // cropToPhoto, unrolled: mosaic point = origin + a·eu + b·ev.
    const [x0, y0] = cropToPhoto(c, 0, 0), [x1, y1] = cropToPhoto(c, 1, 0), [x2, y2] = cropToPhoto(c, 0, 1);
    const ox = x0 - t.x0 + t.dx, oy = y0 - t.y0, ux = x1 - x0, uy = y1 - y0, vx = x2 - x0, vy = y2 - y0;
    // Beyond half a pixel off the tile both bilinear taps are outside it (zero in the photo too).
    const lo = t.dx - 0.5, hi = t.dx + t.x1 - t.x0 + 0.5, bottom = t.y1 - t.y0 + 0.5;
    const sx = 2 / m.width, sy = 2 / m.height;
    for (let v = 0; v < M; v++) {
      let o = (v * n * M + i * M) * 2;
      const b = (v + 0.5) / M;
      for (let u = 0; u < M; u++, o += 2) {
        const a = (u + 0.5) / M;
        const x = ox + a * ux + b * vx, y = oy + a * uy + b * vy;
        const inside = x >= lo && x <= hi && y >= -0.5 && y <= bottom;
        grid[o] = inside ? x * sx - 1 : -3;
        grid[o + 1] = inside ? y * sy - 1 : -3;
      }
    }
  });
  return grid;
}

const mean = (pts: Float64Array, from: number, to: number): [number, number] => {
  let x = 0, y = 0;
  for (let k = from; k <= to; k++) { x += pts[2 * k]!; y += pts[2 * k + 1]!; }
  return [x / (to - from + 1), y / (to - from + 1)];
};

/**
 * The five alignment points from 68 (iBUG order, spec §3): eyes = mean of 36–41 and 42–47, nose
 * tip 30, mouth corners 48 and 54 (image-left first for an upright face).
 */
export function fiveFrom68(pts: Float64Array): [number, number][] {
  return [mean(pts, 36, 41), mean(pts, 42, 47), [pts[60]!, pts[61]!], [pts[96]!, pts[97]!], [pts[108]!, pts[109]!]];
}

/** Which of the five points come from the 68-point net (the rest stay BlazeFace's). */
export type LandmarkSource = 'corners' | 'all';

export class LandmarkNet {
  private constructor(private readonly net: GraphSession, private readonly crop: GraphSession) {}

  /** `modelBytes`: face_landmark_68.onnx (landmarks68-weights.ts). */
  static async open(runtime: GraphRuntime, modelBytes: Uint8Array): Promise<LandmarkNet> {
    const [net, crop] = await Promise.all([runtime.open(modelBytes), runtime.open(landmarkCropGraph())]);
    return new LandmarkNet(net, crop);
  }

  /** The net's raw output for inputs [n,112,112,3] (RGB 0..255): [n,136] in [0, 1] of the square. */
  async run(input: Float32Array, n: number): Promise<Float32Array> {
    const N = LANDMARK_INPUT;
    return (await this.net.run({ input: { data: input, shape: [n, N, N, 3] } })).landmarks!.data as Float32Array;
  }

  /** The net's inputs for crops of a photo, [n,112,112,3] (sampled from `m`, by default the crops' mosaic). */
  async inputs(img: RgbImage, crops: readonly LandmarkCrop[], m = landmarkMosaic(img, crops)): Promise<Float32Array> {
    const M = LANDMARK_INPUT * SUPERSAMPLE;
    const grid = landmarkGrid(crops, m);
    const res = await this.crop.run({ photo: { data: m.data, shape: [1, m.height, m.width, 3] }, grid: { data: grid, shape: [1, M, crops.length * M, 2] } });
    return res.input!.data as Float32Array;
  }

  /** 68 points per crop in photo coordinates (x, y interleaved). */
  async points(img: RgbImage, crops: readonly LandmarkCrop[]): Promise<Float64Array[]> {
    if (crops.length === 0) return [];
    const out = await this.run(await this.inputs(img, crops), crops.length);
    return crops.map((c, i) => {
      const pts = new Float64Array(2 * LANDMARK_POINTS);
      for (let k = 0; k < LANDMARK_POINTS; k++) {
        const [x, y] = cropToPhoto(c, out[i * 2 * LANDMARK_POINTS + 2 * k]!, out[i * 2 * LANDMARK_POINTS + 2 * k + 1]!);
        pts[2 * k] = x; pts[2 * k + 1] = y;
      }
      return pts;
    });
  }

  /**
   * The faces with the net's five points (default), or only its mouth corners with BlazeFace's
   * eyes and nose ('corners'); the angle follows the eyes. 'all' is the default because it is
   * the steadier under rotation and scale (docs/in-the-wild.md: worst of the five points 0.030
   * eye distances median against 0.069).
   */
  async refine<F extends DetectedFace>(img: RgbImage, faces: readonly F[], source: LandmarkSource = 'all'): Promise<F[]> {
    const pts = await this.points(img, faces.map((f) => cropFor(f)));
    return faces.map((f, i) => {
      const five = fiveFrom68(pts[i]!);
      const lm = source === 'all' ? five : [f.landmarks[0]!, f.landmarks[1]!, f.landmarks[2]!, five[3]!, five[4]!];
      const l = lm[0]!, r = lm[1]!;
      return { ...f, landmarks: lm.map((p) => [p[0], p[1]] as [number, number]), angle: (Math.atan2(r[1] - l[1], r[0] - l[0]) * 180) / Math.PI };
    });
  }

  async dispose(): Promise<void> {
    await Promise.all([this.net.release(), this.crop.release()]);
  }
}
