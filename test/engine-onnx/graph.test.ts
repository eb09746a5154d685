// The builder itself: weights embedded once, constants deduplicated, unused weights dropped,
// buildOnnx on real layers with recorded taps, and the serialised model's structure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import onnxProto from 'onnx-proto';
import type { Ctx } from '../../src/engine/ops.js';
import { GraphBuilder, OPSET, type OnnxValue } from '../../src/engine/onnx/graph.js';
import { OnnxOps } from '../../src/engine/onnx/ops.js';
import { onnxCtx } from '../../src/engine/onnx/ctx.js';
import { buildOnnxGraph } from '../../src/engine/onnx/build.js';
import { createSession, releaseSession, run } from '../../src/engine/onnx/session.js';
import { float32ToHalfArray, floatToHalf, halfToFloat } from '../../src/engine/onnx/host-data.js';
import { hostTensor, type StateDict } from '../../src/io/host-tensor.js';
import { BatchNorm2d, Conv2d, Linear } from '../../src/model/layers.js';
import { Sequential } from '../../src/model/module.js';
import { assertClose, f32 } from './helpers.js';

const { onnx } = onnxProto;

function stateDictFor(m: Sequential, seed = 1): StateDict {
  const sd: StateDict = new Map();
  let s = seed;
  for (const [key, d] of m.declarations()) {
    const n = d.shape.reduce((a, b) => a * b, 1);
    if (d.dtype === 'int64') sd.set(key, hostTensor('int64', d.shape, new BigInt64Array(n)));
    else {
      const data = f32([n], s++).data as Float32Array;
      if (key.endsWith('running_var')) for (let i = 0; i < n; i++) data[i] = Math.abs(data[i]!) + 0.5;
      sd.set(key, hostTensor('float32', d.shape, data));
    }
  }
  return sd;
}

test('a weight used many times (linear, transpose) is embedded once, never copied', () => {
  const g = new GraphBuilder();
  const ops = new OnnxOps(g);
  const sd: StateDict = new Map([['fc.weight', hostTensor('float32', [3, 4], f32([12], 2).data as Float32Array)]]);
  const ctx = onnxCtx(ops, sd);
  const x = g.input('x', [2, 4]);
  let y = x;
  for (let i = 0; i < 3; i++) y = ops.linear(ops.slice(ops.concat([y, y], 1), 1, 0, 4), ctx.get('fc.weight'), null);
  void y;
  g.output(ops.add(ops.linear(x, ctx.get('fc.weight'), null), ops.matmul(x, ops.transpose(ctx.get('fc.weight'), 0, 1))), 'y');
  const inits = g.initializerSummary();
  const names = inits.map((i) => i.name);
  assert.equal(names.filter((n) => n.startsWith('fc.weight')).length, 1);
  assert.equal(inits.filter((i) => i.shape.length === 2).length, 1, 'no transposed copy');
  assert.equal(new Set(names).size, names.length);
});

test('identical small constants share one initializer; unused weights are not serialised', () => {
  const g = new GraphBuilder();
  const ops = new OnnxOps(g);
  const sd: StateDict = new Map([
    ['used', hostTensor('float32', [2], Float32Array.from([1, 2]))],
    ['unused', hostTensor('float32', [2], Float32Array.from([3, 4]))],
    ['bn.num_batches_tracked', hostTensor('int64', [], new BigInt64Array(1))],
  ]);
  const ctx = onnxCtx(ops, sd);
  const x = g.input('x', [2]);
  ctx.get('unused');
  ctx.get('bn.num_batches_tracked');
  const y = ops.mul(ops.add(ops.add(ops.add(x, 1.5), 1.5), ctx.get('used')), ops.constant(Float32Array.from([1, 2]), [2]));
  g.output(y, 'y');
  const inits = g.initializerSummary();
  // one scalar 1.5, and 'used' (the [1, 2] constant is identical to it and shares it)
  assert.equal(inits.length, 2, inits.map((i) => i.name).join(', '));
  assert.ok(inits.some((i) => i.name === 'used'));
  assert.ok(inits.some((i) => i.shape.length === 0 && i.dtype === 'float32'));
  const model = onnx.ModelProto.decode(g.serialize());
  assert.equal(model.graph!.initializer!.length, 2);
  assert.equal(Number(model.opsetImport[0]!.version), OPSET);
  assert.ok(!model.graph!.initializer!.some((t) => t.name === 'unused' || t.name === 'bn.num_batches_tracked'));
});

test('a missing weight names the key', () => {
  const ops = new OnnxOps();
  assert.throws(() => onnxCtx(ops, new Map()).get('backbone.stem.weight'), /backbone\.stem\.weight/);
});

