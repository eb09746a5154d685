// Reshape, permute, slice, concat, pad, roll, gathers, expand and constants against index arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f32, i64, nums, runOps } from './helpers.js';

/** Values 0..n-1 as float32, so every output element names its source index. */
function iota(shape: number[]): { data: Float32Array; shape: number[] } {
  let n = 1;
  for (const d of shape) n *= d;
  return { data: Float32Array.from({ length: n }, (_, i) => i), shape };
}

test('reshape (with -1), permute and transpose', async () => {
  const x = iota([2, 3, 4]);
  const res = await runOps({ x }, (ops, v) => ({
    r: ops.reshape(v.x!, [4, -1]), p: ops.permute(v.x!, [2, 0, 1]), t: ops.transpose(v.x!, -1, 1),
  }));
  assert.deepEqual(res.r!.shape, [4, 6]);
  assert.deepEqual(nums(res.r!.data), nums(x.data));
  const p: number[] = [];
  for (let w = 0; w < 4; w++) for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) p.push(n * 12 + c * 4 + w);
  assert.deepEqual(nums(res.p!.data), p);
  const t: number[] = [];
  for (let n = 0; n < 2; n++) for (let w = 0; w < 4; w++) for (let c = 0; c < 3; c++) t.push(n * 12 + c * 4 + w);
  assert.deepEqual(nums(res.t!.data), t);
});

test('slice follows torch clamping: negatives, ends past the size, steps, empty results', async () => {
  const x = iota([2, 7]);
  const res = await runOps({ x }, (ops, v) => ({
    a: ops.slice(v.x!, 1, 2, 5), b: ops.slice(v.x!, -1, -3, 100), c: ops.slice(v.x!, 1, 1, 7, 3),
    d: ops.slice(v.x!, 1, -100, 2), e: ops.slice(v.x!, 1, 5, 3), f: ops.slice(v.x!, 0, 1, 2), g: ops.slice(v.x!, 1, 0, 7, 2),
  }));
  const row = (r: number, idx: number[]): number[] => idx.map((i) => r * 7 + i);
  assert.deepEqual(nums(res.a!.data), [...row(0, [2, 3, 4]), ...row(1, [2, 3, 4])]);
  assert.deepEqual(nums(res.b!.data), [...row(0, [4, 5, 6]), ...row(1, [4, 5, 6])]);
  assert.deepEqual(nums(res.c!.data), [...row(0, [1, 4]), ...row(1, [1, 4])]);
  assert.deepEqual(nums(res.d!.data), [...row(0, [0, 1]), ...row(1, [0, 1])]);
  assert.deepEqual(res.e!.shape, [2, 0]);
  assert.deepEqual(nums(res.f!.data), row(1, [0, 1, 2, 3, 4, 5, 6]));
  assert.deepEqual(nums(res.g!.data), [...row(0, [0, 2, 4, 6]), ...row(1, [0, 2, 4, 6])]);
});

test('concat along a negative dim, with mixed dtypes promoted', async () => {
  const a = iota([2, 2]);
  const b = iota([2, 3]);
  const k = i64([7, 8], [2, 1]);
  const res = await runOps({ a, b, k }, (ops, v) => ({ c: ops.concat([v.a!, v.b!, v.k!], -1), one: ops.concat([v.a!], 0) }));
  assert.deepEqual(res.c!.shape, [2, 6]);
  assert.deepEqual(nums(res.c!.data), [0, 1, 0, 1, 2, 7, 2, 3, 3, 4, 5, 8]);
  assert.deepEqual(nums(res.one!.data), [0, 1, 2, 3]);
});

test('pad takes F.pad order (last dim first), a fill value and negative (cropping) pads', async () => {
  const x = iota([1, 2, 3]);
  const res = await runOps({ x }, (ops, v) => ({
    p: ops.pad(v.x!, [1, 2]), q: ops.pad(v.x!, [0, 1, 1, 0], -5), r: ops.pad(v.x!, [-1, 1, 0, -1]),
  }));
  assert.deepEqual(res.p!.shape, [1, 2, 6]);
  assert.deepEqual(nums(res.p!.data), [0, 0, 1, 2, 0, 0, 0, 3, 4, 5, 0, 0]);
  assert.deepEqual(res.q!.shape, [1, 3, 4]);
  assert.deepEqual(nums(res.q!.data), [-5, -5, -5, -5, 0, 1, 2, -5, 3, 4, 5, -5]);
  assert.deepEqual(res.r!.shape, [1, 1, 3]);
  assert.deepEqual(nums(res.r!.data), [1, 2, 0]);
});

