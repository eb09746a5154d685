// `segface export`: the engine's graph as a standalone file, run by onnxruntime-node against the
// fixtures' reference logits (float32, float16, fixed and symbolic batch) and its failure modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { runExport } from '../../src/cli/export.js';
import { UserError } from '../../src/errors.js';
import { buildOnnxGraph } from '../../src/engine/onnx/build.js';
import { exportOnnx } from '../../src/export/export-onnx.js';
import { readNpyFile } from '../../src/io/files.js';
import { loadFixtureModel } from '../../src/parity/fixture.js';

const FIX = join(process.cwd(), '..', 'shared', 'fixtures');
const HASH = join(FIX, 'mobilenet_hash_256');
const SEED = join(FIX, 'mobilenet_seed0_512');

async function runOnnx(bytes: Uint8Array, data: Float32Array, shape: readonly number[]): Promise<{ data: Float32Array; dims: number[]; inputDims: unknown }> {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2, logSeverityLevel: 3 });
  try {
    const r = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', data, [...shape]) });
    const t = r[s.outputNames[0]!]!;
    const meta = (s as unknown as { inputMetadata: { shape: unknown }[] }).inputMetadata;
    return { data: t.data as Float32Array, dims: t.dims.map(Number), inputDims: meta[0]!.shape };
  } finally {
    await s.release();
  }
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>, n = a.length): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('export (float32, fixed batch) reproduces the fixture logits and carries metadata', async () => {
  const { model, weights, meta } = loadFixtureModel(HASH);
  const input = readNpyFile(join(HASH, 'input.npy'));
  const ref = readNpyFile(join(HASH, 'logits.npy'));
  const e = exportOnnx(model, weights, { resolution: meta.resolution, modelId: 'hash' });
  assert.deepEqual(e.inputShape, [1, 3, 256, 256]);
  assert.deepEqual(e.outputShape, [1, 19, 256, 256]);
  const out = await runOnnx(e.bytes, input.data as Float32Array, input.shape);
  assert.deepEqual(out.dims, ref.shape);
  const d = maxAbs(out.data, ref.data as Float32Array);
  assert.ok(d < 1e-3, `max |Δlogits| ${d}`);
  // The file is the engine's graph, node for node (not a second copy of the model).
  const m = onnxProto.onnx.ModelProto.decode(e.bytes);
  const g = onnxProto.onnx.ModelProto.decode(buildOnnxGraph(model, weights, [1, 3, 256, 256], { inputName: 'input' }).bytes);
  assert.deepEqual(m.graph!.node!.map((n) => n.opType), g.graph!.node!.map((n) => n.opType));
  const props = Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key, p.value]));
  assert.equal(props['segface.head'], 'celeb');
  assert.equal(props['segface.resolution'], '256');
  assert.equal(JSON.parse(props['segface.classes']!).length, 19);
});

test('export --dynamic-batch: one file runs batch 1 and batch 3 with the same per-image logits', async () => {
  const { model, weights, meta } = loadFixtureModel(HASH);
  const input = readNpyFile(join(HASH, 'input.npy')).data as Float32Array;
  const ref = readNpyFile(join(HASH, 'logits.npy')).data as Float32Array;
  const e = exportOnnx(model, weights, { resolution: meta.resolution, dynamicBatch: true });
  assert.deepEqual(e.inputShape, ['batch', 3, 256, 256]);
  const one = await runOnnx(e.bytes, input, [1, 3, 256, 256]);
  assert.deepEqual(one.inputDims, ['batch', 3, 256, 256]);
  assert.ok(maxAbs(one.data, ref) < 1e-3);
  // Batch 3: the fixture image, its mirror and a constant image; each must match its own run.
  const per = input.length;
  const mirror = new Float32Array(per);
  for (let p = 0; p < 3 * 256; p++) for (let x = 0; x < 256; x++) mirror[p * 256 + x] = input[p * 256 + 255 - x]!;
  const flat = new Float32Array(per).fill(0.25);
  const batch = new Float32Array(3 * per);
  batch.set(input, 0); batch.set(mirror, per); batch.set(flat, 2 * per);
  const three = await runOnnx(e.bytes, batch, [3, 3, 256, 256]);
  assert.deepEqual(three.dims, [3, 19, 256, 256]);
  const outPer = 19 * 256 * 256;
  assert.ok(maxAbs(three.data.subarray(0, outPer), ref) < 1e-3);
  for (const [k, img] of [[1, mirror], [2, flat]] as const) {
    const single = await runOnnx(e.bytes, img, [1, 3, 256, 256]);
    const d = maxAbs(three.data.subarray(k * outPer, (k + 1) * outPer), single.data);
    assert.ok(d < 1e-4, `image ${k}: batched vs single ${d}`);
  }
});