test('buildOnnxGraph on torch-named layers: conv → BN → relu → pool → linear, with recorded taps', async () => {
  const conv = new Conv2d(3, 4, 3, { padding: 1, stride: 2 });
  const bn = new BatchNorm2d(4);
  const fc = new Linear(4, 5);
  const net = new Sequential([conv, bn, fc]).setPrefix('');
  const sd = stateDictFor(net);
  const model = {
    forward(ctx: Ctx<OnnxValue>, x: OnnxValue) {
      const F = ctx.ops;
      const c = conv.forward(ctx, x);
      ctx.record?.('conv', c);
      const h = F.relu(bn.forward(ctx, c));
      ctx.record?.('bn_relu', h);
      const pooled = F.reshape(F.adaptiveAvgPool2d(h, 1), [2, 4]);
      return { logits: fc.forward(ctx, pooled), pooled };
    },
  };
  const g = buildOnnxGraph(model, sd, [2, 3, 8, 8], { recordIntermediates: true });
  assert.deepEqual(g.outputs, [
    { name: 'logits', shape: [2, 5] }, { name: 'pooled', shape: [2, 4] },
    { name: 'conv', shape: [2, 4, 4, 4] }, { name: 'bn_relu', shape: [2, 4, 4, 4] },
  ]);
  const proto = onnx.ModelProto.decode(g.bytes);
  const initNames = proto.graph!.initializer!.map((t) => t.name);
  assert.ok(!initNames.includes('1.num_batches_tracked'));
  assert.equal(new Set(initNames).size, initNames.length);

  const x = f32([2, 3, 8, 8], 42);
  const s = await createSession(g.bytes, { threads: 1 });
  const res = await run(s, { input: { data: x.data as Float32Array, shape: x.shape } });
  await releaseSession(s);
  // Reference through the same taps: BN+relu on ORT's conv, then pool and the linear layer by hand.
  const C = res.conv!.data;
  const get = (k: string): Float32Array => sd.get(k)!.data as Float32Array;
  const h = C.map((v, i) => {
    const ch = Math.floor(i / 16) % 4;
    return Math.max(0, ((v - get('1.running_mean')[ch]!) / Math.sqrt(get('1.running_var')[ch]! + 1e-5)) * get('1.weight')[ch]! + get('1.bias')[ch]!);
  });
  assertClose(res.bn_relu!.data, h, 1e-5, 'bn+relu');
  const pooled = Array.from({ length: 8 }, (_, p) => h.subarray(p * 16, p * 16 + 16).reduce((a, b) => a + b, 0) / 16);
  assertClose(res.pooled!.data, pooled, 1e-5, 'pool');
  const logits: number[] = [];
  for (let n = 0; n < 2; n++) for (let o = 0; o < 5; o++) {
    let acc = get('2.bias')[o]!;
    for (let i = 0; i < 4; i++) acc += pooled[n * 4 + i]! * get('2.weight')[o * 4 + i]!;
    logits.push(acc);
  }
  assertClose(res.logits!.data, logits, 1e-5, 'linear');
});

test('float16 build: weights embedded as float16, float32 input and outputs, close to float32', async () => {
  const conv = new Conv2d(3, 4, 3, { padding: 1 });
  const net = new Sequential([conv]).setPrefix('');
  const sd = stateDictFor(net, 7);
  const model = { forward: (ctx: Ctx<OnnxValue>, x: OnnxValue) => ctx.ops.gelu(conv.forward(ctx, x)) };
  const x = f32([1, 3, 6, 6], 3);
  const outs: Float32Array[] = [];
  for (const dtype of ['float32', 'float16'] as const) {
    const g = buildOnnxGraph(model, sd, [1, 3, 6, 6], { dtype });
    const proto = onnx.ModelProto.decode(g.bytes);
    const w = proto.graph!.initializer!.find((t) => t.name === '0.weight')!;
    assert.equal(w.dataType, dtype === 'float16' ? onnx.TensorProto.DataType.FLOAT16 : onnx.TensorProto.DataType.FLOAT);
    const s = await createSession(g.bytes, { threads: 1 });
    outs.push((await run(s, { input: { data: x.data as Float32Array, shape: x.shape } })).output!.data);
    await releaseSession(s);
  }
  assertClose(outs[1]!, outs[0]!, 2e-2, 'float16 vs float32');
});

test('float32 → float16 conversion rounds to nearest even, including subnormals, overflow and NaN', () => {
  const vals = [0, -0, 1, -2.5, 65504, 65520, 1e6, 6.1e-5, 5.96e-8, 2.98e-8, 1e-10, 1 + 2 ** -11, 1 + 3 * 2 ** -11, NaN, Infinity, -Infinity, 0.1, 3.14159];
  const fast = float32ToHalfArray(Float32Array.from(vals));
  const slow = vals.map((v) => floatToHalf(v));
  assert.deepEqual(Array.from(fast), slow);
  // spot values: 1 + 2^-11 ties to 1 (even), 1 + 3·2^-11 ties up, 65520 overflows to inf
  assert.equal(fast[11], 0x3c00);
  assert.equal(fast[12], 0x3c02);
  assert.equal(fast[5], 0x7c00);
  assert.equal(halfToFloat(fast[16]!), 0.0999755859375);
});