test('roll: positive, negative and oversized shifts over two dims, and the flattened form', async () => {
  const x = iota([3, 4]);
  const res = await runOps({ x }, (ops, v) => ({
    a: ops.roll(v.x!, [1, -1], [0, 1]), b: ops.roll(v.x!, [9], [-1]), c: ops.roll(v.x!, [2], []),
  }));
  const roll2 = (s0: number, s1: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) out.push(((i - s0 + 3 * 4) % 3) * 4 + ((j - s1 + 4 * 4) % 4));
    return out;
  };
  assert.deepEqual(nums(res.a!.data), roll2(1, -1));
  assert.deepEqual(nums(res.b!.data), roll2(0, 9 % 4));
  assert.deepEqual(nums(res.c!.data), Array.from({ length: 12 }, (_, i) => (i - 2 + 12) % 12));
});

test('indexSelect (Gather) and gather (GatherElements)', async () => {
  const x = iota([3, 4]);
  const idx = i64([2, 0, 2]);
  const gi = i64([0, 3, 1, 1, 2, 0], [3, 2]);
  const res = await runOps({ x, idx, gi }, (ops, v) => ({
    s0: ops.indexSelect(v.x!, 0, v.idx!), s1: ops.indexSelect(v.x!, -1, v.idx!), g: ops.gather(v.x!, 1, v.gi!),
    c: ops.indexSelect(v.x!, 1, ops.constant(BigInt64Array.from([3n, 3n]), [2])),
  }));
  assert.deepEqual(nums(res.s0!.data), [8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
  assert.deepEqual(nums(res.s1!.data), [2, 0, 2, 6, 4, 6, 10, 8, 10]);
  assert.deepEqual(nums(res.g!.data), [0, 3, 5, 5, 10, 8]);
  assert.deepEqual(nums(res.c!.data), [3, 3, 7, 7, 11, 11]);
});

test('expand with -1 and new leading dims', async () => {
  const x = iota([3, 1]);
  const res = await runOps({ x }, (ops, v) => ({ e: ops.expand(v.x!, [2, -1, 4]) }));
  assert.deepEqual(res.e!.shape, [2, 3, 4]);
  assert.deepEqual(nums(res.e!.data), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
});

test('constant and arange carry their dtypes', async () => {
  const x = f32([3], 1);
  const res = await runOps({ x }, (ops, v) => ({
    a: ops.arange(5), af: ops.arange(3, 'float32'), s: ops.add(v.x!, ops.arange(3, 'float32')),
    c: ops.constant(Int32Array.from([4, -1]), [2]), cb: ops.constant(Uint8Array.from([1, 0]), [2], 'bool'),
    ch: ops.constant(Float32Array.from([0.5, 2]), [2], 'float16'),
  }));
  assert.equal(res.a!.dtype, 'int64');
  assert.deepEqual(nums(res.a!.data), [0, 1, 2, 3, 4]);
  assert.deepEqual(nums(res.af!.data), [0, 1, 2]);
  assert.deepEqual(nums(res.s!.data), nums(x.data).map((v, i) => Math.fround(v + i)));
  assert.equal(res.c!.dtype, 'int32');
  assert.deepEqual(nums(res.c!.data), [4, -1]);
  assert.equal(res.cb!.dtype, 'bool');
  assert.deepEqual(nums(res.cb!.data), [1, 0]);
  assert.deepEqual(nums(res.ch!.data), [0.5, 2]); // float16 output, returned as float32
});

test('shape errors are caught while building, before ORT sees the graph', async () => {
  const x = iota([2, 3]);
  await assert.rejects(runOps({ x }, (ops, v) => ({ y: ops.reshape(v.x!, [4, -1]) })), /cannot view/);
  await assert.rejects(runOps({ x }, (ops, v) => ({ y: ops.add(v.x!, ops.constant(new Float32Array(4), [4])) })), /do not broadcast/);
  await assert.rejects(runOps({ x }, (ops, v) => ({ y: ops.softmax(v.x!, 2) })), /out of range/);
});
