// Shifted-window attention against a token-by-token reading of torchvision's algorithm (pad,
// shift rule, roll, window membership, −100 region mask, relative bias, crop), on grids that
// need padding — the cases the fixtures do not cover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShiftedWindowAttention } from '../../src/model/backbones/swin-attention.js';
import { shiftedWindowMask, windowPlan } from '../../src/model/backbones/swin-windows.js';
import { Rng } from '../../src/model/init.js';
import { refCtx, refOps, type RefT } from './ref-ops.js';

interface Case { H: number; W: number; ws: number; shift: number; v2: boolean }

function randomWeights(m: ShiftedWindowAttention, rng: Rng): Map<string, RefT> {
  const out = new Map<string, RefT>();
  for (const [key, d] of m.declarations()) {
    let data = d.init(d.shape, rng, d.dtype) as Float32Array | BigInt64Array;
    if (d.kind === 'param') data = Float32Array.from(data as Float32Array, () => rng.uniform() - 0.5);
    // logit scales on both sides of the ln(100) clamp
    if (key.endsWith('logit_scale')) data = Float32Array.from(data as Float32Array, (_, h) => 1.5 + 3.5 * (h % 2));
    out.set(key, { shape: d.shape, dtype: d.dtype, data });
  }
  return out;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; return s; };
const linear = (x: ArrayLike<number>, w: Float32Array, b: Float32Array | null, out: number) =>
  Array.from({ length: out }, (_, j) => dot(x, w.subarray(j * x.length, (j + 1) * x.length)) + (b ? b[j]! : 0));

/** torchvision's attention written per query token: no reshapes, no windows materialised. */
function naive(c: Case, C: number, heads: number, x: Float32Array, wt: Map<string, RefT>): Float32Array {
  const g = (k: string) => wt.get(`a.${k}`)!.data as Float32Array;
  const { H, W, ws } = c;
  const PH = Math.ceil(H / ws) * ws, PW = Math.ceil(W / ws) * ws;
  const sH = ws >= PH ? 0 : c.shift, sW = ws >= PW ? 0 : c.shift;
  const masked = sH + sW > 0;
  const hd = C / heads;
  const qkvB = Float32Array.from(g('qkv.bias'), (v, i) => (c.v2 && i >= C && i < 2 * C ? 0 : v));
  const tokenQkv = (py: number, px: number) =>
    linear(py < H && px < W ? x.subarray((py * W + px) * C, (py * W + px + 1) * C) : new Float32Array(C), g('qkv.weight'), qkvB, 3 * C);
  // region label of a rolled position: slices [0,P−ws), [P−ws,P−s), [P−s,P); Python's −0 makes
  // the last slice the whole axis when s = 0
  const region = (i: number, P: number, s: number) => (s === 0 ? 2 : i < P - ws ? 0 : i < P - s ? 1 : 2);
  const bias = (dy: number, dx: number, h: number): number => {
    const idx = (dy + ws - 1) * (2 * ws - 1) + dx + ws - 1;
    if (!c.v2) return g('relative_position_bias_table')[idx * heads + h]!;
    const coords = g('relative_coords_table');
    const hid = linear(coords.subarray(idx * 2, idx * 2 + 2), g('cpb_mlp.0.weight'), g('cpb_mlp.0.bias'), 512).map((v) => Math.max(0, v));
    const v = linear(hid, g('cpb_mlp.2.weight'), null, heads)[h]!;
    return 16 / (1 + Math.exp(-v));
  };
  const out = new Float32Array(H * W * C);
  for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
    const i = (((y - sH) % PH) + PH) % PH, j = (((xx - sW) % PW) + PW) % PW; // rolled position
    const q = tokenQkv(y, xx);
    const wy = Math.floor(i / ws) * ws, wx = Math.floor(j / ws) * ws;
    const members: { i: number; j: number; kv: number[] }[] = [];
    for (let a = 0; a < ws; a++) for (let b = 0; b < ws; b++) {
      members.push({ i: wy + a, j: wx + b, kv: tokenQkv((wy + a + sH) % PH, (wx + b + sW) % PW) });
    }
    const ctxv = new Array<number>(C).fill(0);
    for (let h = 0; h < heads; h++) {
      const qh = q.slice(h * hd, (h + 1) * hd);
      const logits = members.map((m) => {
        const kh = m.kv.slice(C + h * hd, C + (h + 1) * hd);
        let l: number;
        if (c.v2) {
          const n = Math.max(Math.hypot(...qh), 1e-12) * Math.max(Math.hypot(...kh), 1e-12);
          l = (dot(qh, kh) / n) * Math.exp(Math.min(g('logit_scale')[h]!, Math.log(100)));
        } else {
          l = dot(qh, kh) * hd ** -0.5;
        }
        l += bias((i % ws) - (m.i % ws), (j % ws) - (m.j % ws), h);
        const same = region(i, PH, sH) === region(m.i, PH, sH) && region(j, PW, sW) === region(m.j, PW, sW);
        return masked && !same ? l - 100 : l;
      });
      const mx = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - mx));
      const z = e.reduce((s, v) => s + v, 0);
      members.forEach((m, t) => {
        for (let d = 0; d < hd; d++) ctxv[h * hd + d]! += (e[t]! / z) * m.kv[2 * C + h * hd + d]!;
      });
    }
    out.set(linear(ctxv, g('proj.weight'), g('proj.bias'), C), (y * W + xx) * C);
  }
  return out;
}

