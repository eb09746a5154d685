// Activations, elementwise arithmetic, comparisons, casts and reductions against formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, erf, f32, i64, nums, runOps } from './helpers.js';

const map = (d: ArrayLike<number>, f: (v: number) => number): number[] => Array.from(d, f);

test('activations match their PyTorch definitions', async () => {
  const x = f32([2, 3, 5], 1);
  // include the hard-* breakpoints
  (x.data as Float32Array).set([-3, 3, 0, -4, 4]);
  const X = x.data as Float32Array;
  const res = await runOps({ x }, (ops, v) => ({
    relu: ops.relu(v.x!), gelu: ops.gelu(v.x!), silu: ops.silu(v.x!), hardswish: ops.hardswish(v.x!),
    hardsigmoid: ops.hardsigmoid(v.x!), sigmoid: ops.sigmoid(v.x!), tanh: ops.tanh(v.x!),
  }));
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const relu6 = (v: number): number => Math.min(Math.max(v, 0), 6);
  assertClose(res.relu!.data as Float32Array, map(X, (v) => Math.max(v, 0)), 0, 'relu');
  assertClose(res.gelu!.data as Float32Array, map(X, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))), 1e-6, 'gelu (exact erf)');
  assertClose(res.silu!.data as Float32Array, map(X, (v) => v * sig(v)), 1e-6, 'silu');
  assertClose(res.hardswish!.data as Float32Array, map(X, (v) => (v * relu6(v + 3)) / 6), 1e-6, 'hardswish');
  assertClose(res.hardsigmoid!.data as Float32Array, map(X, (v) => relu6(v + 3) / 6), 1e-6, 'hardsigmoid');
  assertClose(res.sigmoid!.data as Float32Array, map(X, sig), 1e-6, 'sigmoid');
  assertClose(res.tanh!.data as Float32Array, map(X, Math.tanh), 1e-6, 'tanh');
});

test('softmax and logSoftmax along a negative and a middle dim', async () => {
  const x = f32([2, 3, 4], 2);
  const X = x.data as Float32Array;
  const res = await runOps({ x }, (ops, v) => ({ s: ops.softmax(v.x!, -1), l: ops.logSoftmax(v.x!, 1) }));
  const s: number[] = [];
  for (let r = 0; r < 6; r++) {
    const row = Array.from(X.subarray(r * 4, r * 4 + 4));
    const m = Math.max(...row);
    const z = row.reduce((acc, v) => acc + Math.exp(v - m), 0);
    s.push(...row.map((v) => Math.exp(v - m) / z));
  }
  assertClose(res.s!.data as Float32Array, s, 1e-6, 'softmax');
  const l = new Array<number>(24);
  for (let n = 0; n < 2; n++) for (let j = 0; j < 4; j++) {
    const col = [0, 1, 2].map((c) => X[n * 12 + c * 4 + j]!);
    const m = Math.max(...col);
    const lz = m + Math.log(col.reduce((acc, v) => acc + Math.exp(v - m), 0));
    for (let c = 0; c < 3; c++) l[n * 12 + c * 4 + j] = col[c]! - lz;
  }
  assertClose(res.l!.data as Float32Array, l, 1e-6, 'logSoftmax');
});

test('binary ops broadcast, take scalar operands and keep x dtype', async () => {
  const a = f32([2, 1, 3], 1);
  const b = f32([4, 1], 2);
  const A = a.data as Float32Array;
  const B = b.data as Float32Array;
  const res = await runOps({ a, b }, (ops, v) => ({
    add: ops.add(v.a!, v.b!), sub: ops.sub(v.a!, v.b!), mul: ops.mul(v.a!, v.b!), div: ops.div(v.a!, v.b!),
    adds: ops.add(v.a!, 1.5), subs: ops.sub(v.a!, 2), muls: ops.mul(v.a!, -3), divs: ops.div(v.a!, 4),
  }));
  const bc = (f: (x: number, y: number) => number): number[] => {
    const out: number[] = [];
    for (let n = 0; n < 2; n++) for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) out.push(f(A[n * 3 + j]!, B[i]!));
    return out;
  };
  assert.deepEqual(res.add!.shape, [2, 4, 3]);
  assertClose(res.add!.data as Float32Array, bc((x, y) => x + y), 1e-6);
  assertClose(res.sub!.data as Float32Array, bc((x, y) => x - y), 1e-6);
  assertClose(res.mul!.data as Float32Array, bc((x, y) => x * y), 1e-6);
  assertClose(res.div!.data as Float32Array, bc((x, y) => x / y), 1e-5);
  assertClose(res.adds!.data as Float32Array, map(A, (x) => x + 1.5), 1e-6);
  assertClose(res.subs!.data as Float32Array, map(A, (x) => x - 2), 1e-6);
  assertClose(res.muls!.data as Float32Array, map(A, (x) => x * -3), 1e-6);
  assertClose(res.divs!.data as Float32Array, map(A, (x) => x / 4), 1e-6);
});

