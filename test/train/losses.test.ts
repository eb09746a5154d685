import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TorchOps } from '../../src/engine/torch/ops.js';
import { tidy } from '../../src/engine/torch/scope.js';
import { fromData } from '../../src/engine/torch/tensor.js';
import { crossEntropy, diceLoss, trainingLoss } from '../../src/train/losses.js';

const ops = new TorchOps();
// One image, 3 classes, 1×2 pixels. Logits (class-major): pixel 0 = (0, ln 2, 0), pixel 1 = (0, 0, ln 3).
const logits = Float32Array.from([0, 0, Math.log(2), 0, 0, Math.log(3)]);
const labels = BigInt64Array.from([1n, 0n]);
// softmax: pixel 0 → (1/4, 2/4, 1/4); pixel 1 → (1/5, 1/5, 3/5).
const p = [[0.25, 0.5, 0.25], [0.2, 0.2, 0.6]];

test('cross-entropy is the mean of −log p[label] over pixels', () => {
  const v = tidy(() => crossEntropy(ops, fromData(logits, [1, 3, 1, 2]), fromData(labels, [1, 1, 2])).item());
  const want = (-Math.log(0.5) - Math.log(0.2)) / 2;
  assert.ok(Math.abs(v - want) < 1e-6, `${v} vs ${want}`);
  // Same as libtorch's own cross_entropy.
  const ref = tidy(() => ops.crossEntropy(fromData(logits, [1, 3, 1, 2]), fromData(labels, [1, 1, 2])).item());
  assert.ok(Math.abs(v - ref) < 1e-6);
});

test('Dice: per class over the batch, 1 − (2Σpt + ε)/(Σp² + Σt² + ε), averaged over all classes', () => {
  const v = tidy(() => diceLoss(ops, fromData(logits, [1, 3, 1, 2]), fromData(labels, [1, 1, 2])).item());
  const eps = 1e-5;
  const t = [[0, 1, 0], [1, 0, 0]];
  let sum = 0;
  for (let c = 0; c < 3; c++) {
    let pt = 0, pp = 0, tt = 0;
    for (let i = 0; i < 2; i++) { pt += p[i]![c]! * t[i]![c]!; pp += p[i]![c]! ** 2; tt += t[i]![c]!; }
    sum += 1 - (2 * pt + eps) / (pp + tt + eps);
  }
  // Class 2 is absent from the target: its Dice is 1 − ε/(Σp² + ε), close to 1, and still counted.
  assert.ok(Math.abs(v - sum / 3) < 1e-6, `${v} vs ${sum / 3}`);
});

test('official recipe: 0.5·CE + 0.5·Dice, with parts reported', () => {
  const r = tidy(() => {
    const z = fromData(logits, [1, 3, 1, 2]);
    const out = trainingLoss(ops, z, fromData(labels, [1, 1, 2]), labels, {
      kind: 'ce_dice', blobs: 'class', consensus: { alpha: 1, beta: 1, reducePixel: 'idx', reducePixelKl: 'idx' },
    });
    return { loss: out.loss.item(), ce: out.parts.ce!.item(), dice: out.parts.dice!.item() };
  });
  assert.ok(Math.abs(r.loss - 0.5 * r.ce - 0.5 * r.dice) < 1e-6);
});
