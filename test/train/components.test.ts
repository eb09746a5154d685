import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedComponents } from '../../src/train/components.js';

test('connected components: 4-connectivity, per class, ids unique over the batch', () => {
  // Image 0 (4×5): two separate class-1 regions touching only diagonally, a class-2 strip that
  // splits the background in two. Image 1: all background except one class-1 pixel.
  const img0 = [
    0, 0, 2, 0, 0,
    1, 0, 2, 0, 0,
    0, 1, 2, 0, 1,
    0, 0, 2, 0, 1,
  ];
  const img1 = [
    0, 0, 0, 0, 0,
    0, 0, 1, 0, 0,
    0, 0, 0, 0, 0,
    0, 0, 0, 0, 0,
  ];
  const { ids, count } = connectedComponents(Int32Array.from([...img0, ...img1]), 2, 4, 5);
  const want0 = [
    0, 0, 1, 2, 2,
    3, 0, 1, 2, 2,
    4, 5, 1, 2, 6,
    4, 4, 1, 2, 6,
  ];
  const want1 = [
    7, 7, 7, 7, 7,
    7, 7, 8, 7, 7,
    7, 7, 7, 7, 7,
    7, 7, 7, 7, 7,
  ];
  assert.deepEqual([...ids], [...want0, ...want1]);
  assert.equal(count, 9);
});

test('connected components accept int64 and uint8 label maps', () => {
  const a = connectedComponents(BigInt64Array.from([1n, 1n, 0n, 1n]), 1, 2, 2);
  const b = connectedComponents(Uint8Array.from([1, 1, 0, 1]), 1, 2, 2);
  assert.deepEqual([...a.ids], [0, 0, 1, 0]);
  assert.deepEqual([...b.ids], [...a.ids]);
  assert.throws(() => connectedComponents(Uint8Array.from([1, 2, 3]), 1, 2, 2), /needs 4/);
});
