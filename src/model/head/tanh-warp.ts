// FaRL's landmark-driven tanh warp used by the LaPa head (spec §5.4): a similarity transform
// from 5 landmarks to a fixed template, composed with a tanh squashing of the borders.
// Host math only (float64, rounded to float32 grids); sampling is done with the tensor ops.
// Conventions copied from FaRL/facer: grid pixels are integer indices (no half-pixel offset),
// normalised by size (not size−1) to [-1, 1] for grid_sample(align_corners=False).

/** The template in a 512 canvas, as [-1, 1] coordinates (pts / 256 − 1). */
const TEMPLATE = [196, 226, 316, 226, 256, 286, 220, 360.4, 292, 360.4].map((v) => Math.fround(v) / 256 - 1);
export const WARP_FACTOR = 0.8;

type Mat3 = [number, number, number, number, number, number, number, number, number];

/** Least-squares similarity transform from `from` to `to` (5×2 each), facer's closed form. */
export function similarityMatrix(from: ArrayLike<number>, to: ArrayLike<number>): Mat3 {
  const n = from.length / 2;
  let mfx = 0, mfy = 0, mtx = 0, mty = 0;
  for (let i = 0; i < n; i++) { mfx += from[2 * i]!; mfy += from[2 * i + 1]!; mtx += to[2 * i]!; mty += to[2 * i + 1]!; }
  mfx /= n; mfy /= n; mtx /= n; mty /= n;
  let a1 = 0, c1 = 0, c2 = 0;
  for (let i = 0; i < n; i++) {
    const fx = from[2 * i]! - mfx, fy = from[2 * i + 1]! - mfy, tx = to[2 * i]! - mtx, ty = to[2 * i + 1]! - mty;
    a1 += fx * fx + fy * fy;
    c1 += tx * fx + ty * fy;
    c2 += tx * fy - ty * fx;
  }
  const a = c1 / a1, b = c2 / a1;
  const dx = mtx - a * mfx - b * mfy;
  const dy = mty + b * mfx - a * mfy;
  return [a, b, dx, -b, a, dy, 0, 0, 1];
}

/** Matrix mapping original-image pixels to the aligned R×R canvas (get_face_align_matrix). */
export function faceAlignMatrix(landmarks: ArrayLike<number>, size: number): Mat3 {
  const target = TEMPLATE.map((p) => ((p + 1) * (size - 1)) / 2);
  return similarityMatrix(landmarks, target);
}

function invert(m: Mat3): Mat3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A / det, -(b * i - c * h) / det, (b * f - c * e) / det,
    B / det, (a * i - c * g) / det, -(a * f - c * d) / det,
    C / det, -(a * h - b * g) / det, (a * e - b * d) / det,
  ];
}

const safeAtanh = (x: number): number => Math.atanh(Math.min(Math.max(x, -1 + 1e-3), 1 - 1e-3));

/** Applies (inverse) tanh squashing to one normalised coordinate in [-1, 1]. */
function squash(c: number, inverse: boolean): number {
  const k = WARP_FACTOR;
  const f = inverse ? safeAtanh : Math.tanh;
  if (c > 1 - k) return f((c - 1 + k) / k) * k + 1 - k;
  if (c < -1 + k) return f((c + 1 - k) / k) * k - 1 + k;
  return c;
}

/**
 * Grid [B,R,R,2] that samples the original image into the warped R×R canvas
 * (make_tanh_warp_grid; original image assumed R×R too, as in SegFace).
 */
export function tanhWarpGrid(landmarks: ArrayLike<number>, batch: number, size: number): Float32Array {
  const out = new Float32Array(batch * size * size * 2);
  for (let b = 0; b < batch; b++) {
    const inv = invert(faceAlignMatrix(Array.from({ length: 10 }, (_, i) => landmarks[b * 10 + i]!), size));
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const u = ((squash((x / size) * 2 - 1, true) + 1) / 2) * size;
        const v = ((squash((y / size) * 2 - 1, true) + 1) / 2) * size;
        const w = inv[6] * u + inv[7] * v + inv[8];
        const ox = (inv[0] * u + inv[1] * v + inv[2]) / w;
        const oy = (inv[3] * u + inv[4] * v + inv[5]) / w;
        const o = ((b * size + y) * size + x) * 2;
        out[o] = (ox / size) * 2 - 1;
        out[o + 1] = (oy / size) * 2 - 1;
      }
    }
  }
  return out;
}

/** Grid [B,R,R,2] that samples warped-canvas logits back onto the original image (make_inverted_tanh_warp_grid). */
export function inverseTanhWarpGrid(landmarks: ArrayLike<number>, batch: number, size: number): Float32Array {
  const out = new Float32Array(batch * size * size * 2);
  for (let b = 0; b < batch; b++) {
    const m = faceAlignMatrix(Array.from({ length: 10 }, (_, i) => landmarks[b * 10 + i]!), size);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const w = m[6] * x + m[7] * y + m[8];
        const ax = (m[0] * x + m[1] * y + m[2]) / w;
        const ay = (m[3] * x + m[4] * y + m[5]) / w;
        const u = ((squash((ax / size) * 2 - 1, false) + 1) / 2) * size;
        const v = ((squash((ay / size) * 2 - 1, false) + 1) / 2) * size;
        const o = ((b * size + y) * size + x) * 2;
        out[o] = (u / size) * 2 - 1;
        out[o + 1] = (v / size) * 2 - 1;
      }
    }
  }
  return out;
}
