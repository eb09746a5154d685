// Every Ops method (and the training extras) against PyTorch's own results for the same inputs
// (expected-ops.json, written by make-expected.py with PyTorch 1.13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromData, manualSeed, TorchOps, tidy, type TorchTensor } from '../../src/engine/torch/index.js';
import { assertClose, gen, int64 } from './helpers.js';

interface Expected {
  shape: number[];
  dtype: string;
  values: number[];
}
const file = fileURLToPath(new URL('../../../test/engine-torch/expected-ops.json', import.meta.url));
const cases = (JSON.parse(readFileSync(file, 'utf8')) as { cases: Record<string, Expected> }).cases;
const ops = new TorchOps();
const checked = new Set<string>();

function check(name: string, t: TorchTensor, atol = 1e-5): void {
  const e = cases[name];
  assert.ok(e, `no expected values for ${name}`);
  assert.deepEqual([...t.shape], e.shape, `${name}: shape`);
  assert.equal(t.dtype, e.dtype, `${name}: dtype`);
  assertClose(t.toArray(), e.values, atol, 1e-5, name);
  checked.add(name);
}

test('layers: conv2d, conv_transpose2d, linear, matmul', () => tidy(() => {
  const x4 = gen([2, 4, 5, 6]);
  check('conv2d_basic', ops.conv2d(x4, gen([3, 4, 3, 3], 1), gen([3], 2)));
  check('conv2d_strided', ops.conv2d(x4, gen([6, 2, 3, 3], 3), null, { stride: 2, padding: 1, dilation: 1, groups: 2 }));
  check('conv2d_dilated', ops.conv2d(x4, gen([4, 1, 3, 3], 4), gen([4], 5), { stride: [1, 2], padding: 2, dilation: 2, groups: 4 }));
  check('conv_transpose2d', ops.convTranspose2d(gen([1, 4, 3, 3]), gen([4, 3, 2, 2], 6), gen([3], 7), { stride: 2 }));
  check('conv_transpose2d_opts', ops.convTranspose2d(gen([1, 4, 3, 4]), gen([4, 1, 3, 3], 8), null,
    { stride: 2, padding: 1, outputPadding: 1, groups: 2 }));
  check('linear', ops.linear(gen([2, 3, 5]), gen([4, 5], 1), gen([4], 2)));
  check('matmul', ops.matmul(gen([2, 1, 3, 4]), gen([3, 4, 2], 1)));
}));

test('batch_norm: training uses batch stats and updates running stats; eval uses them', () => tidy(() => {
  const x4 = gen([2, 4, 5, 6]);
  const rm = gen([4], 3);
  const rv = ops.add(ops.abs(gen([4], 4)), 0.5);
  const nbt = int64([7], []);
  check('batch_norm_train', ops.batchNorm(x4, gen([4], 5), gen([4], 6), rm, rv, true, 0.1, 1e-3, nbt));
  check('batch_norm_train_mean', rm);
  check('batch_norm_train_var', rv);
  assert.equal(nbt.item(), 8);
  const rv2 = ops.add(ops.abs(gen([4], 4)), 0.5);
  const nbt2 = int64([7], []);
  check('batch_norm_eval', ops.batchNorm(x4, gen([4], 5), gen([4], 6), gen([4], 3), rv2, false, 0.1, 1e-5, nbt2));
  assert.equal(nbt2.item(), 7, 'eval leaves num_batches_tracked alone');
  // Momentum semantics spelled out: new = (1 - m)·old + m·batch, with the unbiased batch variance.
  const y = gen([4, 2, 1, 1]);
  const m0 = ops.zeros([2]);
  const v0 = ops.ones([2]);
  ops.batchNorm(y, null, null, m0, v0, true, 0.25, 1e-5);
  const ch0 = [0, 2, 4, 6].map((i) => Number(gen([8]).toArray()[i]));
  const mean = ch0.reduce((a, b) => a + b, 0) / 4;
  const uvar = ch0.reduce((a, b) => a + (b - mean) ** 2, 0) / 3;
  assertClose([m0.toArray()[0]!], [0.75 * 0 + 0.25 * mean], 1e-6, 1e-6, 'running mean');
  assertClose([v0.toArray()[0]!], [0.75 * 1 + 0.25 * uvar], 1e-6, 1e-6, 'running var');
}));

test('layer_norm', () => tidy(() => {
  check('layer_norm', ops.layerNorm(gen([2, 3, 6]), [6], gen([6], 1), gen([6], 2), 1e-6));
  check('layer_norm_2d', ops.layerNorm(gen([2, 3, 4]), [3, 4], null, null, 1e-5));
}));

