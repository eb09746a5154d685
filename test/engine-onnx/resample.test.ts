// Pooling and resampling against direct implementations of PyTorch's CPU kernels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, f32, runOps } from './helpers.js';

/** aten upsample_bilinear2d, align_corners=False: src = max(0, (dst + 0.5)·in/out − 0.5). */
function bilinearRef(x: Float32Array, [n, c, h, w]: number[], oh: number, ow: number): Float32Array {
  const out = new Float32Array(n * c * oh * ow);
  const src = (dst: number, inSize: number, outSize: number): [number, number, number] => {
    const s = Math.max(0, (dst + 0.5) * (inSize / outSize) - 0.5);
    const i0 = Math.floor(s);
    const step = i0 < inSize - 1 ? 1 : 0;
    return [i0, i0 + step, s - i0];
  };
  for (let p = 0; p < n * c; p++) for (let y = 0; y < oh; y++) for (let xo = 0; xo < ow; xo++) {
    const [y0, y1, ly] = src(y, h, oh);
    const [x0, x1, lx] = src(xo, w, ow);
    const at = (yy: number, xx: number): number => x[(p * h + yy) * w + xx]!;
    out[(p * oh + y) * ow + xo] =
      (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
  }
  return out;
}

test('interpolateBilinear equals PyTorch align_corners=False: 2× up, 7→3 down, mixed, to 1, identity', async () => {
  const x = f32([1, 2, 7, 5], 9);
  const sizes: [number, number][] = [[14, 10], [3, 3], [4, 11], [1, 1], [7, 5], [5, 2]];
  const res = await runOps({ x }, (ops, v) => Object.fromEntries(sizes.map(([a, b]) => [`s${a}x${b}`, ops.interpolateBilinear(v.x!, [a, b])])));
  for (const [a, b] of sizes) {
    const got = res[`s${a}x${b}`]!;
    assert.deepEqual(got.shape, [1, 2, a, b]);
    assertClose(got.data as Float32Array, bilinearRef(x.data as Float32Array, x.shape, a, b), 2e-6, `bilinear to ${a}×${b}`);
  }
  assertClose(res.s7x5!.data as Float32Array, x.data as Float32Array, 0, 'same-size identity');
});

test('interpolateBilinear keeps the clamp at 0 on a 2× upsample edge (hand-computed values)', async () => {
  // One row [0, 10]: PyTorch 2× → [0, 2.5, 7.5, 10] (the first output clamps to src 0).
  const x = { data: Float32Array.from([0, 10]), shape: [1, 1, 1, 2] };
  const res = await runOps({ x }, (ops, v) => ({ y: ops.interpolateBilinear(v.x!, [1, 4]) }));
  assertClose(res.y!.data as Float32Array, [0, 2.5, 7.5, 10], 0);
});

test('maxPool2d: default stride = kernel, explicit stride and padding (padding never wins)', async () => {
  const x = f32([1, 2, 7, 6], 4);
  const X = x.data as Float32Array;
  const res = await runOps({ x }, (ops, v) => ({ a: ops.maxPool2d(v.x!, 2), b: ops.maxPool2d(v.x!, 3, 2, 1) }));
  const ref = (k: number, s: number, p: number): { data: number[]; shape: number[] } => {
    const ho = Math.floor((7 + 2 * p - k) / s) + 1;
    const wo = Math.floor((6 + 2 * p - k) / s) + 1;
    const data: number[] = [];
    for (let c = 0; c < 2; c++) for (let y = 0; y < ho; y++) for (let xx = 0; xx < wo; xx++) {
      let m = -Infinity;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
        const iy = y * s - p + i;
        const ix = xx * s - p + j;
        if (iy >= 0 && iy < 7 && ix >= 0 && ix < 6) m = Math.max(m, X[(c * 7 + iy) * 6 + ix]!);
      }
      data.push(m);
    }
    return { data, shape: [1, 2, ho, wo] };
  };
  const ra = ref(2, 2, 0);
  const rb = ref(3, 2, 1);
  assert.deepEqual(res.a!.shape, ra.shape);
  assertClose(res.a!.data as Float32Array, ra.data, 0);
  assert.deepEqual(res.b!.shape, rb.shape);
  assertClose(res.b!.data as Float32Array, rb.data, 0);
});

test('adaptiveAvgPool2d: 1×1, divisible and overlapping (non-divisible) bins', async () => {
  const x = f32([2, 3, 7, 6], 8);
  const X = x.data as Float32Array;
  const sizes: [number, number][] = [[1, 1], [7, 3], [3, 4], [2, 6], [6, 5]];
  const res = await runOps({ x }, (ops, v) => Object.fromEntries(sizes.map(([a, b]) => [`p${a}x${b}`, ops.adaptiveAvgPool2d(v.x!, [a, b])])));
  for (const [oh, ow] of sizes) {
    const ref: number[] = [];
    for (let p = 0; p < 6; p++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
      const y0 = Math.floor((i * 7) / oh);
      const y1 = Math.ceil(((i + 1) * 7) / oh);
      const x0 = Math.floor((j * 6) / ow);
      const x1 = Math.ceil(((j + 1) * 6) / ow);
      let s = 0;
      for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) s += X[(p * 7 + y) * 6 + xx]!;
      ref.push(s / ((y1 - y0) * (x1 - x0)));
    }
    assertClose(res[`p${oh}x${ow}`]!.data as Float32Array, ref, 1e-6, `adaptive ${oh}×${ow}`);
  }
});

test('gridSample: bilinear, zeros padding, align_corners=False', async () => {
  const x = f32([1, 2, 4, 5], 3);
  const grid = f32([1, 3, 4, 2], 6); // values in [-2, 2): some samples fall outside
  const X = x.data as Float32Array;
  const G = grid.data as Float32Array;
  const res = await runOps({ x, grid }, (ops, v) => ({ y: ops.gridSample!(v.x!, v.grid!) }));
  const ref: number[] = [];
  const at = (c: number, yy: number, xx: number): number => (yy < 0 || yy >= 4 || xx < 0 || xx >= 5 ? 0 : X[(c * 4 + yy) * 5 + xx]!);
  for (let c = 0; c < 2; c++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) {
    const gx = G[(i * 4 + j) * 2]!;
    const gy = G[(i * 4 + j) * 2 + 1]!;
    const ix = ((gx + 1) * 5 - 1) / 2;
    const iy = ((gy + 1) * 4 - 1) / 2;
    const x0 = Math.floor(ix);
    const y0 = Math.floor(iy);
    const lx = ix - x0;
    const ly = iy - y0;
    ref.push((1 - ly) * ((1 - lx) * at(c, y0, x0) + lx * at(c, y0, x0 + 1)) + ly * ((1 - lx) * at(c, y0 + 1, x0) + lx * at(c, y0 + 1, x0 + 1)));
  }
  assert.deepEqual(res.y!.shape, [1, 2, 3, 4]);
  assertClose(res.y!.data as Float32Array, ref, 1e-5, 'gridSample');
});
