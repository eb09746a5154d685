// A LaPa checkpoint in the wild gets SegFace's five-point tanh warp. On an R×R photo, our crop is
// exactly the head's own warped input (SegFace's grid, sampled from the photo), and the head's
// landmark path (ONNX with the grids as graph inputs, and libtorch where the addon is built) equals
// our crop → network → SegFace's inverse grid. Our paste-back then differs from SegFace's only by
// its inverse being exact (geometry.test.ts: 0.67 px for theirs, within 0.25 px for ours).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FaceParser, loadSegmenter } from '../../src/api/index.js';
import { createSession, GraphBuilder, releaseSession, run } from '../../src/engine/onnx/index.js';
import { lapaAlignment, type Landmarks5 } from '../../src/face/align.js';
import { cropGrid } from '../../src/face/geometry.js';
import { nodeRuntime } from '../../src/face/node-runtime.js';
import { FacePaster } from '../../src/face/paste.js';
import { preprocessInto } from '../../src/image/preprocess.js';
import { writeCheckpointFile } from '../../src/io/files.js';
import { buildSegFace } from '../../src/model/build.js';
import { inverseTanhWarpGrid, tanhWarpGrid } from '../../src/model/head/tanh-warp.js';
import { randomStateDict } from '../../src/model/load.js';
import { ASTRONAUT } from './collage.js';

/** grid_sample(bilinear, zeros, align_corners=False) in ORT. */
async function gridSample(x: Float32Array, shape: number[], grid: Float32Array): Promise<Float32Array> {
  const g = new GraphBuilder('gs');
  const xi = g.input('x', shape), gi = g.input('grid', [1, shape[2]!, shape[3]!, 2]);
  const [y] = g.node('GridSample', [xi, gi], { mode: 'linear', padding_mode: 'zeros', align_corners: 0 });
  g.output({ name: y!, shape, dtype: 'float32' }, 'y');
  const s = await createSession(g.serialize());
  try { return (await run(s, { x: { data: x, shape }, grid: { data: grid, shape: [1, shape[2]!, shape[3]!, 2] } })).y!.data; } finally { await releaseSession(s); }
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!)); return m; };

const R = 128;

test('LaPa head: in-the-wild parsing applies the landmark warp the head was trained with', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'segface-lapa-wild-'));
  const prevCache = process.env.SEGFACE_CACHE;
  process.env.SEGFACE_CACHE = join(tmp, 'cache');
  try {
    const net = buildSegFace({ model: 'mobilenet', head: 'lapa', resolution: R });
    const ckpt = join(tmp, 'lapa.pt');
    writeCheckpointFile(ckpt, new Map([['state_dict_backbone', randomStateDict(net, 3)]]));
    const { data, info } = await sharp(ASTRONAUT).removeAlpha().resize(R, R).raw().toBuffer({ resolveWithObject: true });
    const photo = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 as const };
    const parser = await FaceParser.load(ckpt, { resolution: R, threads: 2, progress: false });
    try {
      assert.equal(parser.head, 'lapa');
      const [face] = await parser.detect(photo, { minFace: 16 });
      assert.ok(face, 'the face is found at 128 px');
      const lm = face.landmarks as unknown as Landmarks5, flat = face.landmarks.flat();
      const al = lapaAlignment(lm, R);
      // 1. Our crop grid on an R×R photo is SegFace's warp grid.
      assert.ok(maxDiff(cropGrid(al, R, R), tanhWarpGrid(flat, 1, R)) < 1e-4);
      // 2. Our crop (from the uint8 photo) is the head's warped, normalised input.
      const input = new Float32Array(3 * R * R);
      preprocessInto({ ...photo, name: 'x' }, R, input, 0);
      const paster = new FacePaster(nodeRuntime({ threads: 2 }), R);
      let crop: Float32Array;
      try { crop = await paster.crops(photo, [al]); } finally { await paster.dispose(); }
      assert.ok(maxDiff(crop, await gridSample(input, [1, 3, R, R], tanhWarpGrid(flat, 1, R))) < 1e-4);
      // 3. The head's landmark path = crop → network → SegFace's inverse grid, on both engines.
      for (const runtime of ['onnx', 'torch'] as const) {
        let seg;
        try { seg = await loadSegmenter(ckpt, { runtime, resolution: R, threads: 2 }); } catch (e) {
          if (runtime === 'torch') { t.diagnostic(`libtorch path skipped: ${(e as Error).message.split('\n')[0]}`); continue; }
          throw e;
        }
        try {
          assert.ok(seg.landmarkWarp);
          const head = await seg.run(input, 1, [{ landmarks: flat }]);
          const canvas = await seg.run(crop, 1);
          const C = seg.numClasses;
          const back = await gridSample(canvas.logits, [1, C, R, R], inverseTanhWarpGrid(flat, 1, R));
          let scale = 0;
          for (const v of head.logits) scale = Math.max(scale, Math.abs(v));
          const d = maxDiff(head.logits, back);
          t.diagnostic(`${runtime}: max |head warp − ours| = ${d.toExponential(2)} (logits up to ${scale.toFixed(2)})`);
          assert.ok(d < 1e-3 * Math.max(1, scale), `${runtime}: ${d}`);
        } finally {
          await seg.dispose();
        }
      }
      // 4. And the full in-the-wild parse of that face covers the photo with LaPa's classes.
      const ours = await parser.parseFaces(photo, [face]);
      assert.equal(ours.classes.length, 11);
      assert.ok(ours.faces![0]!.summary().classes.length > 1);
    } finally {
      await parser.dispose();
    }
  } finally {
    if (prevCache === undefined) delete process.env.SEGFACE_CACHE; else process.env.SEGFACE_CACHE = prevCache;
    rmSync(tmp, { recursive: true, force: true });
  }
});
