// AdamW's multi-tensor path (libtorch ≥ 2.0) against its per-parameter path: the same operations,
// so the same bits. Debian's libtorch 1.13 lacks _foreach_lerp_, and asking for the path there
// must say so; the GPU machine's libtorch 2.x runs the comparison (docs/benchmarks.md, CUDA).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, fromData, tidy, type TorchTensor } from '../../src/engine/torch/index.js';

function run(foreach: boolean): number[][] {
  return tidy(() => {
    const shapes = [[3], [2, 2], [1]];
    let k = 0;
    const ps = shapes.map((s) => fromData(Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => Math.sin(++k)), s).requiresGrad_());
    const opt = new AdamW(ps, { lr: 0.01, weightDecay: 0.1, foreach });
    for (let step = 1; step <= 3; step++) {
      ps.forEach((p: TorchTensor, i) => {
        p.grad = fromData(Float32Array.from({ length: p.numel }, (_, j) => Math.cos(step * 7 + i * 3 + j)), p.shape);
      });
      opt.step();
    }
    return ps.map((p) => [...p.toFloat32Array()]);
  });
}

test('AdamW foreach: the multi-tensor step equals the per-parameter step bit for bit, or is refused by name', (t) => {
  let foreach: number[][];
  try {
    foreach = run(true);
  } catch (e) {
    assert.match((e as Error).message, /AdamW foreach: this libtorch lacks the multi-tensor ops \(it needs 2\.0 or later\)/);
    const plain = run(false);
    assert.ok(plain.flat().every(Number.isFinite) && plain[0]![0] !== Math.sin(1), 'the per-parameter path still steps');
    t.diagnostic('this libtorch has no multi-tensor ops: checked the refusal');
    return;
  }
  assert.deepEqual(foreach, run(false));
  t.diagnostic('multi-tensor path compared');
});