test('activations', () => tidy(() => {
  const a = gen([3, 7], 2, 2.5);
  check('relu', ops.relu(a));
  check('gelu', ops.gelu(a));
  check('silu', ops.silu(a));
  check('hardswish', ops.hardswish(a));
  check('hardsigmoid', ops.hardsigmoid(a));
  check('sigmoid', ops.sigmoid(a));
  check('tanh', ops.tanh(a));
  check('softmax', ops.softmax(a, -1));
  check('softmax_dim0', ops.softmax(a, 0));
  check('log_softmax', ops.logSoftmax(a, 1));
}));

test('pooling and bilinear resize', () => tidy(() => {
  const x4 = gen([2, 4, 5, 6]);
  check('max_pool2d', ops.maxPool2d(x4, 3, 2, 1));
  check('max_pool2d_default_stride', ops.maxPool2d(x4, 2));
  check('adaptive_avg_pool2d', ops.adaptiveAvgPool2d(gen([1, 2, 7, 5]), [3, 2]));
  check('adaptive_avg_pool2d_1', ops.adaptiveAvgPool2d(x4, 1));
  check('interp_up', ops.interpolateBilinear(gen([1, 2, 3, 4]), [7, 9]));
  check('interp_down', ops.interpolateBilinear(gen([1, 2, 8, 9]), [3, 4]));
  const same = gen([1, 2, 3, 4]);
  assert.deepEqual(ops.interpolateBilinear(same, [3, 4]).toArray(), same.toArray(), 'same size is an exact copy');
}));

test('elementwise math', () => tidy(() => {
  const a = gen([3, 7], 2, 2.5);
  const b = gen([3, 1], 5);
  check('add', ops.add(a, b));
  check('sub', ops.sub(a, b));
  check('mul', ops.mul(a, b));
  check('div', ops.div(a, ops.add(ops.abs(b), 0.5)));
  check('add_s', ops.add(a, 2));
  check('sub_s', ops.sub(a, 0.75));
  check('mul_s', ops.mul(a, 1.5));
  check('div_s', ops.div(a, 4));
  check('neg', ops.neg(a));
  check('exp', ops.exp(a));
  check('log', ops.log(ops.add(ops.abs(a), 0.1)));
  check('sqrt', ops.sqrt(ops.abs(a)));
  check('abs', ops.abs(a));
  check('sign', ops.sign(a));
  check('sin', ops.sin(a));
  check('cos', ops.cos(a));
  check('pow', ops.pow(a, 3));
  check('pow_half', ops.pow(ops.abs(a), 0.5));
  check('clamp', ops.clamp(a, -1, 0.5));
  check('clamp_min', ops.clamp(a, 0, null));
  check('eq', ops.eq(a, gen([3, 7], 4, 2.5)));
  check('eq_s', ops.eq(a, 0.3125 * 2.5 * 2));
  check('where', ops.where(ops.gt(a, 0), a, ops.expand(b, [3, 7])));
  check('cast_i64', ops.cast(ops.mul(a, 3), 'int64'));
  check('cast_f64', ops.cast(a, 'float64'));
}));

test('reductions', () => tidy(() => {
  const a = gen([3, 7], 2, 2.5);
  const x4 = gen([2, 4, 5, 6]);
  check('sum', ops.sum(a, [1]));
  check('sum_keep', ops.sum(x4, [1, 3], true));
  check('sum_all', ops.sum(a, []));
  check('mean', ops.mean(x4, [2, 3]));
  check('mean_keep', ops.mean(a, [0], true));
  check('argmax', ops.argmax(x4, 1));
  check('argmax_keep', ops.argmax(a, -1, true));
}));

test('shape ops', () => tidy(() => {
  const a = gen([3, 7], 2, 2.5);
  const b = gen([3, 1], 5);
  const x4 = gen([2, 4, 5, 6]);
  check('reshape', ops.reshape(a, [7, -1]));
  check('permute', ops.permute(x4, [0, 2, 3, 1]));
  check('transpose', ops.transpose(x4, 1, 3));
  check('slice', ops.slice(x4, 1, 1, 3));
  check('slice_step', ops.slice(x4, -1, 1, Infinity, 2));
  check('slice_neg', ops.slice(x4, 2, -3, -1));
  check('slice_big', ops.slice(x4, 2, 2, 100));
  check('concat', ops.concat([a, gen([3, 2], 9)], 1));
  check('concat0', ops.concat([a, ops.mul(a, 2)], 0));
  check('pad', ops.pad(x4, [1, 2, 0, 1], 0.5));
  check('pad_crop', ops.pad(x4, [-1, 1, 1, -2]));
  check('roll', ops.roll(x4, [2, -1], [2, 3]));
  check('index_select', ops.indexSelect(x4, 1, int64([3, 0, 3])));
  check('gather', ops.gather(a, 1, int64([0, 6, 2, 1, 1, 1, 5, 4, 3], [3, 3])));
  check('expand', ops.expand(b, [3, 4]));
  check('expand_new', ops.expand(gen([1, 3]), [2, 2, 3]));
}));

