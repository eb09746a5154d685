// The symbolic batch rewrite on small graphs: shape constants that scale with the batch become
// run-time shapes; anything else that depends on the batch is refused with a clear reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { Ctx } from '../../src/engine/ops.js';
import { buildOnnxGraph } from '../../src/engine/onnx/build.js';
import type { OnnxValue } from '../../src/engine/onnx/graph.js';
import { DYNAMIC_BUILD_BATCHES, makeBatchDynamic } from '../../src/export/dynamic-batch.js';

const dynamic = (model: { forward(ctx: Ctx<OnnxValue>, x: OnnxValue): OnnxValue }) => {
  const [a, b] = DYNAMIC_BUILD_BATCHES.map((n) => buildOnnxGraph(model, new Map(), [n, 2, 3]).bytes) as [Uint8Array, Uint8Array];
  return makeBatchDynamic(a, b);
};

test('reshape / expand / tokens-per-image graphs run at any batch', async () => {
  // x [B,2,3] → flatten to [B*2,3], add per-row tokens expanded to the batch, back to [B,2,3].
  const model = {
    forward(ctx: Ctx<OnnxValue>, x: OnnxValue): OnnxValue {
      const o = ctx.ops;
      const [b] = x.shape as [number];
      const tok = o.expand(o.constant(new Float32Array([1, 2, 3, 4, 5, 6]), [1, 2, 3]), [b, 2, 3]);
      const flat = o.reshape(o.add(x, tok), [b * 2, 3]);
      return o.reshape(o.mul(flat, 2), [b, 2, 3]);
    },
  };
  const bytes = dynamic(model);
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    for (const n of [1, 4]) {
      const x = Float32Array.from({ length: n * 6 }, (_, i) => i);
      const out = (await s.run({ input: new ort.Tensor('float32', x, [n, 2, 3]) })).output!;
      assert.deepEqual(out.dims, [n, 2, 3]);
      assert.deepEqual([...(out.data as Float32Array)], [...x].map((v, i) => 2 * (v + (i % 6) + 1)));
    }
  } finally {
    await s.release();
  }
});

test('a batch-dependent constant that is not a shape is refused', () => {
  const model = {
    forward(ctx: Ctx<OnnxValue>, x: OnnxValue): OnnxValue {
      const [b] = x.shape as [number];
      return ctx.ops.add(x, ctx.ops.constant(new Float32Array(b * 6).fill(b), [b, 2, 3]));
    },
  };
  assert.throws(() => dynamic(model), /cannot make the batch dimension dynamic: .*not a shape/);
});