const CASES: Case[] = [
  { H: 8, W: 8, ws: 7, shift: 3, v2: false }, // swin_b 256, stage 4: 8 → 14, shift kept
  { H: 10, W: 10, ws: 7, shift: 3, v2: false },
  { H: 10, W: 10, ws: 7, shift: 0, v2: false },
  { H: 7, W: 7, ws: 7, shift: 3, v2: false }, // swin_b 224, stage 4: no pad, shift dropped
  { H: 7, W: 7, ws: 8, shift: 4, v2: true }, // swin_v2 224, stage 4: 7 → 8, shift dropped
  { H: 14, W: 14, ws: 8, shift: 4, v2: true }, // swin_v2 224, stage 3: 14 → 16
  { H: 3, W: 10, ws: 4, shift: 2, v2: true }, // shift dropped along H only
];

for (const c of CASES) {
  test(`window attention ${c.v2 ? 'v2' : 'v1'} ${c.H}×${c.W} window ${c.ws} shift ${c.shift} matches the per-token reading`, () => {
    const C = 8, heads = 2;
    const m = new ShiftedWindowAttention(C, c.ws, c.shift, heads, c.v2).setPrefix('a.');
    const rng = new Rng(7 + c.H * 31 + c.ws);
    const wt = randomWeights(m, rng);
    const x = Float32Array.from({ length: c.H * c.W * C }, () => 2 * rng.uniform() - 1);
    const got = m.forward(refCtx(wt), refOps.constant(x, [1, c.H, c.W, C]));
    assert.deepEqual(got.shape, [1, c.H, c.W, C]);
    const want = naive(c, C, heads, x, wt);
    const g = got.data as Float32Array;
    let mx = 0;
    for (let i = 0; i < g.length; i++) mx = Math.max(mx, Math.abs(g[i]! - want[i]!));
    assert.ok(mx < 1e-4, `max abs diff ${mx}`);
  });
}

test('padding and shift per stage follow the spec table', () => {
  const plans = (R: number, ws: number) => [4, 8, 16, 32].map((s) => {
    const p = windowPlan(R / s, R / s, ws, Math.floor(ws / 2));
    return `${R / s}→${p.padH}${p.shiftH ? '' : ' unshifted'}`;
  });
  assert.deepEqual(plans(224, 7), ['56→56', '28→28', '14→14', '7→7 unshifted']);
  assert.deepEqual(plans(256, 7), ['64→70', '32→35', '16→21', '8→14']);
  assert.deepEqual(plans(448, 7), ['112→112', '56→56', '28→28', '14→14']);
  assert.deepEqual(plans(512, 7), ['128→133', '64→70', '32→35', '16→21']);
  assert.deepEqual(plans(224, 8), ['56→56', '28→32', '14→16', '7→8 unshifted']);
  assert.deepEqual(plans(256, 8), ['64→64', '32→32', '16→16', '8→8 unshifted']);
  assert.deepEqual(plans(448, 8), ['112→112', '56→56', '28→32', '14→16']);
  assert.deepEqual(plans(512, 8), ['128→128', '64→64', '32→32', '16→16']);
});

test('shifted-window mask: 14×14 grid, window 7, shift 3 has the classic four region layouts', () => {
  const mask = shiftedWindowMask(windowPlan(14, 14, 7, 3));
  const n = 49;
  const blocked = (w: number) => { let c = 0; for (let i = 0; i < n * n; i++) if (mask[w * n * n + i] === -100) c++; return c; };
  // window 0 lies in one region; window 1 splits columns 4+3; window 2 rows 4+3; window 3 both
  assert.equal(blocked(0), 0);
  assert.equal(blocked(1), 2 * (28 * 21));
  assert.equal(blocked(2), 2 * (28 * 21));
  assert.equal(blocked(3), n * n - (16 * 16 + 12 * 12 + 12 * 12 + 9 * 9));
  assert.ok([...mask].every((v) => v === 0 || v === -100));
});
