// A deliberately plain float32 CPU implementation of the subset of Ops that the Swin backbone
// uses, for checking the module against the fixtures independently of the real engines.
// Accumulates in double precision; every tensor is materialised contiguous (C order).
import type { DType, Ops, Pair, TensorLike } from '../../src/engine/ops.js';
import { pair } from '../../src/engine/ops.js';

export interface RefT extends TensorLike {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: Float32Array | BigInt64Array;
}

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const strides = (s: readonly number[]): number[] => {
  const st = new Array<number>(s.length).fill(1);
  for (let i = s.length - 2; i >= 0; i--) st[i] = st[i + 1]! * s[i + 1]!;
  return st;
};
const axis = (d: number, r: number): number => (d < 0 ? d + r : d);
const f32 = (shape: readonly number[], data?: Float32Array): RefT => ({ shape: [...shape], dtype: 'float32', data: data ?? new Float32Array(numel(shape)) });
const fdata = (t: RefT): Float32Array => {
  if (!(t.data instanceof Float32Array)) throw new Error('ref-ops: expected float32');
  return t.data;
};

function broadcast(a: RefT, b: RefT | number, f: (x: number, y: number) => number): RefT {
  if (typeof b === 'number') return f32(a.shape, fdata(a).map((x) => f(x, b)));
  const r = Math.max(a.shape.length, b.shape.length);
  const pad = (s: readonly number[]) => [...new Array<number>(r - s.length).fill(1), ...s];
  const sa = pad(a.shape), sb = pad(b.shape);
  const out = sa.map((d, i) => {
    const e = sb[i]!;
    if (d !== e && d !== 1 && e !== 1) throw new Error(`ref-ops: cannot broadcast ${sa} with ${sb}`);
    return Math.max(d, e);
  });
  const sta = strides(sa).map((s, i) => (sa[i] === 1 ? 0 : s));
  const stb = strides(sb).map((s, i) => (sb[i] === 1 ? 0 : s));
  const A = fdata(a), B = fdata(b), O = new Float32Array(numel(out));
  const idx = new Array<number>(r).fill(0);
  let ia = 0, ib = 0;
  for (let o = 0; o < O.length; o++) {
    O[o] = f(A[ia]!, B[ib]!);
    for (let d = r - 1; d >= 0; d--) {
      idx[d]!++; ia += sta[d]!; ib += stb[d]!;
      if (idx[d]! < out[d]!) break;
      ia -= sta[d]! * out[d]!; ib -= stb[d]! * out[d]!; idx[d] = 0;
    }
  }
  return f32(out, O);
}

/** General gather over a shape: out[i] = src[map(i)], map expressed by per-dim source strides + offset. */
function strided(src: RefT, outShape: readonly number[], srcStrides: readonly number[], offset = 0): RefT {
  const r = outShape.length, n = numel(outShape);
  const S = src.data;
  const O = S instanceof BigInt64Array ? new BigInt64Array(n) : new Float32Array(n);
  const idx = new Array<number>(r).fill(0);
  let p = offset;
  for (let o = 0; o < n; o++) {
    O[o] = S[p]!;
    for (let d = r - 1; d >= 0; d--) {
      idx[d]!++; p += srcStrides[d]!;
      if (idx[d]! < outShape[d]!) break;
      p -= srcStrides[d]! * outShape[d]!; idx[d] = 0;
    }
  }
  return { shape: [...outShape], dtype: src.dtype, data: O };
}

const erf = (x: number): number => {
  // Abramowitz–Stegun 7.1.26 is too coarse; use a continued high-precision series instead.
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y = 1 - t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? y : -y;
};

function unsupported(name: string): never {
  throw new Error(`ref-ops: ${name} not implemented`);
}

