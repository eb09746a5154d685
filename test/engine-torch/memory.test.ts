// 10,000 forward passes inside tidy(): resident memory and live tensor handles stay flat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getNumThreads, liveTensorCount, setNumThreads, TorchOps, tidy } from '../../src/engine/torch/index.js';
import { gen } from './helpers.js';

test('10,000 conv+relu+linear forward passes do not grow resident memory', () => {
  const ops = new TorchOps();
  const w1 = gen([8, 4, 3, 3], 1, 0.1);
  const b1 = gen([8], 2);
  const w2 = gen([10, 8 * 16 * 16], 3, 0.01);
  const b2 = gen([10], 4);
  const x = gen([1, 4, 16, 16]);
  const step = (): number =>
    tidy(() => {
      const h = ops.relu(ops.conv2d(x, w1, b1, { padding: 1 })); // [1,8,16,16]: 8 KB per tensor
      const y = ops.linear(ops.reshape(h, [1, -1]), w2, b2); // [1,10]
      return y.toFloat32Array()[0]!;
    });
  // One thread: these tiny ops only pay OpenMP's hand-off cost on a busy shared machine.
  const threads = getNumThreads();
  setNumThreads(1);
  const live0 = liveTensorCount();
  let first = 0;
  let rssAt1000 = 0;
  let liveAt1000 = 0;
  for (let i = 1; i <= 10_000; i++) {
    const v = step();
    if (i === 1) first = v;
    else assert.equal(v, first);
    if (i === 1000) {
      rssAt1000 = process.memoryUsage().rss;
      liveAt1000 = liveTensorCount();
    }
  }
  const rssAt10000 = process.memoryUsage().rss;
  setNumThreads(threads);
  const grownMB = (rssAt10000 - rssAt1000) / 2 ** 20;
  // A leak of one activation per pass would add 9,000 × 8 KB ≈ 70 MB here.
  assert.ok(grownMB < 16, `RSS grew by ${grownMB.toFixed(1)} MB between pass 1,000 and 10,000`);
  assert.equal(liveAt1000, live0, 'no tensor handle outlives its pass');
  assert.equal(liveTensorCount(), live0);
  console.log(`# RSS after 1,000 passes ${(rssAt1000 / 2 ** 20).toFixed(1)} MB, after 10,000 ${(rssAt10000 / 2 ** 20).toFixed(1)} MB`);
});
