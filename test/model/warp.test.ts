// The LaPa tanh warp (spec §5.4): alignment matrix, grid conventions, and the gather fallback
// of grid_sample agreeing with the engine's GridSample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOnnxGraph, createSession, GraphBuilder, OnnxOps, onnxCtx, releaseSession, run } from '../../src/engine/onnx/index.js';
import { buildSegFace } from '../../src/model/build.js';
import { randomStateDict } from '../../src/model/load.js';
import { lapaWarpGrids } from '../../src/model/segface.js';
import type { Ctx, TensorLike } from '../../src/engine/ops.js';
import { gridSampleHost } from '../../src/model/head/grid-sample.js';
import { faceAlignMatrix, inverseTanhWarpGrid, similarityMatrix, tanhWarpGrid } from '../../src/model/head/tanh-warp.js';

const R = 64;
const template = (r: number) => [196, 226, 316, 226, 256, 286, 220, 360.4, 292, 360.4].map((v) => ((v / 256) * (r - 1)) / 2);

test('similarity transform recovers a known rotation+scale+shift', () => {
  const from = [10, 20, 40, 22, 25, 35, 15, 50, 38, 52];
  const [a, b, tx, ty] = [1.3 * Math.cos(0.2), 1.3 * Math.sin(0.2), 5, -7];
  const to = from.map((_, i) => (i % 2 === 0 ? a * from[i]! + b * from[i + 1]! + tx : -b * from[i - 1]! + a * from[i]! + ty));
  const m = similarityMatrix(from, to);
  for (const [got, want] of [[m[0], a], [m[1], b], [m[2], tx], [m[3], -b], [m[4], a], [m[5], ty]] as const) {
    assert.ok(Math.abs(got - want) < 1e-9, `${got} vs ${want}`);
  }
});

test('landmarks on the template give the identity alignment', () => {
  const m = faceAlignMatrix(template(R), R);
  // (the template is float32 in the original, hence not bit-exact)
  [1, 0, 0, 0, 1, 0, 0, 0, 1].forEach((v, i) => assert.ok(Math.abs(m[i]! - v) < 1e-5, `${i}: ${m[i]}`));
});

test('warp grids: centre untouched, borders squashed, inverse ∘ forward ≈ identity', () => {
  const lm = template(R);
  const fwd = tanhWarpGrid(lm, 1, R);
  const inv = inverseTanhWarpGrid(lm, 1, R);
  // Pixel index p maps to p/R·2−1 (integer pixel coordinates, as in FaRL), untouched in the linear zone.
  const at = (g: Float32Array, y: number, x: number) => [g[(y * R + x) * 2]!, g[(y * R + x) * 2 + 1]!];
  for (const c of at(fwd, 32, 32)) assert.ok(Math.abs(c!) < 1e-5);
  assert.ok(Math.abs(at(fwd, 20, 35)[0]! - ((35 / R) * 2 - 1)) < 1e-5); // |c| < 1 − 0.8: linear zone
  // Corner of the warped canvas samples far outside the image (arctanh stretch).
  assert.ok(at(fwd, 0, 0)[0]! < -1.5 && at(fwd, 0, 0)[1]! < -1.5);
  // Composition: follow inv (image pixel → canvas) then fwd (canvas → image) in the interior.
  for (const [y, x] of [[5, 7], [30, 50], [60, 3]] as const) {
    const [u, v] = at(inv, y, x);
    const cx = ((u! + 1) / 2) * R, cy = ((v! + 1) / 2) * R;
    const [gx, gy] = at(fwd, Math.round(cy), Math.round(cx));
    assert.ok(Math.abs(((gx! + 1) / 2) * R - x) < 1.5 && Math.abs(((gy! + 1) / 2) * R - y) < 1.5, `${x},${y}`);
  }
});

test('gridSample fallback (index tables) equals ONNX GridSample', async () => {
  const grid = tanhWarpGrid(template(R).map((v, i) => v + (i % 2 ? 2 : -3)), 1, R);
  const model = (fallback: boolean) => ({
    forward<T extends TensorLike>(ctx: Ctx<T>, x: T): T {
      const ops = fallback ? Object.assign(Object.create(ctx.ops) as typeof ctx.ops, { gridSample: undefined }) : ctx.ops;
      return gridSampleHost({ ...ctx, ops }, x, grid, R, R);
    },
  });
  const input = new Float32Array(2 * R * R).map((_, i) => Math.sin(i * 0.37) + (i % R) / R);
  const outs: Float32Array[] = [];
  for (const fb of [false, true]) {
    const g = buildOnnxGraph(model(fb), new Map(), [1, 2, R, R]);
    const s = await createSession(g.bytes, { threads: 1 });
    outs.push((await run(s, { [g.inputName]: { data: input, shape: [1, 2, R, R] } })).output!.data);
    await releaseSession(s);
  }
  let max = 0;
  for (let i = 0; i < outs[0]!.length; i++) max = Math.max(max, Math.abs(outs[0]![i]! - outs[1]![i]!));
  assert.ok(max < 1e-5, `max diff ${max}`);
  assert.ok(outs[0]!.some((v) => v === 0), 'zeros padding outside the image');
});

test('LaPa forward: warp grids as graph inputs give the same logits as embedded landmarks', async () => {
  const r = 64;
  const model = buildSegFace({ model: 'mobilenet', head: 'lapa', resolution: r });
  const weights = randomStateDict(model, 11);
  const lm = Float32Array.from(template(r).map((v, i) => v + (i % 3) - 1));
  const x = new Float32Array(3 * r * r).map((_, i) => Math.cos(i * 0.013));
  const grids = lapaWarpGrids(lm, 1, r);

  const viaLandmarks = await (async () => {
    const g = buildOnnxGraph({ forward: (ctx, v) => model.forward(ctx, v, { landmarks: lm }) }, weights, [1, 3, r, r]);
    const s = await createSession(g.bytes, { threads: 1 });
    try { return (await run(s, { [g.inputName]: { data: x, shape: [1, 3, r, r] } })).output!; } finally { await releaseSession(s); }
  })();
  const viaInputs = await (async () => {
    const ops = new OnnxOps(new GraphBuilder());
    const ctx = onnxCtx(ops, weights);
    const input = ops.graph.input('input', [1, 3, r, r]);
    const gin = ops.graph.input('grid_in', [1, r, r, 2]);
    const gout = ops.graph.input('grid_out', [1, r, r, 2]);
    ops.graph.output(model.forward(ctx, input, { warpGrids: { input: gin, output: gout } }), 'output');
    const s = await createSession(ops.graph.serialize(), { threads: 1 });
    try {
      return (await run(s, {
        input: { data: x, shape: [1, 3, r, r] },
        grid_in: { data: grids.input, shape: [1, r, r, 2] },
        grid_out: { data: grids.output, shape: [1, r, r, 2] },
      })).output!;
    } finally { await releaseSession(s); }
  })();
  assert.deepEqual(viaInputs.shape, [1, 11, r, r]);
  let max = 0;
  for (let i = 0; i < viaInputs.data.length; i++) max = Math.max(max, Math.abs(viaInputs.data[i]! - viaLandmarks.data[i]!));
  assert.ok(max < 1e-5, `max diff ${max}`);
  assert.ok(viaInputs.data.every(Number.isFinite));
});
