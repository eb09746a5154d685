// Alignment geometry for in-the-wild parsing: a similarity transform from photo to an R×R canvas,
// optionally composed with FaRL's tanh squashing of the borders (spec in-the-wild.md §3).
//
// Pixel conventions. Photo points (landmarks, boxes) are continuous: pixel (i, j) covers
// [i, i+1)×[j, j+1), its centre is (i+0.5, j+0.5) — grid_sample's align_corners=False frame.
// Canvas pixel u is placed at (u + half) before normalising to [-1, 1]: half = 0.5 is the
// consistent choice (CelebA crops), half = 0 is how SegFace trained its LaPa head, and the network
// learned it, so LaPa keeps it. The paste-back map is the exact inverse of the crop map in both
// cases, so a round trip lands where it started.

export type Point = readonly [number, number];

/** u = a·x + b·y + tx, v = −b·x + a·y + ty (rotation + uniform scale + shift). */
export interface Similarity { a: number; b: number; tx: number; ty: number }

export function applySim(m: Similarity, x: number, y: number): [number, number] {
  return [m.a * x + m.b * y + m.tx, -m.b * x + m.a * y + m.ty];
}

export function invertSim(m: Similarity): Similarity {
  const d = m.a * m.a + m.b * m.b;
  const a = m.a / d, b = -m.b / d;
  // x = a'·(u − tx) + b'·(v − ty) with [[a', b'], [−b', a']] = [[a, b], [−b, a]]⁻¹.
  return { a, b, tx: -(a * m.tx + b * m.ty), ty: -(-b * m.tx + a * m.ty) };
}

/** Closed-form least-squares similarity taking `from` onto `to` (spec §3, facer's formula). */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  const n = from.length;
  let mpx = 0, mpy = 0, mqx = 0, mqy = 0;
  for (let i = 0; i < n; i++) { mpx += from[i]![0]; mpy += from[i]![1]; mqx += to[i]![0]; mqy += to[i]![1]; }
  mpx /= n; mpy /= n; mqx /= n; mqy /= n;
  let a1 = 0, c1 = 0, c2 = 0;
  for (let i = 0; i < n; i++) {
    const px = from[i]![0] - mpx, py = from[i]![1] - mpy, qx = to[i]![0] - mqx, qy = to[i]![1] - mqy;
    a1 += px * px + py * py;
    c1 += qx * px + qy * py;
    c2 += qx * py - qy * px;
  }
  const a = c1 / a1, b = c2 / a1;
  return { a, b, tx: mqx - a * mpx - b * mpy, ty: mqy + b * mpx - a * mpy };
}

/** How one face is laid onto the model's canvas. */
export interface Alignment {
  /** Canvas size R. */
  size: number;
  /** Photo (continuous) → linear canvas coordinates (pixels, before the tanh squash). */
  toCanvas: Similarity;
  /** Tanh warp factor k (0: plain similarity crop). */
  warp: number;
  /** Canvas pixel-centre offset (see the header). */
  half: 0 | 0.5;
}

const clampAtanh = (x: number) => Math.atanh(Math.min(Math.max(x, -1 + 1e-3), 1 - 1e-3));

/** Normalised linear coordinate → normalised canvas coordinate (tanh squash of the borders). */
export function squash(c: number, k: number): number {
  if (k <= 0) return c;
  if (c > 1 - k) return Math.tanh((c - 1 + k) / k) * k + 1 - k;
  if (c < -1 + k) return Math.tanh((c + 1 - k) / k) * k - 1 + k;
  return c;
}

/** The inverse of squash (clamped as FaRL does so the far border stays finite). */
export function unsquash(c: number, k: number): number {
  if (k <= 0) return c;
  if (c > 1 - k) return clampAtanh((c - 1 + k) / k) * k + 1 - k;
  if (c < -1 + k) return clampAtanh((c + 1 - k) / k) * k - 1 + k;
  return c;
}

/** Canvas pixel index (u, v) → the photo point (continuous) it shows. */
export function canvasToPhoto(al: Alignment, u: number, v: number, inv = invertSim(al.toCanvas)): [number, number] {
  const R = al.size;
  const ax = ((unsquash(((u + al.half) / R) * 2 - 1, al.warp) + 1) / 2) * R;
  const ay = ((unsquash(((v + al.half) / R) * 2 - 1, al.warp) + 1) / 2) * R;
  return applySim(inv, ax, ay);
}

/** Photo point (continuous) → canvas pixel index coordinates (the inverse of canvasToPhoto). */
export function photoToCanvas(al: Alignment, x: number, y: number): [number, number] {
  const R = al.size;
  const [ax, ay] = applySim(al.toCanvas, x, y);
  return [
    ((squash((ax / R) * 2 - 1, al.warp) + 1) / 2) * R - al.half,
    ((squash((ay / R) * 2 - 1, al.warp) + 1) / 2) * R - al.half,
  ];
}

/**
 * grid_sample grid [R,R,2] that samples a W×H photo into the canvas (align_corners=False), laid
 * into `out` at row stride `rowStride` pairs (so several faces can share one wide grid). With
 * `origin`, the W×H image is the photo's rectangle starting there (see cropFootprint).
 */