test('segface export --fp16 (official-format checkpoint): logits within 1e-2 of float32, half the size, atomic write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segface-export-'));
  try {
    const input = readNpyFile(join(SEED, 'input.npy'));
    const ref = readNpyFile(join(SEED, 'logits.npy'));
    const f32 = await runExport({ model: join(SEED, 'model.pt'), out: join(dir, 'm32.onnx') });
    const f16 = await runExport({ model: join(SEED, 'model.pt'), out: join(dir, 'm16.onnx'), fp16: true, dynamicBatch: true });
    const w16 = await runExport({ model: join(SEED, 'model.pt'), out: join(dir, 'w16.onnx'), fp16Weights: true });
    for (const f of [f16, w16]) assert.ok(f.bytes < 0.55 * f32.bytes, `${f.path}: ${f.bytes} vs fp32 ${f32.bytes} bytes`);
    assert.deepEqual(readdirSync(dir).sort(), ['.segface-outputs.json', 'm16.onnx', 'm32.onnx', 'w16.onnx'], 'no temporary files left behind (the manifest lists the three)');
    for (const [file, tol] of [['m16.onnx', 1e-2], ['w16.onnx', 1e-3]] as const) {
      const out = await runOnnx(new Uint8Array(readFileSync(join(dir, file))), input.data as Float32Array, input.shape);
      assert.deepEqual(out.dims, [1, 19, 512, 512]);
      const d = maxAbs(out.data, ref.data as Float32Array);
      assert.ok(d < tol, `${file}: max |Δlogits| ${d}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('segface export refuses bad arguments with clear messages and writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segface-export-'));
  try {
    const cases: [Parameters<typeof runExport>[0], RegExp][] = [
      [{ model: HASH, out: join(dir, 'x.bin') }, /should end in \.onnx/],
      [{ model: join(dir, 'missing.pt'), out: join(dir, 'x.onnx') }, /missing\.pt: no such file/],
      [{ model: HASH, out: join(dir, 'x.onnx'), resolution: 100 }, /not a positive multiple of 32/],
      [{ model: HASH, out: join(dir, 'x.onnx'), batch: 2, dynamicBatch: true }, /exclude each other/],
      [{ model: HASH, out: join(dir, 'x.onnx'), fp16: true, fp16Weights: true }, /drop --fp16-weights/],
      [{ model: 'no_such_model', out: join(dir, 'x.onnx') }, /unknown model 'no_such_model'/],
      [{ model: HASH, out: join(dir, 'x.onnx'), fp16: true, calibration: [join(dir, 'nope.png')] }, /--calibration: \S*nope\.png: no such file/],
      [{ model: HASH, out: join(dir, 'x.onnx'), int8: true }, /--int8 needs --calibration/],
      [{ model: HASH, out: join(dir, 'x.onnx'), int8: true, fp16: true, calibration: ['a.png'] }, /drop --fp16/],
    ];
    for (const [o, re] of cases) await assert.rejects(runExport(o), (e: unknown) => e instanceof UserError && re.test(e.message));
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
