// The builder's exact rewrites (src/engine/onnx/rewrite): each pass fires on a real SegFace
// graph, the rewritten graph computes the same logits as the graph as written (to float32
// rounding), with fewer multiply-adds, at a fixed and at a symbolic batch size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOnnxGraph, createSession, releaseSession, run, type BuiltGraph } from '../../src/engine/onnx/index.js';
import { loadFixtureModel, maxAbsDiff } from '../../src/parity/fixture.js';
import { Rng } from '../../src/model/init.js';
import { fixture, requireFixtures } from '../model/fixtures.js';

requireFixtures();
const f = loadFixtureModel(fixture('mobilenet_hash_256'));
const r = f.meta.resolution;

async function logits(g: BuiltGraph, x: Float32Array, n: number): Promise<Float32Array> {
  const s = await createSession(g.bytes, { threads: 2 });
  try {
    return (await run(s, { [g.inputName]: { data: x, shape: [n, 3, r, r] } }))[g.outputs[0]!.name]!.data;
  } finally {
    await releaseSession(s);
  }
}

const input = (n: number): Float32Array => {
  const rng = new Rng(7);
  return new Float32Array(n * 3 * r * r).map(() => rng.normal());
};

const asWritten = buildOnnxGraph(f.model, f.weights, [1, 3, r, r], { rewrite: false });
const x1 = input(1);

const DEFAULT = ['fusion', 'fusion-tokens', 'attention', 'pe-bias', 'upscaler', 'ln-2d'];

test('rewrites: the default passes fire and keep the logits', async () => {
  const g = buildOnnxGraph(f.model, f.weights, [1, 3, r, r]);
  assert.deepEqual(g.rewrites.map((n) => n.rewrite), DEFAULT);
  assert.match(g.rewrites.find((n) => n.rewrite === 'ln-2d')!.detail, /^8 LayerNorms/); // every transformer norm after a residual Add
  const d = maxAbsDiff(await logits(g, x1, 1), await logits(asWritten, x1, 1));
  assert.ok(d < 1e-4, `rewritten logits differ by ${d}`);
});

test('rewrites: fusion, PE and (opt-in) ConvTranspose passes fire and keep the logits', async () => {
  const g = buildOnnxGraph(f.model, f.weights, [1, 3, r, r], { rewrite: { convTransposeAsShuffle: true, skip: ['upscaler', 'ln-2d'] } });
  assert.deepEqual(asWritten.rewrites, []);
  assert.deepEqual(g.rewrites.map((n) => n.rewrite), ['fusion', 'fusion-tokens', 'attention', 'pe-bias', 'conv-transpose']);
  const fusion = g.rewrites[0]!;
  assert.ok(fusion.macsAfter < fusion.macsBefore / 4, `fusion ${fusion.macsBefore} → ${fusion.macsAfter} MACs`);
  const ref = await logits(asWritten, x1, 1);
  const d = maxAbsDiff(await logits(g, x1, 1), ref);
  assert.ok(d < 1e-4, `rewritten logits differ by ${d}`);
});

test('rewrites: block-0 projections folded into the taps keep the logits', async () => {
  const g = buildOnnxGraph(f.model, f.weights, [1, 3, r, r], { rewrite: { foldBlock0: true } });
  assert.match(g.rewrites[0]!.detail, /3 block-0 projections folded/);
  const d = maxAbsDiff(await logits(g, x1, 1), await logits(asWritten, x1, 1));
  assert.ok(d < 1e-4, `block-0 folded logits differ by ${d}`);
});

test('rewrites: a dynamic-batch graph is rewritten too and runs at batch 2', async () => {
  const g = buildOnnxGraph(f.model, f.weights, [1, 3, r, r], { dynamicBatch: true, rewrite: { foldBlock0: true } });
  assert.equal(g.inputShape[0], -1);
  // Traced at batch 2, the token side's PE adds are of constants only, and `attention` has taken
  // every image-side projection of tokens + PE that block 0 left: nothing for pe-bias.
  assert.deepEqual(g.rewrites.map((n) => n.rewrite), DEFAULT.filter((r) => r !== 'pe-bias'));
  assert.match(g.rewrites.find((n) => n.rewrite === 'attention')!.detail, /^2 token→image key projections/); // block 0's is folded into the taps
  const x2 = input(2);
  const fixed = buildOnnxGraph(f.model, f.weights, [2, 3, r, r], { rewrite: false });
  const d = maxAbsDiff(await logits(g, x2, 2), await logits(fixed, x2, 2));
  assert.ok(d < 1e-4, `dynamic-batch rewritten logits differ by ${d}`);
});