test('integer operands: int64 arithmetic stays int64, true division and fractional scalars give float', async () => {
  const k = i64([1, 2, 3, 7]);
  const res = await runOps({ k }, (ops, v) => ({
    add: ops.add(v.k!, 2), mul: ops.mul(v.k!, v.k!), div: ops.div(v.k!, 2), half: ops.mul(v.k!, 0.5),
  }));
  assert.equal(res.add!.dtype, 'int64');
  assert.deepEqual(nums(res.add!.data), [3, 4, 5, 9]);
  assert.deepEqual(nums(res.mul!.data), [1, 4, 9, 49]);
  assert.equal(res.div!.dtype, 'float32');
  assert.deepEqual(nums(res.div!.data), [0.5, 1, 1.5, 3.5]);
  assert.deepEqual(nums(res.half!.data), [0.5, 1, 1.5, 3.5]);
});

test('unary math, pow and clamp', async () => {
  const x = f32([3, 4], 3);
  const X = x.data as Float32Array;
  const res = await runOps({ x }, (ops, v) => {
    const p = ops.add(ops.abs(v.x!), 0.1);
    return {
      neg: ops.neg(v.x!), exp: ops.exp(v.x!), log: ops.log(p), sqrt: ops.sqrt(p), abs: ops.abs(v.x!),
      sign: ops.sign(v.x!), sin: ops.sin(v.x!), cos: ops.cos(v.x!),
      p2: ops.pow(v.x!, 2), p3: ops.pow(v.x!, 3), ph: ops.pow(p, 0.5), pf: ops.pow(p, 1.7), pm: ops.pow(p, -1),
      c: ops.clamp(v.x!, -0.5, 0.7), cmin: ops.clamp(v.x!, 0, null), cmax: ops.clamp(v.x!, null, 0.25),
    };
  });
  const P = map(X, (v) => Math.fround(Math.abs(v) + 0.1));
  assertClose(res.neg!.data as Float32Array, map(X, (v) => -v), 0);
  assertClose(res.exp!.data as Float32Array, map(X, Math.exp), 1e-6);
  assertClose(res.log!.data as Float32Array, P.map(Math.log), 1e-6);
  assertClose(res.sqrt!.data as Float32Array, P.map(Math.sqrt), 1e-6);
  assertClose(res.abs!.data as Float32Array, map(X, Math.abs), 0);
  assertClose(res.sign!.data as Float32Array, map(X, Math.sign), 0);
  assertClose(res.sin!.data as Float32Array, map(X, Math.sin), 1e-6);
  assertClose(res.cos!.data as Float32Array, map(X, Math.cos), 1e-6);
  assertClose(res.p2!.data as Float32Array, map(X, (v) => v * v), 1e-6);
  assertClose(res.p3!.data as Float32Array, map(X, (v) => v ** 3), 1e-6);
  assertClose(res.ph!.data as Float32Array, P.map(Math.sqrt), 1e-6);
  assertClose(res.pf!.data as Float32Array, P.map((v) => v ** 1.7), 1e-6);
  assertClose(res.pm!.data as Float32Array, P.map((v) => 1 / v), 1e-6);
  assertClose(res.c!.data as Float32Array, map(X, (v) => Math.min(Math.max(v, -0.5), Math.fround(0.7))), 0);
  assertClose(res.cmin!.data as Float32Array, map(X, (v) => Math.max(v, 0)), 0);
  assertClose(res.cmax!.data as Float32Array, map(X, (v) => Math.min(v, 0.25)), 0);
});

