// Node's detector levels from sharp (libvips' antialiased linear reduce) against the ORT level
// graph they stand in for (the page keeps the graph): values within 8-bit rounding on average,
// the same faces at the same places.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaceDetector } from '../../src/face/detector.js';
import { levelGraph } from '../../src/face/graphs.js';
import { nodeRuntime } from '../../src/face/node-runtime.js';
import { sharpLevels } from '../../src/face/sharp-levels.js';
import { blazeFaceBytes } from '../../src/face/weights.js';
import { ASTRONAUT, GRACE, collage } from './collage.js';

const i64 = (v: number[]) => ({ data: BigInt64Array.from(v.map(BigInt)), shape: [v.length] });

test('sharp detector levels match the ORT level graph: values, padding, the faces found', async (t) => {
  const { img } = await collage(1200, 800, [
    { file: ASTRONAUT, scale: 0.6, deg: 0, left: 40, top: 120 },
    { file: GRACE, scale: 0.5, deg: 25, left: 560, top: 60 },
    { file: ASTRONAUT, scale: 0.4, deg: -20, left: 1000, top: 500 },
  ]);
  const rt = nodeRuntime({ threads: 1 });
  const specs = [{ lw: 256, lh: 171, px: 0, py: 21 }, { lw: 733, lh: 489, px: 3, py: 7 }];
  const s = await rt.open(levelGraph(2));
  try {
    const ref = await s.run({ photo: { data: img.data, shape: [1, img.height, img.width, 3] }, size0: i64([171, 256]), pad0: i64([21, 0]), size1: i64([489, 733]), pad1: i64([7, 3]) });
    const got = await Promise.all(sharpLevels(img, specs));
    for (const [k, g] of got.entries()) {
      const r = ref[`level${k}`]!.data as Float32Array, { lw, lh, px } = specs[k]!;
      assert.equal(g.length, r.length);
      let mean = 0;
      for (let i = 0; i < r.length; i++) mean += Math.abs(g[i]! - r[i]!);
      mean = (mean / r.length) * 127.5; // in 8-bit levels
      t.diagnostic(`level ${k}: mean |Δ| ${mean.toFixed(3)} levels`);
      assert.ok(mean < 0.5, `level ${k}: mean |Δ| ${mean} levels`);
      for (let x = lw; x < lw + px; x++) assert.equal(g[x * 3], 0, 'right padding is 0');
      for (let i = lh * (lw + px) * 3; i < g.length; i++) assert.equal(g[i], 0, 'bottom padding is 0');
    }
  } finally {
    await s.release();
  }
  const bytes = await blazeFaceBytes();
  const [a, b] = await Promise.all([FaceDetector.open(rt, bytes), FaceDetector.open({ open: rt.open }, bytes)]);
  try {
    const fa = await a.detect(img), fb = await b.detect(img);
    assert.equal(fa.length, 3);
    assert.equal(fb.length, 3);
    for (const f of fa) {
      const iod = Math.hypot(f.landmarks[1]![0] - f.landmarks[0]![0], f.landmarks[1]![1] - f.landmarks[0]![1]);
      const g = fb.find((q) => Math.hypot(q.landmarks[0]![0] - f.landmarks[0]![0], q.landmarks[0]![1] - f.landmarks[0]![1]) < 0.2 * iod);
      assert.ok(g, `face at ${f.box.map(Math.round)} found both ways`);
      const d = Math.max(...f.landmarks.map((p, k) => Math.hypot(p[0] - g.landmarks[k]![0], p[1] - g.landmarks[k]![1])));
      t.diagnostic(`face at ${f.box.slice(0, 2).map(Math.round)}: landmarks ${d.toFixed(2)} px apart (eye distance ${iod.toFixed(1)})`);
      assert.ok(d < 0.05 * iod, `landmarks moved ${d.toFixed(2)} px (eye distance ${iod.toFixed(1)})`);
    }
  } finally {
    await Promise.all([a.dispose(), b.dispose()]);
  }
});
