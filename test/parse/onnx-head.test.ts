// An exported .onnx names its head in `segface.head`; the Node segmenter reads it from the file's
// metadata (the class count alone cannot tell LaPa from Helen).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileOnnxSegmenter } from '../../src/api/onnx-segmenter.js';
import { buildOnnxGraph } from '../../src/engine/onnx/index.js';
import { onnxMetadata } from '../../src/engine/onnx/metadata.js';
import { exportOnnx } from '../../src/export/export-onnx.js';
import { buildSegFace } from '../../src/model/build.js';
import { randomStateDict } from '../../src/model/load.js';

test('FileOnnxSegmenter: head from segface.head metadata, else from the class count', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'segface-head-'));
  try {
    const r = 64;
    const net = buildSegFace({ model: 'mobilenet', head: 'helen', resolution: r });
    const weights = randomStateDict(net, 3);
    const exported = exportOnnx(net, weights, { resolution: r, modelId: 'helen_test' });
    assert.equal(onnxMetadata(exported.bytes).get('segface.head'), 'helen');
    const withMeta = join(tmp, 'helen.onnx');
    writeFileSync(withMeta, exported.bytes);
    const bare = join(tmp, 'bare.onnx');
    writeFileSync(bare, buildOnnxGraph(net, weights, [1, 3, r, r]).bytes);
    for (const [file, head] of [[withMeta, 'helen'], [bare, 'lapa']] as const) {
      const seg = await FileOnnxSegmenter.open(file, { threads: 1 });
      try {
        assert.equal(seg.head, head, file);
        assert.equal(seg.numClasses, 11);
        assert.equal(seg.resolution, r);
        const out = await seg.run(new Float32Array(3 * r * r), 1);
        assert.equal(out.logits.length, 11 * r * r);
      } finally {
        await seg.dispose();
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