test('eq, where and cast', async () => {
  const k = i64([0, 3, 5, 3], [2, 2]);
  const x = { data: Float32Array.from([1.5, -2.7, 3, 0.5]), shape: [2, 2] };
  const res = await runOps({ k, x }, (ops, v) => {
    const m = ops.eq(v.k!, 3);
    return {
      m, w: ops.where(m, v.x!, ops.constant(Float32Array.from([-1]), [1])),
      wi: ops.where(ops.cast(v.k!, 'bool'), v.x!, v.x!),
      toInt: ops.cast(v.x!, 'int64'), toF: ops.cast(v.k!, 'float32'), eqT: ops.eq(v.x!, v.x!),
    };
  });
  assert.equal(res.m!.dtype, 'bool');
  assert.deepEqual(nums(res.m!.data), [0, 1, 0, 1]);
  assert.deepEqual(nums(res.w!.data), [-1, Math.fround(-2.7), -1, 0.5]);
  assert.deepEqual(nums(res.toInt!.data), [1, -2, 3, 0]); // truncation toward zero, as torch
  assert.deepEqual(nums(res.toF!.data), [0, 3, 5, 3]);
  assert.deepEqual(nums(res.eqT!.data), [1, 1, 1, 1]);
});

test('sum, mean (keepdim or not, several dims) and argmax (first maximum wins)', async () => {
  const x = f32([2, 3, 4], 5);
  const X = x.data as Float32Array;
  const b = { data: Uint8Array.from([1, 0, 1, 1]), shape: [4], dtype: 'bool' as const };
  const t = { data: Float32Array.from([1, 5, 5, 2, 7, 7, 0, 7]), shape: [2, 4] };
  const res = await runOps({ x, b, t }, (ops, v) => ({
    s1: ops.sum(v.x!, [-1]), s02: ops.sum(v.x!, [0, 2], true), m1: ops.mean(v.x!, [1]), mAll: ops.mean(v.x!, [0, 1, 2]),
    sb: ops.sum(v.b!, [0]), am: ops.argmax(v.t!, 1), amk: ops.argmax(v.t!, -1, true),
  }));
  const at = (n: number, c: number, w: number): number => X[n * 12 + c * 4 + w]!;
  const s1: number[] = [];
  for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) s1.push([0, 1, 2, 3].reduce((a, w) => a + at(n, c, w), 0));
  assertClose(res.s1!.data as Float32Array, s1, 1e-6);
  assert.deepEqual(res.s02!.shape, [1, 3, 1]);
  const s02 = [0, 1, 2].map((c) => [0, 1].reduce((a, n) => a + [0, 1, 2, 3].reduce((b2, w) => b2 + at(n, c, w), 0), 0));
  assertClose(res.s02!.data as Float32Array, s02, 1e-6);
  const m1: number[] = [];
  for (let n = 0; n < 2; n++) for (let w = 0; w < 4; w++) m1.push((at(n, 0, w) + at(n, 1, w) + at(n, 2, w)) / 3);
  assertClose(res.m1!.data as Float32Array, m1, 1e-6);
  assertClose(res.mAll!.data as Float32Array, [X.reduce((a, v) => a + v, 0) / 24], 1e-6);
  assert.equal(res.sb!.dtype, 'int64');
  assert.deepEqual(nums(res.sb!.data), [3]);
  assert.deepEqual(nums(res.am!.data), [1, 0]);
  assert.deepEqual(res.amk!.shape, [2, 1]);
  assert.deepEqual(nums(res.amk!.data), [1, 0]);
});

test('dropout and stochastic depth are identities in eval and refused in training', async () => {
  const x = f32([2, 3], 1);
  const res = await runOps({ x }, (ops, v) => ({ y: ops.relu(ops.stochasticDepth(ops.dropout(v.x!, 0.5, false), 0.2, false)) }));
  assertClose(res.y!.data as Float32Array, map(x.data as Float32Array, (v) => Math.max(v, 0)), 0);
  await assert.rejects(runOps({ x }, (ops, v) => ({ y: ops.dropout(v.x!, 0.5, true) })), /inference-only/);
  await assert.rejects(runOps({ x }, (ops, v) => ({ y: ops.stochasticDepth(v.x!, 0.5, true) })), /inference-only/);
});
