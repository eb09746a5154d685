import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/engine/onnx/graph.js';
import { OnnxOps } from '../../src/engine/onnx/ops.js';
import { createSession, run } from '../../src/engine/onnx/session.js';

test('smoke', async () => {
  const g = new GraphBuilder();
  const ops = new OnnxOps(g);
  const x = g.input('x', [1, 2, 3, 3]);
  const y = ops.gelu(ops.add(ops.interpolateBilinear(x, [6, 6]), 1));
  g.output(y, 'y');
  const s = await createSession(g.serialize());
  const r = await run(s, { x: { data: new Float32Array(18).fill(1), shape: [1, 2, 3, 3] } });
  assert.deepEqual(r.y!.shape, [1, 2, 6, 6]);
  console.log(r.y!.data[0]);
});
