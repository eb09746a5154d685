// Conv, conv-transpose, linear, matmul and the norms against direct TypeScript references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, f32, runOps } from './helpers.js';

function conv2dRef(
  x: Float32Array, [n, c, h, w]: number[], wt: Float32Array, [o, cg, kh, kw]: number[], b: Float32Array | null,
  s: [number, number], p: [number, number], d: [number, number], g: number,
): { data: Float32Array; shape: number[] } {
  const ho = Math.floor((h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const wo = Math.floor((w + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const out = new Float32Array(n * o * ho * wo);
  const og = o / g;
  for (let ni = 0; ni < n; ni++) for (let oc = 0; oc < o; oc++) for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
    let acc = b ? b[oc]! : 0;
    const grp = Math.floor(oc / og);
    for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const iy = oy * s[0] - p[0] + ky * d[0];
      const ix = ox * s[1] - p[1] + kx * d[1];
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
      const ic = grp * cg + ci;
      acc += x[((ni * c + ic) * h + iy) * w + ix]! * wt[((oc * cg + ci) * kh + ky) * kw + kx]!;
    }
    out[((ni * o + oc) * ho + oy) * wo + ox] = acc;
  }
  return { data: out, shape: [n, o, ho, wo] };
}

function convT2dRef(
  x: Float32Array, [n, c, h, w]: number[], wt: Float32Array, [, ocg, kh, kw]: number[], b: Float32Array | null,
  s: number, p: number, op: number, d: number, g: number,
): { data: Float32Array; shape: number[] } {
  const o = ocg * g;
  const ho = (h - 1) * s - 2 * p + d * (kh - 1) + op + 1;
  const wo = (w - 1) * s - 2 * p + d * (kw - 1) + op + 1;
  const out = new Float32Array(n * o * ho * wo);
  for (let ni = 0; ni < n; ni++) for (let oc = 0; oc < o; oc++) for (let i = 0; i < ho * wo; i++) out[(ni * o + oc) * ho * wo + i] = b ? b[oc]! : 0;
  const cgIn = c / g;
  for (let ni = 0; ni < n; ni++) for (let ic = 0; ic < c; ic++) for (let iy = 0; iy < h; iy++) for (let ix = 0; ix < w; ix++) {
    const grp = Math.floor(ic / cgIn);
    const v = x[((ni * c + ic) * h + iy) * w + ix]!;
    for (let oc = 0; oc < ocg; oc++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const oy = iy * s - p + ky * d;
      const ox = ix * s - p + kx * d;
      if (oy < 0 || oy >= ho || ox < 0 || ox >= wo) continue;
      out[((ni * o + grp * ocg + oc) * ho + oy) * wo + ox] += v * wt[((ic * ocg + oc) * kh + ky) * kw + kx]!;
    }
  }
  return { data: out, shape: [n, o, ho, wo] };
}

test('conv2d: per-axis stride and padding, dilation, groups, bias', async () => {
  const cases = [
    { x: [1, 3, 7, 6], w: [4, 3, 3, 3], s: [1, 1], p: [1, 1], d: [1, 1], g: 1, bias: true },
    { x: [2, 4, 9, 8], w: [6, 2, 3, 2], s: [2, 1], p: [1, 0], d: [2, 1], g: 2, bias: false },
    { x: [1, 4, 5, 5], w: [4, 1, 3, 3], s: [2, 2], p: [1, 1], d: [1, 1], g: 4, bias: true }, // depthwise
  ] as const;
  for (const k of cases) {
    const x = f32([...k.x], 3);
    const w = f32([...k.w], 5);
    const b = f32([k.w[0]], 7);
    const res = await runOps({ x, w, b }, (ops, v) => ({
      y: ops.conv2d(v.x!, v.w!, k.bias ? v.b! : null, { stride: k.s, padding: k.p, dilation: k.d, groups: k.g }),
    }));
    const ref = conv2dRef(x.data as Float32Array, [...k.x], w.data as Float32Array, [...k.w], k.bias ? (b.data as Float32Array) : null,
      [...k.s], [...k.p], [...k.d], k.g);
    assert.deepEqual(res.y!.shape, ref.shape);
    assertClose(res.y!.data as Float32Array, ref.data, 1e-5, 'conv2d');
  }
});

test('convTranspose2d: PyTorch weight layout [in, out/g, kh, kw], padding, output padding, groups', async () => {
  const cases = [
    { x: [1, 3, 4, 5], w: [3, 2, 2, 2], s: 2, p: 0, op: 0, d: 1, g: 1 }, // the SegFace upsampler shape
    { x: [2, 4, 3, 3], w: [4, 3, 3, 3], s: 2, p: 1, op: 1, d: 1, g: 2 },
    { x: [1, 2, 3, 4], w: [2, 1, 3, 3], s: 1, p: 1, op: 0, d: 2, g: 1 },
  ] as const;
  for (const k of cases) {
    const x = f32([...k.x], 11);
    const w = f32([...k.w], 13);
    const b = f32([k.w[1] * k.g], 17);
    const res = await runOps({ x, w, b }, (ops, v) => ({
      y: ops.convTranspose2d(v.x!, v.w!, v.b!, { stride: k.s, padding: k.p, outputPadding: k.op, dilation: k.d, groups: k.g }),
    }));
    const ref = convT2dRef(x.data as Float32Array, [...k.x], w.data as Float32Array, [...k.w], b.data as Float32Array, k.s, k.p, k.op, k.d, k.g);
    assert.deepEqual(res.y!.shape, ref.shape);
    assertClose(res.y!.data as Float32Array, ref.data, 1e-5, 'convTranspose2d');
  }
});

function matmulRef(a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number, bBatched: boolean): Float32Array {
  const out = new Float32Array(batch * m * n);
  for (let t = 0; t < batch; t++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let q = 0; q < k; q++) acc += a[(t * m + i) * k + q]! * b[((bBatched ? t : 0) * k + q) * n + j]!;
    out[(t * m + i) * n + j] = acc;
  }
  return out;
}

test('linear (Gemm, transB) with an input weight, an initializer weight, 2-D/3-D/1-D inputs', async () => {
  const x = f32([2, 3, 5], 1);
  const w = f32([4, 5], 2);
  const b = f32([4], 3);
  const wT = new Float32Array(20);
  for (let o = 0; o < 4; o++) for (let i = 0; i < 5; i++) wT[i * 4 + o] = (w.data as Float32Array)[o * 5 + i]!;
  const ref = matmulRef(x.data as Float32Array, wT, 1, 6, 5, 4, false).map((v, i) => v + (b.data as Float32Array)[i % 4]!);
  const res = await runOps({ x, w, b }, (ops, v) => {
    const wc = ops.constant(w.data as Float32Array, [4, 5]);
    return {
      y: ops.linear(v.x!, v.w!, v.b!), z: ops.linear(v.x!, wc, v.b!), nb: ops.linear(v.x!, wc, null),
      two: ops.linear(ops.reshape(v.x!, [6, 5]), v.w!, v.b!), one: ops.linear(ops.slice(ops.reshape(v.x!, [-1]), 0, 0, 5), v.w!, v.b!),
    };
  });
  assert.deepEqual(res.two!.shape, [6, 4]);
  assertClose(res.two!.data as Float32Array, ref, 1e-5, 'linear (2-D input)');
  assert.deepEqual(res.one!.shape, [4]);
  assertClose(res.one!.data as Float32Array, ref.slice(0, 4), 1e-5, 'linear (1-D input)');
  assertClose(res.y!.data as Float32Array, ref, 1e-5, 'linear (input weight)');
  assertClose(res.z!.data as Float32Array, ref, 1e-5, 'linear (initializer weight)');
  assertClose(res.nb!.data as Float32Array, matmulRef(x.data as Float32Array, wT, 1, 6, 5, 4, false), 1e-5, 'linear (no bias)');
});

test('matmul broadcasts leading dims and handles 1-D operands', async () => {
  const a = f32([2, 3, 4], 1);
  const b = f32([4, 5], 2);
  const b3 = f32([2, 4, 5], 4);
  const v = f32([4], 3);
  const res = await runOps({ a, b, b3, v }, (ops, x) => ({
    ab: ops.matmul(x.a!, x.b!), ab3: ops.matmul(x.a!, x.b3!), av: ops.matmul(x.a!, x.v!), vb: ops.matmul(x.v!, x.b!),
  }));
  assertClose(res.ab!.data as Float32Array, matmulRef(a.data as Float32Array, b.data as Float32Array, 2, 3, 4, 5, false));
  assertClose(res.ab3!.data as Float32Array, matmulRef(a.data as Float32Array, b3.data as Float32Array, 2, 3, 4, 5, true));
  assertClose(res.av!.data as Float32Array, matmulRef(a.data as Float32Array, v.data as Float32Array, 2, 3, 4, 1, false));
  assertClose(res.vb!.data as Float32Array, matmulRef(v.data as Float32Array, b.data as Float32Array, 1, 1, 4, 5, false));
  assert.deepEqual(res.av!.shape, [2, 3]);
  assert.deepEqual(res.vb!.shape, [5]);
});

test('batchNorm (eval) uses running stats; training mode is refused', async () => {
  const x = f32([2, 3, 2, 2], 1);
  const w = f32([3], 2);
  const b = f32([3], 3);
  const mean = f32([3], 4);
  const varr = { data: Float32Array.from([0.5, 1.5, 2.5]), shape: [3] };
  const eps = 1e-3;
  const res = await runOps({ x, w, b, mean, varr }, (ops, v) => ({
    y: ops.batchNorm(v.x!, v.w!, v.b!, v.mean!, v.varr!, false, 0.1, eps),
    noAffine: ops.batchNorm(v.x!, null, null, v.mean!, v.varr!, false, 0.1, eps),
  }));
  const X = x.data as Float32Array;
  const ref = X.map((xv, i) => {
    const c = Math.floor(i / 4) % 3;
    return ((xv - (mean.data as Float32Array)[c]!) / Math.sqrt(varr.data[c]! + eps)) * (w.data as Float32Array)[c]! + (b.data as Float32Array)[c]!;
  });
  const ref0 = X.map((xv, i) => {
    const c = Math.floor(i / 4) % 3;
    return (xv - (mean.data as Float32Array)[c]!) / Math.sqrt(varr.data[c]! + eps);
  });
  assertClose(res.y!.data as Float32Array, ref, 1e-5);
  assertClose(res.noAffine!.data as Float32Array, ref0, 1e-5);
  await assert.rejects(runOps({ x, w, b, mean, varr }, (ops, v) => ({
    y: ops.batchNorm(v.x!, v.w!, v.b!, v.mean!, v.varr!, true, 0.1, eps),
  })), /inference-only/);
});

test('layerNorm over one and over two trailing dims', async () => {
  const x = f32([2, 3, 4], 1);
  const w1 = f32([4], 2);
  const b1 = f32([4], 3);
  const w2 = f32([3, 4], 4);
  const eps = 1e-6;
  const res = await runOps({ x, w1, b1, w2 }, (ops, v) => ({
    a: ops.layerNorm(v.x!, [4], v.w1!, v.b1!, eps),
    b: ops.layerNorm(v.x!, [3, 4], v.w2!, null, eps),
    c: ops.layerNorm(v.x!, [4], null, null, eps),
  }));
  const X = x.data as Float32Array;
  const norm = (group: number, wv: Float32Array | null, bv: Float32Array | null): Float32Array => {
    const out = new Float32Array(X.length);
    for (let s = 0; s < X.length; s += group) {
      let m = 0;
      for (let i = 0; i < group; i++) m += X[s + i]!;
      m /= group;
      let v = 0;
      for (let i = 0; i < group; i++) v += (X[s + i]! - m) ** 2;
      v /= group;
      for (let i = 0; i < group; i++) out[s + i] = ((X[s + i]! - m) / Math.sqrt(v + eps)) * (wv ? wv[i]! : 1) + (bv ? bv[i]! : 0);
    }
    return out;
  };
  assertClose(res.a!.data as Float32Array, norm(4, w1.data as Float32Array, b1.data as Float32Array), 1e-5, 'k=1');
  assertClose(res.b!.data as Float32Array, norm(12, w2.data as Float32Array, null), 1e-5, 'k=2');
  assertClose(res.c!.data as Float32Array, norm(4, null, null), 1e-5, 'no affine');
});