export const refOps: Ops<RefT> = {
  backend: 'ref',
  constant: (data, shape, dtype) => {
    if (data instanceof BigInt64Array) return { shape: [...shape], dtype: 'int64', data };
    if (data instanceof Float32Array) return f32(shape, data);
    return { shape: [...shape], dtype: dtype ?? 'float32', data: Float32Array.from(data as ArrayLike<number>) };
  },
  arange: () => unsupported('arange'),
  conv2d: (x, w, b, o = {}) => {
    const [sh, sw] = pair(o.stride, 1), [ph, pw] = pair(o.padding, 0);
    if ((o.groups ?? 1) !== 1 || pair(o.dilation, 1).some((d) => d !== 1)) unsupported('grouped/dilated conv2d');
    const [N, C, H, W] = x.shape as number[] as [number, number, number, number];
    const [K, , kh, kw] = w.shape as number[] as [number, number, number, number];
    const OH = Math.floor((H + 2 * ph - kh) / sh) + 1, OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
    const X = fdata(x), Wt = fdata(w), Bs = b ? fdata(b) : null, O = new Float32Array(N * K * OH * OW);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
      let s = Bs ? Bs[k]! : 0;
      for (let c = 0; c < C; c++) for (let i = 0; i < kh; i++) {
        const y = oy * sh - ph + i;
        if (y < 0 || y >= H) continue;
        for (let j = 0; j < kw; j++) {
          const xx = ox * sw - pw + j;
          if (xx >= 0 && xx < W) s += X[((n * C + c) * H + y) * W + xx]! * Wt[((k * C + c) * kh + i) * kw + j]!;
        }
      }
      O[((n * K + k) * OH + oy) * OW + ox] = s;
    }
    return f32([N, K, OH, OW], O);
  },
  convTranspose2d: () => unsupported('convTranspose2d'),
  linear: (x, w, b) => {
    const [out, inF] = w.shape as [number, number];
    const M = numel(x.shape) / inF;
    const X = fdata(x), Wt = fdata(w), Bs = b ? fdata(b) : null, O = new Float32Array(M * out);
    for (let m = 0; m < M; m++) {
      const xo = m * inF;
      for (let j = 0; j < out; j++) {
        let s = Bs ? Bs[j]! : 0;
        const wo = j * inF;
        for (let k = 0; k < inF; k++) s += X[xo + k]! * Wt[wo + k]!;
        O[m * out + j] = s;
      }
    }
    return f32([...x.shape.slice(0, -1), out], O);
  },
  matmul: (a, b) => {
    const r = a.shape.length;
    if (b.shape.length !== r) unsupported('matmul with different ranks');
    const [M, K] = a.shape.slice(-2) as [number, number], N = b.shape[r - 1]!;
    const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
    if (batchA.some((d, i) => d !== batchB[i])) unsupported('broadcast matmul');
    const nb = numel(batchA);
    const bt = fdata(refOps.transpose(b, -2, -1) as RefT); // [.., N, K] for contiguous dots
    const A = fdata(a), O = new Float32Array(nb * M * N);
    for (let q = 0; q < nb; q++) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      const ao = (q * M + i) * K, bo = (q * N + j) * K;
      for (let k = 0; k < K; k++) s += A[ao + k]! * bt[bo + k]!;
      O[(q * M + i) * N + j] = s;
    }
    return f32([...batchA, M, N], O);
  },
  batchNorm: () => unsupported('batchNorm'),
  layerNorm: (x, ns, w, b, eps) => {
    const D = numel(ns), X = fdata(x), O = new Float32Array(X.length);
    const Wt = w ? fdata(w) : null, Bs = b ? fdata(b) : null;
    for (let o = 0; o < X.length; o += D) {
      let m = 0;
      for (let i = 0; i < D; i++) m += X[o + i]!;
      m /= D;
      let v = 0;
      for (let i = 0; i < D; i++) v += (X[o + i]! - m) ** 2;
      const inv = 1 / Math.sqrt(v / D + eps);
      for (let i = 0; i < D; i++) O[o + i] = (X[o + i]! - m) * inv * (Wt ? Wt[i]! : 1) + (Bs ? Bs[i]! : 0);
    }
    return f32(x.shape, O);
  },
  relu: (x) => f32(x.shape, fdata(x).map((v) => Math.max(0, v))),
  gelu: (x) => f32(x.shape, fdata(x).map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)))),
  silu: () => unsupported('silu'),
  hardswish: () => unsupported('hardswish'),
  hardsigmoid: () => unsupported('hardsigmoid'),
  sigmoid: (x) => f32(x.shape, fdata(x).map((v) => 1 / (1 + Math.exp(-v)))),
  tanh: () => unsupported('tanh'),
  softmax: (x, dim) => {
    if (axis(dim, x.shape.length) !== x.shape.length - 1) unsupported('softmax over a non-last dim');
    const D = x.shape[x.shape.length - 1]!, X = fdata(x), O = new Float32Array(X.length);
    for (let o = 0; o < X.length; o += D) {
      let mx = -Infinity;
      for (let i = 0; i < D; i++) mx = Math.max(mx, X[o + i]!);
      let s = 0;
      for (let i = 0; i < D; i++) s += Math.exp(X[o + i]! - mx);
      for (let i = 0; i < D; i++) O[o + i] = Math.exp(X[o + i]! - mx) / s;
    }
    return f32(x.shape, O);
  },
  logSoftmax: () => unsupported('logSoftmax'),
  maxPool2d: () => unsupported('maxPool2d'),
  adaptiveAvgPool2d: () => unsupported('adaptiveAvgPool2d'),
  interpolateBilinear: () => unsupported('interpolateBilinear'),
  add: (a, b) => broadcast(a, b, (x, y) => x + y),
  sub: (a, b) => broadcast(a, b, (x, y) => x - y),
  mul: (a, b) => broadcast(a, b, (x, y) => x * y),
  div: (a, b) => broadcast(a, b, (x, y) => x / y),
  neg: (x) => f32(x.shape, fdata(x).map((v) => -v)),
  exp: (x) => f32(x.shape, fdata(x).map(Math.exp)),
  log: (x) => f32(x.shape, fdata(x).map(Math.log)),
  sqrt: (x) => f32(x.shape, fdata(x).map(Math.sqrt)),
  abs: (x) => f32(x.shape, fdata(x).map(Math.abs)),
  sign: (x) => f32(x.shape, fdata(x).map(Math.sign)),
  sin: (x) => f32(x.shape, fdata(x).map(Math.sin)),
  cos: (x) => f32(x.shape, fdata(x).map(Math.cos)),
  pow: (x, e) => f32(x.shape, fdata(x).map((v) => v ** e)),
  clamp: (x, lo, hi) => f32(x.shape, fdata(x).map((v) => Math.min(hi ?? Infinity, Math.max(lo ?? -Infinity, v)))),
  eq: () => unsupported('eq'),
  where: () => unsupported('where'),
  cast: () => unsupported('cast'),
  sum: (x, dims, keepdim = false) => {
    const r = x.shape.length, ds = dims.map((d) => axis(d, r));
    if (ds.length !== 1 || ds[0] !== r - 1) unsupported('sum over non-last dims');
    const D = x.shape[r - 1]!, X = fdata(x), O = new Float32Array(X.length / D);
    for (let o = 0; o < O.length; o++) {
      let s = 0;
      for (let i = 0; i < D; i++) s += X[o * D + i]!;
      O[o] = s;
    }
    return f32(keepdim ? [...x.shape.slice(0, -1), 1] : x.shape.slice(0, -1), O);
  },
  mean: () => unsupported('mean'),
  argmax: () => unsupported('argmax'),
  reshape: (x, shape) => {
    const n = numel(x.shape), known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const s = shape.map((d) => (d === -1 ? n / known : d));
    if (numel(s) !== n) throw new Error(`ref-ops: reshape ${x.shape} → ${shape}`);
    return { shape: s, dtype: x.dtype, data: x.data };
  },
  permute: (x, dims) => {
    const st = strides(x.shape);
    return strided(x, dims.map((d) => x.shape[d]!), dims.map((d) => st[d]!));
  },
  transpose: (x, d0, d1) => {
    const r = x.shape.length, p = [...Array(r).keys()];
    const a = axis(d0, r), b = axis(d1, r);
    [p[a], p[b]] = [p[b]!, p[a]!];
    return refOps.permute(x, p);
  },
  slice: (x, dim, start, end, step = 1) => {
    const r = x.shape.length, d = axis(dim, r), n = x.shape[d]!;
    const s = Math.min(n, start < 0 ? start + n : start), e = Math.min(n, end < 0 ? end + n : end);
    const len = Math.max(0, Math.ceil((e - s) / step));
    const st = strides(x.shape);
    const out = [...x.shape]; out[d] = len;
    const ss = [...st]; ss[d] = st[d]! * step;
    return strided(x, out, ss, s * st[d]!);
  },
  concat: (xs, dim) => {
    const r = xs[0]!.shape.length, d = axis(dim, r);
    const out = [...xs[0]!.shape]; out[d] = xs.reduce((a, t) => a + t.shape[d]!, 0);
    const outer = numel(out.slice(0, d)), inner = numel(out.slice(d + 1));
    const O = new Float32Array(numel(out));
    let off = 0;
    for (const t of xs) {
      const T = fdata(t), len = t.shape[d]! * inner;
      for (let o = 0; o < outer; o++) O.set(T.subarray(o * len, (o + 1) * len), o * out[d]! * inner + off);
      off += len;
    }
    return f32(out, O);
  },
  pad: (x, pads, value = 0) => {
    const r = x.shape.length, out = [...x.shape], before = new Array<number>(r).fill(0);
    for (let i = 0; i < pads.length / 2; i++) {
      const d = r - 1 - i;
      before[d] = pads[2 * i]!; out[d] = out[d]! + pads[2 * i]! + pads[2 * i + 1]!;
      if (pads[2 * i]! < 0 || pads[2 * i + 1]! < 0) unsupported('negative pad');
    }
    const O = new Float32Array(numel(out)).fill(value), X = fdata(x), so = strides(out);
    const idx = new Array<number>(r).fill(0);
    for (let i = 0; i < X.length; i++) {
      let p = 0;
      for (let d = 0; d < r; d++) p += (idx[d]! + before[d]!) * so[d]!;
      O[p] = X[i]!;
      for (let d = r - 1; d >= 0; d--) { if (++idx[d]! < x.shape[d]!) break; idx[d] = 0; }
    }
    return f32(out, O);
  },
  roll: (x, shifts, dims) => {
    let t = x;
    dims.forEach((dim, i) => {
      const d = axis(dim, t.shape.length), n = t.shape[d]!, s = (((shifts[i]! % n) + n) % n);
      if (s) t = refOps.concat([refOps.slice(t, d, n - s, n), refOps.slice(t, d, 0, n - s)], d);
    });
    return t;
  },
  indexSelect: (x, dim, index) => {
    if (axis(dim, x.shape.length) !== 0) unsupported('indexSelect on dim ≠ 0');
    const row = numel(x.shape.slice(1)), I = index.data as BigInt64Array, X = fdata(x);
    const O = new Float32Array(I.length * row);
    for (let i = 0; i < I.length; i++) O.set(X.subarray(Number(I[i]) * row, (Number(I[i]) + 1) * row), i * row);
    return f32([I.length, ...x.shape.slice(1)], O);
  },
  gather: () => unsupported('gather'),
  expand: () => unsupported('expand'),
  dropout: (x) => x,
  stochasticDepth: (x, _p, training) => (training ? unsupported('stochasticDepth in training') : x),
};

/** A Ctx over refOps from a map of host tensors. */
export function refCtx(weights: Map<string, RefT>): import('../../src/engine/ops.js').Ctx<RefT> {
  return {
    ops: refOps,
    training: false,
    get: (k) => {
      const t = weights.get(k);
      if (!t) throw new Error(`ref-ops: no tensor bound to ${k}`);
      return t;
    },
  };
}

export type { Pair };