export function cropGrid(al: Alignment, width: number, height: number, out = new Float32Array(al.size * al.size * 2), rowStride = al.size, offset = 0, origin: Point = [0, 0]): Float32Array {
  const R = al.size, inv = invertSim(al.toCanvas);
  // Separable up to the similarity: squash each axis once.
  const lin = new Float64Array(R);
  for (let u = 0; u < R; u++) lin[u] = ((unsquash(((u + al.half) / R) * 2 - 1, al.warp) + 1) / 2) * R;
  // Then per column and per row once: the grid is gx = ex[u] + fx[v], gy = ey[u] + fy[v].
  const sx = 2 / width, sy = 2 / height;
  const ex = new Float64Array(R), ey = new Float64Array(R);
  for (let u = 0; u < R; u++) { ex[u] = inv.a * lin[u]! * sx; ey[u] = -inv.b * lin[u]! * sy; }
  for (let v = 0; v < R; v++) {
    const ay = lin[v]!;
    const fx = (inv.b * ay + inv.tx - origin[0]) * sx - 1, fy = (inv.a * ay + inv.ty - origin[1]) * sy - 1;
    let o = offset + v * rowStride * 2;
    for (let u = 0; u < R; u++, o += 2) {
      out[o] = ex[u]! + fx;
      out[o + 1] = ey[u]! + fy;
    }
  }
  return out;
}

/**
 * The photo pixels a face's crop reads: the box around the canvas corners' pre-images (the map is
 * monotonic per axis, so the corners bound it) plus the bilinear neighbours, clipped to the photo.
 * Empty when the crop lies wholly outside the photo.
 */
export function cropFootprint(al: Alignment, width: number, height: number): Region {
  const inv = invertSim(al.toCanvas), R = al.size;
  const xs: number[] = [], ys: number[] = [];
  for (const [u, v] of [[0, 0], [R - 1, 0], [0, R - 1], [R - 1, R - 1]] as const) {
    const [x, y] = canvasToPhoto(al, u, v, inv);
    xs.push(x); ys.push(y);
  }
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  return {
    x0: clip(Math.floor(Math.min(...xs)) - 1, width), x1: clip(Math.ceil(Math.max(...xs)) + 1, width),
    y0: clip(Math.floor(Math.min(...ys)) - 1, height), y1: clip(Math.ceil(Math.max(...ys)) + 1, height),
  };
}

/** A pixel rectangle of the photo: [x0, x1) × [y0, y1). */
export interface Region { x0: number; y0: number; x1: number; y1: number }

/**
 * The photo pixels a face's labels are pasted onto: the pre-image of |linear canvas coordinate| ≤
 * `extent` (2 with the tanh warp, which covers 98 % of the canvas; 1 for a plain crop), clipped.
 */
export function pasteRegion(al: Alignment, width: number, height: number, extent = al.warp > 0 ? 2 : 1): Region {
  const R = al.size, inv = invertSim(al.toCanvas);
  const lo = ((1 - extent) / 2) * R, hi = ((1 + extent) / 2) * R;
  const xs: number[] = [], ys: number[] = [];
  for (const [u, v] of [[lo, lo], [hi, lo], [lo, hi], [hi, hi]] as const) {
    const [x, y] = applySim(inv, u, v);
    xs.push(x); ys.push(y);
  }
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  return {
    x0: clip(Math.floor(Math.min(...xs)), width), x1: clip(Math.ceil(Math.max(...xs)), width),
    y0: clip(Math.floor(Math.min(...ys)), height), y1: clip(Math.ceil(Math.max(...ys)), height),
  };
}

/**
 * grid_sample grid (flattened [P,2]) sampling canvas logits at the pixel centres of `region` that
 * the canvas covers (all of them with the tanh warp; inside the crop square without it), in
 * canvas-normalised coordinates clamped to the outermost pixel centres, with each point's photo
 * pixel index (y·width + x).
 */
export function pasteGrid(al: Alignment, region: Region, width: number): { grid: Float32Array; pixels: Int32Array } {
  const R = al.size, m = al.toCanvas;
  const w = region.x1 - region.x0, h = region.y1 - region.y0;
  const grid = new Float32Array(Math.max(0, w * h * 2));
  const pixels = new Int32Array(Math.max(0, w * h));
  // Canvas index u ↦ grid (u + 0.5)/R·2 − 1; with u = squash(...)·… − half that is squash(c) + shift.
  const shift = ((0.5 - al.half) / R) * 2;
  const limit = 1 - 1 / R; // pixel centres only: the outermost half pixel would blend in zeros
  let k = 0;
  for (let y = 0; y < h; y++) {
    const py = region.y0 + y + 0.5;
    for (let x = 0; x < w; x++) {
      const px = region.x0 + x + 0.5;
      const cx = squash(((m.a * px + m.b * py + m.tx) / R) * 2 - 1, al.warp) + shift;
      const cy = squash(((-m.b * px + m.a * py + m.ty) / R) * 2 - 1, al.warp) + shift;
      if (al.warp > 0 || (Math.abs(cx) <= limit && Math.abs(cy) <= limit)) {
        // Clamped to the outer pixel centres: grid_sample's border padding, which the paste graph
        // gets from the (5× faster in ORT) zeros mode this way.
        grid[2 * k] = Math.min(limit, Math.max(-limit, cx));
        grid[2 * k + 1] = Math.min(limit, Math.max(-limit, cy));
        pixels[k++] = (region.y0 + y) * width + region.x0 + x;
      }
    }
  }
  return { grid: grid.subarray(0, 2 * k), pixels: pixels.subarray(0, k) };
}
