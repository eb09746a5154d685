// Train-mode behaviour on libtorch (spec §2, torchvision defaults): BatchNorm uses batch
// statistics and updates running stats with each family's momentum; stochastic depth is random
// only where torchvision has it (EfficientNetV2, ConvNeXt; not MobileNetV3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ctx } from '../../src/engine/ops.js';
import { fromData, fromHost, loadTorch, manualSeed, noGrad, setNumThreads, type TorchTensor } from '../../src/engine/torch/index.js';
import { toFloat32 } from '../../src/io/host-tensor.js';
import { buildSegFace } from '../../src/model/build.js';
import { randomStateDict } from '../../src/model/load.js';
import type { SegFace } from '../../src/model/segface.js';

const R = 32;

function setup(model: string) {
  const engine = loadTorch();
  setNumThreads(2);
  const net = buildSegFace({ model, head: 'celeb', resolution: R });
  const weights = new Map<string, TorchTensor>();
  for (const [k, t] of randomStateDict(net, 5)) weights.set(k, fromHost(t));
  const ctx: Ctx<TorchTensor> = { ops: engine.ops, training: true, get: (k) => weights.get(k)! };
  const x = fromData(new Float32Array(2 * 3 * R * R).map((_, i) => Math.sin(i * 0.01) * 1.5 + 0.2), [2, 3, R, R], 'float32');
  const fwd = (n: SegFace, c: Ctx<TorchTensor>) => noGrad(() => toFloat32(n.forward(c, x).toHost()));
  return { net, weights, ctx, fwd, dispose: () => { for (const t of weights.values()) t.dispose(); x.dispose(); } };
}

/** Two identical training steps from zero running means: rm2/rm1 = 2 − momentum. */
function measuredMomentum(model: string, key: string): number {
  const { net, weights, ctx, fwd, dispose } = setup(model);
  try {
    fwd(net, ctx);
    const rm1 = Float32Array.from(toFloat32(weights.get(`${key}.running_mean`)!.toHost()));
    fwd(net, ctx);
    const rm2 = toFloat32(weights.get(`${key}.running_mean`)!.toHost());
    assert.equal(Number((weights.get(`${key}.num_batches_tracked`)!.toHost().data as BigInt64Array)[0]), 2);
    let i = 0;
    while (Math.abs(rm1[i]!) < 1e-3) i++;
    return 2 - rm2[i]! / rm1[i]!;
  } finally {
    dispose();
  }
}

test('BatchNorm momentum per family: MobileNetV3 0.01, EfficientNetV2 0.1, ResNet 0.1', () => {
  assert.ok(Math.abs(measuredMomentum('mobilenet', 'backbone.0.1') - 0.01) < 1e-4);
  assert.ok(Math.abs(measuredMomentum('efficientnet', 'backbone.0.1') - 0.1) < 1e-4);
  assert.ok(Math.abs(measuredMomentum('resnet', 'backbone.1') - 0.1) < 1e-4);
});

test('stochastic depth: random in training for EfficientNetV2 and ConvNeXt, absent in MobileNetV3', () => {
  const differs = (model: string): boolean => {
    const { net, ctx, fwd, dispose } = setup(model);
    try {
      manualSeed(1);
      const a = fwd(net, ctx);
      const b = fwd(net, ctx); // BN batch statistics are the same on the same input
      return a.some((v, i) => v !== b[i]);
    } finally {
      dispose();
    }
  };
  assert.equal(differs('mobilenet'), false);
  assert.equal(differs('efficientnet'), true);
  assert.equal(differs('convnext_small'), true);
});

test('drop rates follow torchvision: EfficientNetV2-M 0.2·i/57, ConvNeXt-Small 0.4·i/35', () => {
  const rates = (model: string) => {
    const out: number[] = [];
    const walk = (m: { children(): IterableIterator<[string, unknown]> }) => {
      for (const [, c] of m.children()) {
        const r = (c as { dropRate?: number }).dropRate;
        if (typeof r === 'number') out.push(r);
        walk(c as typeof m);
      }
    };
    walk(buildSegFace({ model, head: 'celeb', resolution: R }).backbone);
    return out;
  };
  const eff = rates('efficientnet');
  assert.equal(eff.length, 57); // 3+5+5+7+14+18+5 blocks, rate·id/total
  assert.equal(eff[0], 0);
  assert.ok(Math.abs(eff[56]! - (0.2 * 56) / 57) < 1e-12);
  const cnx = rates('convnext_small');
  assert.equal(cnx.length, 36); // 3+3+27+3 blocks, rate·id/(total−1)
  assert.equal(cnx[0], 0);
  assert.ok(Math.abs(cnx[35]! - 0.4) < 1e-12);
});
