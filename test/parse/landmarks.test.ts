// Segmenter.run with per-image landmarks: a LaPa head warps the images that carry them, on both
// engines, and gives what the model's own forward with embedded landmarks gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSegmenter } from '../../src/api/load-model.js';
import { buildOnnxGraph, createSession, releaseSession, run } from '../../src/engine/onnx/index.js';
import { writeCheckpointFile } from '../../src/io/files.js';
import { buildSegFace } from '../../src/model/build.js';
import { randomStateDict } from '../../src/model/load.js';

const R = 64;
const template = [196, 226, 316, 226, 256, 286, 220, 360.4, 292, 360.4].map((v) => ((v / 256) * (R - 1)) / 2);

test('Segmenter.run: per-image landmarks warp those images only, ONNX and libtorch alike', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'segface-lm-'));
  try {
    const net = buildSegFace({ model: 'mobilenet', head: 'lapa', resolution: R });
    const weights = randomStateDict(net, 5);
    const ckpt = join(tmp, 'model_299.pt');
    writeCheckpointFile(ckpt, new Map([['state_dict_backbone', weights]]));
    const per = 3 * R * R;
    const x = new Float32Array(3 * per).map((_, i) => Math.sin(i * 0.011));
    const lm = [Float32Array.from(template, (v, i) => v + (i % 3) - 1), undefined, Float32Array.from(template, (v, i) => v - (i % 2))];

    // Reference: one image at a time through a graph with the landmarks embedded.
    const want: Float32Array[] = [];
    for (let i = 0; i < 3; i++) {
      const l = lm[i];
      const g = buildOnnxGraph({ forward: (ctx, v) => net.forward(ctx, v, l ? { landmarks: l } : {}) }, weights, [1, 3, R, R]);
      const s = await createSession(g.bytes, { threads: 1 });
      try { want.push((await run(s, { input: { data: x.slice(i * per, (i + 1) * per), shape: [1, 3, R, R] } })).output!.data); } finally { await releaseSession(s); }
    }
    const out = 11 * R * R;
    for (const runtime of ['onnx', 'torch'] as const) {
      const seg = await loadSegmenter(ckpt, { runtime, resolution: R, cacheDir: join(tmp, 'cache'), threads: 1 });
      try {
        assert.equal(seg.landmarkWarp, true);
        const got = await seg.run(x, 3, lm.map((l) => (l ? { landmarks: l } : undefined)));
        assert.equal(got.logits.length, 3 * out);
        for (let i = 0; i < 3; i++) {
          let max = 0;
          for (let k = 0; k < out; k++) max = Math.max(max, Math.abs(got.logits[i * out + k]! - want[i]![k]!));
          assert.ok(max < 1e-4, `${runtime} image ${i}: max diff ${max}`);
        }
        // Without options nothing warps: image 1 is the same, image 0 differs.
        const plain = await seg.run(x, 3);
        assert.ok(plain.logits.subarray(out, 2 * out).every((v, k) => Math.abs(v - got.logits[out + k]!) < 1e-4));
        assert.ok(plain.logits.subarray(0, out).some((v, k) => Math.abs(v - got.logits[k]!) > 1e-3));
      } finally {
        await seg.dispose();
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
