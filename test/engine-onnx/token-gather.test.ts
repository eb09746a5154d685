// The token-gather rewrite on Swin's window attention (pad, roll, window partition and back):
// a narrow Swin-B tree at 256² (every stage pads its token grid, shifted blocks roll) gives the
// same taps with and without it, at a fixed batch of 2 and at a symbolic batch. (Opt-in.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOnnxGraph, createSession, releaseSession, run, type BuiltGraph } from '../../src/engine/onnx/index.js';
import { SwinBackbone, SWIN_VARIANTS } from '../../src/model/backbones/swin.js';
import { randomStateDict } from '../../src/model/load.js';

const R = 256;
const model = new SwinBackbone('swin_base', { ...SWIN_VARIANTS.swin_base, embedDim: 16, heads: [1, 2, 2, 4], depths: [2, 2, 2, 2] }).setPrefix('backbone.');
const weights = randomStateDict(model, 5);
const x = Float32Array.from({ length: 2 * 3 * R * R }, (_, i) => Math.sin(i * 0.37) * 1.5);

async function taps(g: BuiltGraph): Promise<Float32Array[]> {
  const s = await createSession(g.bytes, { threads: 2 });
  try {
    const o = await run(s, { [g.inputName]: { data: x, shape: [2, 3, R, R] } });
    return g.outputs.map((v) => o[v.name]!.data);
  } finally {
    await releaseSession(s);
  }
}

const maxDiff = (a: Float32Array[], b: Float32Array[]): number =>
  Math.max(...a.map((t, k) => t.reduce((m, v, i) => Math.max(m, Math.abs(v - b[k]![i]!)), 0)));

test('token-gather: window partition and reverse become Gathers, same taps', async () => {
  const asWritten = buildOnnxGraph(model, weights, [2, 3, R, R], { rewrite: false });
  const g = buildOnnxGraph(model, weights, [2, 3, R, R], { rewrite: { tokenGather: true } });
  const note = g.rewrites.find((n) => n.rewrite === 'token-gather');
  // 8 blocks, each a chain before qkv and one after proj
  assert.match(note?.detail ?? '', /^16 token-movement chains/);
  const ref = await taps(asWritten);
  assert.equal(maxDiff(await taps(g), ref), 0); // copies only: bit-identical

  const dyn = buildOnnxGraph(model, weights, [1, 3, R, R], { dynamicBatch: true, rewrite: { tokenGather: true } });
  assert.ok(dyn.rewrites.some((n) => n.rewrite === 'token-gather'));
  assert.equal(maxDiff(await taps(dyn), ref), 0);
});
