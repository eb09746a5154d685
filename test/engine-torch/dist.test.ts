// The addon's c10d binding in one process (world size 1, FileStore rendezvous): collectives,
// the store, DDP's reducer (a gradient per used parameter, none for an unused one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessGroup, callTensor, fromData, tidy } from '../../src/engine/torch/index.js';

test('dist in one process: all-reduce, broadcast, barrier, store, DDP reducer; a second init is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segface-dist-'));
  const init = () => ProcessGroup.init({ backend: 'gloo', rank: 0, worldSize: 1, masterAddr: '127.0.0.1', masterPort: 1, timeoutMs: 10_000, file: join(dir, 'store') });
  const g = init();
  try {
    assert.throws(init, /already initialised/);
    const x = fromData(new Float32Array([1, -2, 3]), [3]);
    g.allReduce([x], 'sum');
    assert.deepEqual([...x.toFloat32Array()], [1, -2, 3]);
    g.broadcast([x], 0);
    g.barrier();
    g.storeSet('k', 'v');
    assert.equal(g.storeGet('k'), 'v');

    const w = fromData(new Float32Array([1, 2]), [2]).requiresGrad_(true);
    const unused = fromData(new Float32Array([5]), [1]).requiresGrad_(true);
    const ddp = g.ddp([w, unused]);
    for (let step = 0; step < 2; step++) {
      tidy(() => {
        ddp.beforeForward();
        const y = callTensor('aten::mul', 'Tensor', [w, fromData(new Float32Array([3, 4]), [2])]);
        ddp.afterForward([y]);
        callTensor('aten::sum', '', [y]).backward();
      });
      assert.deepEqual([...w.grad!.toFloat32Array()], [3 * (step + 1), 4 * (step + 1)], 'gradients accumulate as without DDP (mean over 1 rank)');
      assert.equal(unused.grad, null, 'find_unused_parameters: no gradient appears');
    }
  } finally {
    g.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