/** A 3×3 conv ('0.') then a 64→64 linear ('1.'), with seeded weights: the smallest mixed-precision model. */
function convThenLinear(seed: number) {
  const conv = new Conv2d(3, 4, 3, { padding: 1 });
  const fc = new Linear(64, 64);
  const sd = stateDictFor(new Sequential([conv, fc]).setPrefix(''), seed);
  const model = {
    forward: (ctx: Ctx<OnnxValue>, x: OnnxValue) => fc.forward(ctx, ctx.ops.reshape(conv.forward(ctx, x), [1, 64])),
  };
  return { sd, model };
}

test('weightDType float16: large kernels stored as float16, small ones and the arithmetic stay float32', async () => {
  const { sd, model } = convThenLinear(11);
  const x = f32([1, 3, 4, 4], 5);
  // Reference: a float32 graph whose large weight was rounded to float16 on the host.
  const rounded: StateDict = new Map(sd);
  const w1 = sd.get('1.weight')!;
  rounded.set('1.weight', hostTensor('float32', w1.shape, Float32Array.from(w1.data as Float32Array, (v) => halfToFloat(floatToHalf(v)))));
  const outs: Float32Array[] = [];
  for (const [weights, weightDType] of [[rounded, 'float32'], [sd, 'float16'], [sd, 'float32']] as const) {
    const g = buildOnnxGraph(model, weights, [1, 3, 4, 4], { weightDType });
    const byName = new Map(onnx.ModelProto.decode(g.bytes).graph!.initializer!.map((t) => [t.name, t.dataType]));
    const F16 = onnx.TensorProto.DataType.FLOAT16;
    const F32 = onnx.TensorProto.DataType.FLOAT;
    assert.equal(byName.get('1.weight'), weightDType === 'float16' ? F16 : F32);
    assert.equal(byName.get('0.weight'), F32);
    assert.equal(byName.get('1.bias'), F32);
    const s = await createSession(g.bytes, { threads: 1 });
    outs.push((await run(s, { input: { data: x.data as Float32Array, shape: x.shape } })).output!.data);
    await releaseSession(s);
  }
  assertClose(outs[1]!, outs[0]!, 1e-6, 'float16-stored weights compute in float32');
  assert.ok(outs[1]!.some((v, i) => v !== outs[2]![i]), 'the float16 weights were really rounded');
  const kept = buildOnnxGraph(model, sd, [1, 3, 4, 4], { weightDType: 'float16', float32Modules: ['1.'] });
  const w = onnx.ModelProto.decode(kept.bytes).graph!.initializer!.find((t) => t.name === '1.weight')!;
  assert.equal(w.dataType, onnx.TensorProto.DataType.FLOAT, 'float32Modules keeps a key in float32');
});

test('a precision plan mixes a float16 graph by module prefix: each layer computes in its weights\' dtype', async () => {
  const { sd, model } = convThenLinear(12);
  const x = f32([1, 3, 4, 4], 6);
  const F16 = onnx.TensorProto.DataType.FLOAT16;
  const F32 = onnx.TensorProto.DataType.FLOAT;
  const outs: Float32Array[] = [];
  for (const float32Modules of [['0.', '1.'], ['1.'], []]) {
    const g = buildOnnxGraph(model, sd, [1, 3, 4, 4], { dtype: 'float16', float32Modules });
    const proto = onnx.ModelProto.decode(g.bytes).graph!;
    const byName = new Map(proto.initializer!.map((t) => [t.name, t.dataType]));
    for (const k of ['0.weight', '1.weight']) assert.equal(byName.get(k), float32Modules.some((p) => k.startsWith(p)) ? F32 : F16, k);
    // Input and output stay float32; one cast in front of each layer whose dtype differs from its input's.
    const casts = proto.node!.filter((n) => n.opType === 'Cast').length;
    assert.equal(casts, [0, 2, 2][outs.length], `${casts} casts with float32Modules [${float32Modules}]`);
    const s = await createSession(g.bytes, { threads: 1 });
    outs.push((await run(s, { input: { data: x.data as Float32Array, shape: x.shape } })).output!.data);
    await releaseSession(s);
  }
  // Relative to the largest logit: float16 rounding, no more (an unmixed float32 graph would give 0).
  const ref = outs[0]!;
  const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const err = (o: Float32Array) => o.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i]!)), 0) / scale;
  for (const [i, what] of [[1, 'conv in float16'], [2, 'all float16']] as const) {
    assert.ok(err(outs[i]!) > 0 && err(outs[i]!) < 4e-3, `${what}: ${err(outs[i]!)} of the largest logit ${scale}`);
  }
});

test('a model ORT cannot load fails with a clear message', async () => {
  await assert.rejects(createSession(Uint8Array.from([1, 2, 3])), /ONNX Runtime could not load the model \(3 bytes\)/);
});
