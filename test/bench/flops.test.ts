import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder, OnnxOps } from '../../src/engine/onnx/index.js';
import { countFlops, nodeMacs, recordNodes } from '../../bench/flops.js';

test('FLOP counter: hand-computed conv, transposed conv, linear and matmul', () => {
  const g = new GraphBuilder();
  let part = 'a';
  const nodes = recordNodes(g, () => part);
  const ops = new OnnxOps(g, 'float32');
  const w = (shape: number[]) => g.initializer(new Float32Array(shape.reduce((x, y) => x * y, 1)), shape, 'float32');
  const x = g.input('x', [1, 2, 4, 4], 'float32');
  // 3×3 conv, 2→3 channels, pad 1: 3·4·4 outputs × 2·3·3 MACs = 864.
  const c = ops.conv2d(x, w([3, 2, 3, 3]), null, { padding: 1 });
  // Depthwise 3×3 stride 2, pad 1: 3·2·2 outputs × 1·3·3 MACs = 108.
  const d = ops.conv2d(c, w([3, 1, 3, 3]), null, { stride: 2, padding: 1, groups: 3 });
  part = 'b';
  // ConvTranspose 3→2, 2×2 stride 2 on 2×2: 3·2·2 inputs × 2·2·2 = 96.
  const t = ops.convTranspose2d(d, w([3, 2, 2, 2]), null, { stride: 2 });
  // [1,2,4,4] reshaped to [8,4], Linear 4→5: 8·4·5 = 160.
  const l = ops.linear(ops.reshape(t, [8, 4]), w([5, 4]), w([5]));
  // Batched matmul [2,3,4]×[4,6]: 2·3·4·6 = 144.
  ops.matmul(g.input('m', [2, 3, 4], 'float32'), w([4, 6]));
  assert.equal(l.shape.join(), '8,5');
  const flops = countFlops(nodes);
  assert.equal(flops.get('a'), 2 * (864 + 108));
  assert.equal(flops.get('b'), 2 * (96 + 160 + 144));
});

test('FLOP counter: ops without multiply-accumulates count zero; Gemm honours transA', () => {
  assert.equal(nodeMacs('Relu', [[1, 8]], {}), 0);
  assert.equal(nodeMacs('Gemm', [[4, 3], [4, 5]], { transA: 1 }), 3 * 4 * 5);
});
