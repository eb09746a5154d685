// --precision on the libtorch runtime, as far as this CPU-only libtorch (1.13) goes: float16 has
// no CPU kernels there (a clear UserError), bfloat16 runs (ConvTranspose through float32), and
// the load-time search keeps the logits within 1e-2 of float32 by leaving modules in float32.
// The parity fixtures are randomly initialised nets that amplify rounding: in full bfloat16,
// mobilenet_hash_256 is off by 2.7 (max |Δlogits|, 60% argmax agreement; docs/benchmarks.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadSegmenter } from '../../src/api/load-model.js';
import { openTorchSegmenter } from '../../src/api/torch-segmenter.js';
import { UserError } from '../../src/errors.js';
import { fromData, inferenceMode, setNumThreads, tidy, TorchOps } from '../../src/engine/torch/index.js';
import { checkPrecision, parsePrecision } from '../../src/engine/torch/precision.js';
import { buildSegFace } from '../../src/model/build.js';
import { Rng } from '../../src/model/init.js';
import { bindStateDict } from '../../src/model/load.js';
import { loadFixtureModel, maxAbsDiff } from '../../src/parity/fixture.js';
import { FIXTURES } from '../model/fixtures.js';

setNumThreads(2);
const R = 64;

/** MobileNet SegFace at 64² with the mobilenet_hash_256 fixture's weights (none depend on the size). */
function spec() {
  const { weights } = loadFixtureModel(join(FIXTURES, 'mobilenet_hash_256'));
  const net = buildSegFace({ model: 'mobilenet', head: 'celeb', resolution: R });
  return { net, weights: bindStateDict(net, weights, 'mobilenet_hash_256', 'mobilenet at 64'), head: 'celeb' as const, modelId: 'mobilenet_hash_256@64', resolution: R };
}

const noise = (n: number, seed: number) => { const r = new Rng(seed); return new Float32Array(n).map(() => r.normal()); };

test('precision names and unsupported precisions are UserErrors that say what to use', async () => {
  assert.equal(parsePrecision('bf16'), 'bf16');
  assert.throws(() => parsePrecision('fp8'), (e: unknown) => e instanceof UserError && /must be one of fp32, fp16, bf16, got 'fp8'/.test(e.message));
  // libtorch 1.13 has no float16 CPU convolution; a build that has one passes the check.
  let fp16Cpu: unknown = null;
  try { checkPrecision('fp16', 'cpu'); } catch (e) { fp16Cpu = e; }
  if (fp16Cpu) {
    assert.ok(fp16Cpu instanceof UserError);
    assert.match(fp16Cpu.message, /--precision fp16 is not supported on cpu by libtorch \S+ \(.*Half.*\); use --precision fp32 or bf16 or --device cuda/);
  }
  checkPrecision('bf16', 'cpu');
  await assert.rejects(loadSegmenter('/nonexistent/model_299.pt', { precision: 'fp16' }), /--precision fp16 is for --runtime torch; for ONNX Runtime export a float16 graph/);
});

test('layers follow their weights\' dtype in half precision', () => {
  const ops = new TorchOps({ floatDType: 'bfloat16' });
  tidy(() => {
    const x = ops.cast(ops.randn([1, 4, 6, 6]), 'bfloat16');
    const w32 = ops.randn([4, 4, 3, 3]);
    assert.equal(ops.conv2d(x, w32, null).dtype, 'float32');
    assert.equal(ops.conv2d(ops.cast(x, 'float32'), ops.cast(w32, 'bfloat16'), null).dtype, 'bfloat16');
    assert.equal(ops.matmul(x, ops.randn([6, 6])).dtype, 'float32');
    assert.equal(ops.constant(new Float32Array([1, 2]), [2]).dtype, 'bfloat16');
    // CPU ConvTranspose in bfloat16 goes through float32 (libtorch has no such kernel).
    const wt = ops.randn([4, 2, 2, 2]);
    const y = ops.convTranspose2d(x, ops.cast(wt, 'bfloat16'), null, { stride: 2 });
    assert.equal(y.dtype, 'bfloat16');
    const ref = new TorchOps().convTranspose2d(ops.cast(x, 'float32'), ops.cast(ops.cast(wt, 'bfloat16'), 'float32'), null, { stride: 2 });
    assert.ok(maxAbsDiff(y.toFloat32Array(), ref.toFloat32Array()) < 0.05);
  });
});

test('the CPU fp32 segmenter is the plain eager forward, bit for bit', async () => {
  const s = spec();
  const x = noise(2 * 3 * R * R, 5);
  const seg = await openTorchSegmenter(s, { device: 'cpu' });
  const got = await seg.run(x, 2);
  await seg.dispose();
  const ops = new TorchOps();
  const want = inferenceMode(() => tidy(() => {
    const w = new Map([...s.weights].map(([k, v]) => [k, fromData(v.data, v.shape, v.dtype)]));
    return s.net.forward({ ops, training: false, get: (k) => w.get(k)! }, fromData(x, [2, 3, R, R])).toFloat32Array();
  }));
  assert.deepEqual(got.logits, want);
  assert.equal(got.height, R);
});

test('bf16 on the CPU: the load-time search keeps logits within 1e-2 of fp32', async (t) => {
  const s = spec();
  const x = noise(3 * R * R, 9); // not the calibration input
  const f32 = await openTorchSegmenter(s, { device: 'cpu' });
  const ref = (await f32.run(x, 1)).logits;
  await f32.dispose();
  const notes: string[] = [];
  const seg = await openTorchSegmenter(s, { device: 'cpu', precision: 'bf16', onNote: (l) => notes.push(l) });
  const d = maxAbsDiff((await seg.run(x, 1)).logits, ref);
  await seg.dispose();
  const full = await openTorchSegmenter(s, { device: 'cpu', precision: 'bf16', float32Modules: [] });
  const dFull = maxAbsDiff((await full.run(x, 1)).logits, ref);
  await full.dispose();
  t.diagnostic(`bf16 searched plan: max |Δlogits| ${d.toExponential(2)} (${notes.join('; ') || 'all bf16'}); all bf16: ${dFull.toExponential(2)}`);
  assert.ok(d < 1e-2, `bf16 with the searched plan: max |Δlogits| ${d}`);
  assert.ok(Number.isFinite(dFull));
  for (const n of notes) assert.match(n, /^--precision bf16: \d+% of the weights in bf16, \d+ module\(s\) kept float32 to stay within 0\.01 of float32/);
});
