// float16 export on every parity fixture: the precision search keeps the logits within 1e-2 of
// the float32 export on the fixture's own input (the search calibrates on different noise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { runExport } from '../../src/cli/export.js';
import { exportOnnx } from '../../src/export/export-onnx.js';
import { precisionGroups, precisionUnits } from '../../src/model/precision-groups.js';
import { readNpyFile } from '../../src/io/files.js';
import { loadFixtureModel } from '../../src/parity/fixture.js';

const FIX = join(process.cwd(), '..', 'shared', 'fixtures');
const FIXTURES = readdirSync(FIX).filter((n) => n !== 'consensus' && !n.startsWith('.') && !n.endsWith('.md'));

async function logits(file: string, input: { data: unknown; shape: readonly number[] }): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(file, { intraOpNumThreads: 2, logSeverityLevel: 3 });
  try {
    const r = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', input.data as Float32Array, [...input.shape]) });
    return r[s.outputNames[0]!]!.data as Float32Array;
  } finally {
    await s.release();
  }
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('precision groups cover every weight of every model exactly once', () => {
  for (const name of FIXTURES) {
    const { model } = loadFixtureModel(join(FIX, name));
    const groups = precisionGroups(model);
    assert.ok(groups.length >= 4 && groups.length <= 40, `${name}: ${groups.length} groups`);
    const prefixes = groups.flatMap((g) => g.prefixes);
    for (const [key] of model.declarations()) {
      const n = prefixes.filter((p) => key.startsWith(p)).length;
      assert.equal(n, 1, `${name}: ${key} is under ${n} groups`);
    }
    assert.ok(precisionUnits(model).length > groups.length);
  }
});

test('a mixed export stores and computes the named modules in float32, the rest in float16', () => {
  const { model, weights, meta } = loadFixtureModel(join(FIX, 'mobilenet_hash_256'));
  const e = exportOnnx(model, weights, { resolution: meta.resolution, fp16: true, float32Modules: ['backbone.'] });
  const g = onnxProto.onnx.ModelProto.decode(e.bytes).graph!;
  const { FLOAT, FLOAT16 } = onnxProto.onnx.TensorProto.DataType;
  const byName = new Map(g.initializer!.map((t) => [t.name!, t.dataType]));
  assert.equal(byName.get('backbone.0.0.weight'), FLOAT);
  assert.equal(byName.get('face_decoder.transformer.layers.0.mlp.lin1.weight'), FLOAT16);
  assert.equal(JSON.parse(Object.fromEntries((onnxProto.onnx.ModelProto.decode(e.bytes).metadataProps ?? []).map((p) => [p.key, p.value]))['segface.float32_modules']!)[0], 'backbone.');
  // Convolutions run in both dtypes: the boundary is real, not a float32 graph with float16 storage.
  const casts = g.node!.filter((n) => n.opType === 'Cast').length;
  assert.ok(casts > 2, `${casts} casts`);
});

for (const name of FIXTURES) {
  test(`segface export --fp16 ${name}: logits within 1e-2 of float32`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segface-fp16-'));
    try {
      const folder = join(FIX, name);
      const input = readNpyFile(join(folder, 'input.npy'));
      const lines: string[] = [];
      await runExport({ model: folder, out: join(dir, 'f32.onnx') });
      await runExport({ model: folder, out: join(dir, 'f16.onnx'), fp16: true }, (s) => lines.push(s));
      const d = maxAbs(await logits(join(dir, 'f16.onnx'), input), await logits(join(dir, 'f32.onnx'), input));
      assert.ok(d < 1e-2, `${name}: max |Δlogits| ${d}`);
      assert.match(lines.join('\n'), /float16 check: max \|Δlogits\| \S+ against float32 on seeded noise/);
      const ratio = readFileSync(join(dir, 'f16.onnx')).byteLength / readFileSync(join(dir, 'f32.onnx')).byteLength;
      assert.ok(ratio < 0.95, `${name}: float16 file is ${ratio.toFixed(2)} of float32`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
