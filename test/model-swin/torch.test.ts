// The Swin backbones on the libtorch engine: agreement with ONNX Runtime at resolutions that pad
// the token grid, and the training-time semantics torchvision has (key bias and clamped logit
// scales receive no gradient, stochastic depth runs in row mode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOnnxGraph, createSession, releaseSession, run } from '../../src/engine/onnx/index.js';
import type { Ctx } from '../../src/engine/ops.js';
import { fromHost, loadTorch, noGrad, type TorchTensor } from '../../src/engine/torch/index.js';
import { hostTensor, toFloat32, type StateDict } from '../../src/io/host-tensor.js';
import { SwinBackbone, SWIN_VARIANTS, type SwinConfig } from '../../src/model/backbones/swin.js';
import { randomStateDict } from '../../src/model/load.js';

const { ops } = loadTorch();

const narrow = (base: SwinConfig): SwinConfig => ({ ...base, embedDim: 16, heads: [1, 2, 2, 4], depths: [2, 2, 4, 2] });

/** Random weights with non-trivial biases / norms and v2 logit scales either side of ln 100. */
function weightsFor(model: SwinBackbone): StateDict {
  const sd = randomStateDict(model, 11);
  let k = 0;
  for (const [key, t] of sd) {
    if (t.dtype !== 'float32' || key.endsWith('relative_coords_table')) continue;
    const d = t.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] = d[i]! + 0.05 * Math.cos(++k);
    if (key.endsWith('logit_scale')) d.forEach((_, h) => (d[h] = h % 2 ? 4.9 : 2.3));
  }
  return sd;
}

function torchCtx(sd: StateDict, training: boolean, grad = false): { ctx: Ctx<TorchTensor>; params: Map<string, TorchTensor> } {
  const params = new Map<string, TorchTensor>();
  for (const [k, t] of sd) {
    const p = fromHost(t);
    if (grad && t.dtype === 'float32') p.requiresGrad_(true);
    params.set(k, p);
  }
  return { ctx: { ops, training, get: (k) => params.get(k)! }, params };
}

const input = (R: number) => hostTensor('float32', [1, 3, R, R], Float32Array.from({ length: 3 * R * R }, (_, i) => Math.sin(i * 0.61) * 1.2));

for (const [name, cfg, R] of [
  ['swin_b structure at 256', narrow(SWIN_VARIANTS.swin_base), 256],
  ['swin_b structure at 512', narrow(SWIN_VARIANTS.swin_base), 512],
  ['swin_v2 structure at 224', narrow(SWIN_VARIANTS.swinv2_base), 224],
] as [string, SwinConfig, number][]) {
  test(`${name}: libtorch and ONNX Runtime agree on random weights`, async () => {
    const model = new SwinBackbone(cfg.v2 ? 'swinv2_base' : 'swin_base', cfg).setPrefix('backbone.');
    const sd = weightsFor(model);
    const x = input(R);
    const torchTaps = noGrad(() => model.forward(torchCtx(sd, false).ctx, fromHost(x))).map((t) => toFloat32(t.toHost()));

    const g = buildOnnxGraph(model, sd, x.shape);
    const session = await createSession(g.bytes, { threads: 2 });
    try {
      const res = await run(session, { [g.inputName]: { data: x.data as Float32Array, shape: [...x.shape] } });
      torchTaps.forEach((a, i) => {
        const o = res[`output${i}`]!;
        assert.deepEqual(o.shape, [1, 16 * 2 ** i, R / 2 ** (i + 2), R / 2 ** (i + 2)]);
        let mx = 0, scale = 0;
        for (let j = 0; j < a.length; j++) { mx = Math.max(mx, Math.abs(a[j]! - o.data[j]!)); scale = Math.max(scale, Math.abs(a[j]!)); }
        assert.ok(scale > 0.5, `tap${i} degenerate`);
        assert.ok(mx < 1e-3, `tap${i}: max abs diff ${mx}`);
      });
    } finally {
      await releaseSession(session);
    }
  });
}

test('swin_v2 training step: gradients skip the key bias and clamped logit scales', () => {
  // No stochastic depth: a randomly dropped branch would get no gradient, which made this flaky.
  const cfg = { ...narrow(SWIN_VARIANTS.swinv2_tiny), stochasticDepth: 0 };
  const model = new SwinBackbone('swinv2_tiny', cfg).setPrefix('backbone.');
  const { ctx, params } = torchCtx(weightsFor(model), true, true);
  const taps = model.forward(ctx, fromHost(input(64)));
  let loss = ops.sum(ops.mul(taps[0]!, taps[0]!), [0, 1, 2, 3]);
  for (const t of taps.slice(1)) loss = ops.add(loss, ops.sum(t, [0, 1, 2, 3]));
  loss.backward();

  const grad = (k: string) => toFloat32(params.get(k)!.grad!.toHost());
  const qkvBias = grad('backbone.0.1.0.attn.qkv.bias'); // [3·16]: q | k | v
  assert.ok(qkvBias.subarray(16, 32).every((v) => v === 0), 'key bias must get no gradient');
  assert.ok(qkvBias.subarray(0, 16).some((v) => v !== 0) && qkvBias.subarray(32).some((v) => v !== 0));
  // heads 0/1 of stage 2 have logit_scale 2.3 / 4.9: the second sits above the ln(100) clamp
  const ls = grad('backbone.0.3.0.attn.logit_scale');
  assert.notEqual(ls[0], 0);
  assert.equal(ls[1], 0);
  assert.ok(grad('backbone.0.1.1.attn.cpb_mlp.0.weight').some((v) => v !== 0));
  assert.ok(grad('backbone.0.0.0.weight').some((v) => v !== 0));
});
