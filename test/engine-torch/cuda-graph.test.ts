// GraphedForward's protocol on the CPU: an emulated backend stands in for CUDA (capture runs the
// body once with the constant cache read-only; replay reruns it into the same static output), so
// what can be checked without a GPU is: static input/output, one graph per key, constants served
// from the warm-up cache, eager fallback with one note, and the natives' answer on a CPU build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { GraphedForward, nativeGraphBackend, type GraphBackend } from '../../src/engine/torch/cuda-graph.js';
import { native } from '../../src/engine/torch/native.js';
import { fromData, inferenceMode, keep, liveTensorCount, setNumThreads, tidy, TorchOps, type TorchTensor } from '../../src/engine/torch/index.js';
import { buildSegFace } from '../../src/model/build.js';
import { bindStateDict } from '../../src/model/load.js';
import { loadFixtureModel } from '../../src/parity/fixture.js';
import { Rng } from '../../src/model/init.js';
import { FIXTURES } from '../model/fixtures.js';

setNumThreads(2);

function emulated() {
  const calls = { enter: 0, exit: 0, capture: 0, replay: 0, reset: 0 };
  type G = { body: () => TorchTensor; output: TorchTensor };
  const backend: GraphBackend = {
    available: () => true,
    streamEnter: () => { calls.enter++; },
    streamExit: () => { calls.exit++; },
    capture(_device, body) {
      calls.capture++;
      const output = body();
      return { graph: { body, output } satisfies G, output };
    },
    replay(g) {
      calls.replay++;
      const { body, output } = g as G;
      const fresh = body(); // kept by the body, as a captured output is
      try { output.copy_(fresh); } finally { fresh.dispose(); }
    },
    reset: () => { calls.reset++; },
  };
  return { backend, calls };
}

const noise = (n: number, seed: number) => { const r = new Rng(seed); return new Float32Array(n).map(() => r.normal()); };

/** MobileNet SegFace at 64² with the mobilenet_hash_256 fixture's weights (none depend on the size). */
function smallModel() {
  const { weights } = loadFixtureModel(join(FIXTURES, 'mobilenet_hash_256'));
  const net = buildSegFace({ model: 'mobilenet', head: 'celeb', resolution: 64 });
  return { net, weights: bindStateDict(net, weights, 'mobilenet_hash_256', 'mobilenet at 64') };
}

test('a graphed SegFace forward replays into static tensors and matches eager bit for bit', () => {
  const { net, weights } = smallModel();
  const ops = new TorchOps();
  inferenceMode(() => {
    const bound = keep(new Map([...weights].map(([k, v]) => [k, fromData(v.data, v.shape, v.dtype)])));
    const ctx = { ops, training: false, get: (k: string) => bound.get(k)!, scope: tidy };
    const forward = (x: TorchTensor) => net.forward(ctx, x);
    const eager = (data: Float32Array) => tidy(() => forward(fromData(data, [1, 3, 64, 64])).toFloat32Array());
    const { backend, calls } = emulated();
    const notes: string[] = [];
    const g = new GraphedForward(ops, forward, { backend, warmup: 2, onNote: (l) => notes.push(l) });
    const a = noise(3 * 64 * 64, 1), b = noise(3 * 64 * 64, 2);
    const before = liveTensorCount();
    const ra = g.run('1x64:fp32', a, [1, 3, 64, 64]);
    assert.equal(g.mode('1x64:fp32'), null, 'captured');
    assert.deepEqual(calls, { enter: 1, exit: 1, capture: 1, replay: 1, reset: 0 });
    // A new input goes through the static input: the replay sees it.
    const rb = g.run('1x64:fp32', b, [1, 3, 64, 64]);
    assert.equal(calls.capture, 1);
    assert.deepEqual(ra.shape, [1, 19, 64, 64]);
    assert.deepEqual(ra.data, eager(a));
    assert.deepEqual(rb.data, eager(b));
    assert.notDeepEqual(ra.data, rb.data);
    // Another key is another graph.
    g.run('2x64:fp32', new Float32Array([...a, ...b]), [2, 3, 64, 64]);
    assert.equal(calls.capture, 2);
    assert.deepEqual(notes, []);
    g.dispose();
    assert.equal(calls.reset, 2);
    assert.equal(liveTensorCount(), before, 'statics and cached constants are freed');
    for (const t of bound.values()) t.dispose();
  });
});

test('a forward that makes constants from fresh host data falls back to eager, with one note', () => {
  const ops = new TorchOps();
  let calls = 0;
  // A data-dependent constant (as LaPa's landmark warp makes): a graph could not replay it.
  const forward = (x: TorchTensor) => ops.add(x, ops.constant(new Float32Array([++calls]), [1]));
  const { backend, calls: seen } = emulated();
  const notes: string[] = [];
  const g = new GraphedForward(ops, forward, { backend, warmup: 1, onNote: (l) => notes.push(l) });
  const r1 = g.run('k', new Float32Array([1, 2]), [2]);
  const r2 = g.run('k', new Float32Array([1, 2]), [2]);
  assert.match(g.mode('k') ?? '', /constant float32\[1\] was made from host data during the capture/);
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /^CUDA graph for k not used, running eagerly: /);
  assert.equal(seen.replay, 0);
  // Eager results, one fresh constant per call.
  assert.deepEqual([...r1.data], [4, 5]);
  assert.deepEqual([...r2.data], [5, 6]);
  g.dispose();
});

test('an error inside the capture abandons it and the forward runs eagerly', () => {
  const ops = new TorchOps();
  let capturing = false;
  const backend: GraphBackend = {
    ...emulated().backend,
    capture(_d, body) { capturing = true; try { return { graph: 0, output: body() }; } finally { capturing = false; } },
  };
  const forward = (x: TorchTensor) => { if (capturing) throw new Error('operation not permitted when stream is capturing'); return ops.mul(x, 2); };
  const g = new GraphedForward(ops, forward, { backend, onNote: () => {} });
  assert.deepEqual([...g.run('k', new Float32Array([3]), [1]).data], [6]);
  assert.equal(g.mode('k'), 'operation not permitted when stream is capturing');
});

test('the addon answers for CUDA graphs on this build', () => {
  const n = native();
  const b = nativeGraphBackend();
  assert.match(String(b.available('cpu')), /need a CUDA device/);
  assert.equal(typeof n.cudaGraphsCompiled, 'boolean');
  assert.equal(typeof n.setCudnnBenchmark, 'function', 'the addon has cuda_graph.cc');
  const prev = n.setCudnnBenchmark!(true);
  assert.equal(n.setCudnnBenchmark!(prev), true);
  if (!n.cudaGraphsCompiled) {
    assert.match(String(b.available('cuda')), /built without CUDA graphs/);
    assert.throws(() => n.graphCaptureBegin(0), /CUDA graphs are not compiled into this addon/);
    assert.throws(() => n.streamEnter(0), /not compiled/);
  } else if (n.cudaDeviceCount() > 0) {
    assert.equal(b.available('cuda'), true);
  }
});
