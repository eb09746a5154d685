// Host-side tables for Swin's window attention, computed exactly as torchvision 0.14 does:
// the relative-position index (v1 and v2), the v2 log-spaced relative-coordinates table, and the
// shifted-window attention mask. Results are cached per (window, padded grid, shift).

/** Padding, effective shift and window count for one attention call on an H×W token grid. */
export interface WindowPlan {
  readonly window: number;
  readonly padB: number;
  readonly padR: number;
  readonly padH: number;
  readonly padW: number;
  /** Shift after torchvision's rule "window ≥ padded size ⇒ no shift in that dim". */
  readonly shiftH: number;
  readonly shiftW: number;
  readonly numWindows: number;
}

export function windowPlan(h: number, w: number, window: number, shift: number): WindowPlan {
  const padB = (window - (h % window)) % window;
  const padR = (window - (w % window)) % window;
  const padH = h + padB;
  const padW = w + padR;
  return {
    window, padB, padR, padH, padW,
    shiftH: window >= padH ? 0 : shift,
    shiftW: window >= padW ? 0 : shift,
    numWindows: (padH / window) * (padW / window),
  };
}

/**
 * relative_position_index [W²·W²] (int64): for query i and key j inside a window,
 * (dy + W − 1)·(2W − 1) + (dx + W − 1) with dy = row_i − row_j, dx = col_i − col_j.
 */
export function relativePositionIndex(window: number): BigInt64Array {
  const n = window * window;
  const out = new BigInt64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = Math.floor(i / window), ci = i % window;
    for (let j = 0; j < n; j++) {
      const rj = Math.floor(j / window), cj = j % window;
      out[i * n + j] = BigInt((ri - rj + window - 1) * (2 * window - 1) + (ci - cj + window - 1));
    }
  }
  return out;
}

/**
 * Swin-V2 relative_coords_table [1, 2W−1, 2W−1, 2] (float32): (dy, dx) scaled to ±8 by
 * 8·d/(W−1), then sign(t)·log2(|t|+1)/3. Every step is rounded to float32 as torch computes it.
 */
export function relativeCoordsTable(window: number): Float32Array {
  const f = Math.fround;
  const side = 2 * window - 1;
  const out = new Float32Array(side * side * 2);
  const squash = (d: number): number => {
    const t = f(f(f(d) / f(window - 1)) * 8);
    const a = f(Math.log2(f(Math.abs(t) + 1)));
    return f(f(Math.sign(t) * a) / 3);
  };
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      out[(y * side + x) * 2] = squash(y - (window - 1));
      out[(y * side + x) * 2 + 1] = squash(x - (window - 1));
    }
  }
  return out;
}

/** Python slice bounds [start, end) on a length-n axis (negative values count from the end). */
function pySlice(start: number, end: number | null, n: number): [number, number] {
  const norm = (v: number): number => Math.min(n, Math.max(0, v < 0 ? v + n : v));
  const s = norm(start);
  const e = end === null ? n : norm(end);
  return [s, Math.max(s, e)];
}

const maskCache = new Map<string, Float32Array>();

/**
 * The shifted-window mask [numWindows, W², W²] on the padded grid: region labels from the slices
 * [0, −W), [−W, −s), [−s, end) per axis (Python semantics, so a zero shift makes the last slice
 * the whole axis, as in torchvision); pairs of tokens from different regions get −100.
 */
export function shiftedWindowMask(plan: WindowPlan): Float32Array {
  const { window: ws, padH, padW, shiftH, shiftW, numWindows } = plan;
  const key = `${ws}:${padH}:${padW}:${shiftH}:${shiftW}`;
  const hit = maskCache.get(key);
  if (hit) return hit;

  const label = new Int32Array(padH * padW);
  const hs = [pySlice(0, -ws, padH), pySlice(-ws, -shiftH, padH), pySlice(-shiftH, null, padH)];
  const wsl = [pySlice(0, -ws, padW), pySlice(-ws, -shiftW, padW), pySlice(-shiftW, null, padW)];
  let count = 0;
  for (const [h0, h1] of hs) {
    for (const [w0, w1] of wsl) {
      for (let y = h0; y < h1; y++) for (let x = w0; x < w1; x++) label[y * padW + x] = count;
      count++;
    }
  }

  const n = ws * ws;
  const perRow = padW / ws;
  const out = new Float32Array(numWindows * n * n);
  const win = new Int32Array(n);
  for (let wi = 0; wi < numWindows; wi++) {
    const oy = Math.floor(wi / perRow) * ws, ox = (wi % perRow) * ws;
    for (let t = 0; t < n; t++) win[t] = label[(oy + Math.floor(t / ws)) * padW + ox + (t % ws)]!;
    const base = wi * n * n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) if (win[i] !== win[j]) out[base + i * n + j] = -100;
    }
  }
  maskCache.set(key, out);
  return out;
}

const indexCache = new Map<number, BigInt64Array>();

/** Cached relativePositionIndex (shared by every block with the same window). */
export function cachedRelativePositionIndex(window: number): BigInt64Array {
  let idx = indexCache.get(window);
  if (!idx) indexCache.set(window, (idx = relativePositionIndex(window)));
  return idx;
}
