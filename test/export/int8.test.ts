// `export --int8`: a QDQ graph calibrated on the sample photos, its agreement with float32
// measured and printed; plus the agreement metric itself and the QDQ structure ORT fuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { runExport } from '../../src/cli/export.js';
import { agreement } from '../../src/export/agreement.js';
import { weightModule } from '../../src/export/int8-calibrate.js';

const HASH = join(process.cwd(), '..', 'shared', 'fixtures', 'mobilenet_hash_256');
const PHOTOS = ['.assets/astronaut.png', '.assets/grace_hopper.jpg'];

test('agreement: argmax share and mean |Δsoftmax| over [N,C,HW] logits', () => {
  // 2 classes, 2 pixels: pixel 0 agrees (class 1), pixel 1 flips.
  const ref = Float32Array.of(0, 0, 1, 1);
  const ours = Float32Array.of(0, 2, 1, 1);
  const a = agreement(ours, ref, 2, 2);
  assert.equal(a.pixels, 2);
  assert.equal(a.argmax, 0.5);
  // pixel 1: softmax(0,1) against softmax(2,1), each class off by (e−1)/(1+e); mean over 4 values
  assert.ok(Math.abs(a.softmaxMeanAbs - (2 * (Math.E - 1)) / (1 + Math.E) / 4) < 1e-9);
  assert.equal(agreement(ref, ref, 2, 2).softmaxMeanAbs, 0);
});

test('int8: rewritten weights are grouped with the modules they came from', () => {
  assert.equal(weightModule('rewrite.fusion.tap2.weight'), 'linear_fuse.');
  assert.equal(weightModule('rewrite.face_decoder.output_upscaling.0.weight.pointwise'), 'face_decoder.output_upscaling.0.weight.pointwise');
  assert.equal(weightModule('backbone.0.0.weight'), 'backbone.0.0.weight');
});

test('export --int8: QDQ file with int8 weights, agreement printed and stored', { skip: !PHOTOS.every(existsSync) && 'sample photos not installed (scripts/setup.sh)' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segface-int8-'));
  try {
    const out = join(dir, 'm.onnx');
    const lines: string[] = [];
    // A low target keeps the search to one graph (random hash weights agree poorly; see docs).
    await runExport({ model: HASH, out, int8: true, calibration: PHOTOS, int8Agreement: 0.05 }, (s) => lines.push(s));
    const check = lines.find((l) => l.startsWith('int8 check:'));
    assert.ok(check && /argmax agreement with float32 \d+\.\d\d %, mean \|Δsoftmax\| \S+/.test(check), lines.join('\n'));
    const m = onnxProto.onnx.ModelProto.decode(readFileSync(out));
    const ops = m.graph!.node!.map((n) => n.opType);
    assert.ok(ops.filter((o) => o === 'QuantizeLinear').length > 10);
    assert.ok(m.graph!.initializer!.some((t) => t.dataType === onnxProto.onnx.TensorProto.DataType.INT8));
    const meta = Object.fromEntries(m.metadataProps!.map((p) => [p.key, p.value]));
    assert.equal(meta['segface.dtype'], 'int8');
    const agree = JSON.parse(meta['segface.int8_agreement']!) as { argmax: number };
    assert.ok(agree.argmax >= 0.05 && agree.argmax <= 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parse --precision int8: wrong runtime or no calibration photos are UserErrors before any load', async () => {
  const { loadSegmenter } = await import('../../src/api/load-model.js');
  await assert.rejects(loadSegmenter('/nonexistent/model_299.pt', { runtime: 'torch', int8: { calibration: ['a.png'] } }), /--precision int8 runs on ONNX Runtime on the CPU/);
  await assert.rejects(loadSegmenter('/nonexistent/model_299.pt', { int8: { calibration: [] } }), /--precision int8 needs calibration photos/);
});
