// Dynamic batch: one graph, any batch size, equal to static builds item by item.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import onnxProto from 'onnx-proto';
import type { Ctx } from '../../src/engine/ops.js';
import type { OnnxValue } from '../../src/engine/onnx/graph.js';
import { buildOnnxGraph } from '../../src/engine/onnx/build.js';
import { createSession, releaseSession, run } from '../../src/engine/onnx/session.js';
import { hostTensor, type StateDict } from '../../src/io/host-tensor.js';
import { assertClose, f32 } from './helpers.js';

const { onnx } = onnxProto;

// Window partition (batch folded into dim 0), a learned token expanded to the batch, attention-like
// matmul, bilinear resize and a reduction: the batch-sensitive patterns SegFace uses.
const weights: StateDict = new Map([
  ['tok', hostTensor('float32', [1, 3, 4], f32([12], 9).data as Float32Array)],
  ['proj', hostTensor('float32', [4, 4], f32([16], 10).data as Float32Array)],
]);
const model = {
  forward(ctx: Ctx<OnnxValue>, x: OnnxValue): Record<string, OnnxValue> {
    const F = ctx.ops;
    const [b, c, h, w] = x.shape as [number, number, number, number];
    // [B, C, H, W] → windows [B·(H/2)·(W/2), 4, C]
    const win = F.reshape(F.permute(F.reshape(x, [b, c, h / 2, 2, w / 2, 2]), [0, 2, 4, 3, 5, 1]), [-1, 4, c]);
    const y = F.linear(F.gelu(win), ctx.get('proj'), null);
    const back = F.reshape(F.permute(F.reshape(y, [b, h / 2, w / 2, 2, 2, c]), [0, 5, 1, 3, 2, 4]), [b, c, h, w]);
    const tokens = F.expand(ctx.get('tok'), [b, 3, 4]);
    const flat = F.reshape(back, [b, c, h * w]);
    const attn = F.softmax(F.matmul(tokens, flat), -1); // [B, 3, HW]
    ctx.record?.('attn', attn);
    const up = F.interpolateBilinear(back, [h * 2, w * 2]);
    return { up, pooled: F.mean(up, [2, 3]) };
  },
};

test('dynamic batch: symbolic dim in the model, any batch runs and equals static builds', async () => {
  const g = buildOnnxGraph(model, weights, [1, 4, 4, 6], { dynamicBatch: true, recordIntermediates: true });
  assert.deepEqual(g.inputShape, [-1, 4, 4, 6]);
  assert.deepEqual(g.outputs, [
    { name: 'up', shape: [-1, 4, 8, 12] }, { name: 'pooled', shape: [-1, 4] }, { name: 'attn', shape: [-1, 3, 24] },
  ]);
  const proto = onnx.ModelProto.decode(g.bytes);
  assert.equal(proto.graph!.input![0]!.type!.tensorType!.shape!.dim![0]!.dimParam, 'batch');
  assert.equal(proto.graph!.output![0]!.type!.tensorType!.shape!.dim![0]!.dimParam, 'batch');

  const one = buildOnnxGraph(model, weights, [1, 4, 4, 6], { recordIntermediates: true });
  const sDyn = await createSession(g.bytes, { threads: 1 });
  const sOne = await createSession(one.bytes, { threads: 1 });
  try {
    for (const batch of [1, 2, 5]) {
      const x = f32([batch, 4, 4, 6], 20 + batch);
      const got = await run(sDyn, { input: { data: x.data as Float32Array, shape: x.shape } });
      assert.deepEqual(got.up!.shape, [batch, 4, 8, 12]);
      for (let i = 0; i < batch; i++) {
        const item = (x.data as Float32Array).subarray(i * 96, (i + 1) * 96);
        const ref = await run(sOne, { input: { data: item, shape: [1, 4, 4, 6] } });
        for (const name of ['up', 'pooled', 'attn']) {
          const n = ref[name]!.data.length;
          assertClose(got[name]!.data.subarray(i * n, (i + 1) * n), ref[name]!.data, 1e-5, `${name} item ${i} of ${batch}`);
        }
      }
    }
  } finally {
    await releaseSession(sDyn);
    await releaseSession(sOne);
  }
});

test('dynamic batch refuses a model whose constants carry the batch, naming the op', () => {
  const bad = {
    forward(ctx: Ctx<OnnxValue>, x: OnnxValue): OnnxValue {
      const n = x.shape[0]!;
      return ctx.ops.add(x, ctx.ops.constant(new Float32Array(n * 4).fill(n), [n, 4, 1, 1]));
    },
  };
  assert.throws(() => buildOnnxGraph(bad, new Map(), [1, 4, 2, 2], { dynamicBatch: true }), /dynamic batch: .*Add node/);
});