test('creation: constant, arange, zeros/ones/full, seeded random', () => tidy(() => {
  const c = ops.constant(new Int32Array([1, -2, 3, 4, 5, 6]), [2, 3]);
  assert.equal(c.dtype, 'int32');
  assert.deepEqual(c.toArray(), [1, -2, 3, 4, 5, 6]);
  const cb = ops.constant(new Uint8Array([1, 0, 1]), [3], 'bool');
  assert.equal(cb.dtype, 'bool');
  const cf = ops.constant(new Float32Array([0.5, 1.5]), [2, 1], 'float64');
  assert.equal(cf.dtype, 'float64');
  assert.deepEqual(cf.toArray(), [0.5, 1.5]);
  const ar = ops.arange(5);
  assert.equal(ar.dtype, 'int64');
  assert.deepEqual(ar.toArray(), [0, 1, 2, 3, 4]);
  assert.equal(ops.arange(3, 'float32').dtype, 'float32');
  assert.deepEqual(ops.zeros([2, 2]).toArray(), [0, 0, 0, 0]);
  assert.deepEqual(ops.ones([3], { dtype: 'int64' }).toArray(), [1, 1, 1]);
  assert.deepEqual(ops.full([2], 2.5).toArray(), [2.5, 2.5]);
  manualSeed(123);
  check('randn_seed123', ops.randn([2, 3]));
  check('rand_after', ops.rand([4]));
  check('randint_after', ops.randint(2, 9, [5]));
}));

test('training extras: cross_entropy, one_hot, scatter_add, index_add', () => tidy(() => {
  const logits = gen([2, 5, 3, 2], 3, 2.0);
  const t = [0, 4, 2, 1, -100, 3, 1, 1, 0, 2, 4, 3];
  check('cross_entropy', ops.crossEntropy(logits, int64(t, [2, 3, 2])));
  const tc = t.map((v) => Math.max(v, 0));
  check('cross_entropy_sum', ops.crossEntropy(logits, int64(tc, [2, 3, 2]), { reduction: 'sum' }));
  check('cross_entropy_none_ls', ops.crossEntropy(logits, int64(tc, [2, 3, 2]), { reduction: 'none', labelSmoothing: 0.1 }));
  check('one_hot', ops.oneHot(int64([2, 0, 3, 3]), 5));
  check('scatter_add', ops.scatterAdd(ops.zeros([3, 4]), 1, int64([0, 1, 1, 3, 2, 2, 0, 0, 3], [3, 3]), gen([3, 3], 1)));
  check('index_add', ops.indexAdd(ops.ones([4, 3]), 0, int64([1, 3, 1]), gen([3, 3], 2), 2));
}));

test('dropout and stochastic depth (row mode)', () => tidy(() => {
  const x = ops.add(ops.zeros([64, 3, 2, 2]), 1);
  assert.deepEqual(ops.dropout(x, 0.5, false).toArray(), x.toArray(), 'eval dropout is identity');
  manualSeed(1);
  const d = ops.dropout(x, 0.25, true).toArray();
  assert.ok(d.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6), 'kept values are scaled by 1/(1-p)');
  const dropped = d.filter((v) => v === 0).length / d.length;
  assert.ok(dropped > 0.15 && dropped < 0.35, `dropped fraction ${dropped}`);

  assert.deepEqual(ops.stochasticDepth(x, 0.5, false).toArray(), x.toArray());
  const s = ops.stochasticDepth(x, 0.5, true).toArray();
  let zeroRows = 0;
  for (let n = 0; n < 64; n++) {
    const row = s.slice(n * 12, n * 12 + 12);
    const allZero = row.every((v) => v === 0);
    const allKept = row.every((v) => Math.abs(v - 2) < 1e-6);
    assert.ok(allZero || allKept, `sample ${n} is dropped or kept as a whole (scaled by 1/keep)`);
    if (allZero) zeroRows++;
  }
  assert.ok(zeroRows > 16 && zeroRows < 48, `dropped samples ${zeroRows}/64`);
}));

test('every expected case was checked', () => {
  const missing = Object.keys(cases).filter((k) => !checked.has(k));
  assert.deepEqual(missing, []);
});

test('host round trip keeps dtype, shape and values', () => tidy(() => {
  const f16 = fromData(new Uint16Array([0x3c00, 0xc000]), [2], 'float16');
  assert.deepEqual(f16.toArray(), [1, -2]);
  assert.deepEqual(f16.toHost().data, new Uint16Array([0x3c00, 0xc000]));
  const i64 = int64([-3, 2 ** 40], [2, 1]);
  assert.deepEqual(i64.toHost(), { dtype: 'int64', shape: [2, 1], data: new BigInt64Array([-3n, 2n ** 40n]) });
}));
