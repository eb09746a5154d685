// The size-free BlazeFace rewrite: the same outputs as the shipped file at 256², anchors decoded
// for a larger input, and ±45° heads found in the finer level of a 1920-px photo, which now runs
// as one big detector input instead of 256-px tiles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { dynamicBlazeFace } from '../../src/face/blazeface-graph.js';
import { decodeBlazeFace } from '../../src/face/blazeface.js';
import { FaceDetector } from '../../src/face/detector.js';
import { nodeRuntime } from '../../src/face/node-runtime.js';
import { blazeFaceBytes } from '../../src/face/weights.js';
import { ASTRONAUT, GRACE, collage } from './collage.js';

const OUTS = ['Identity:0', 'Identity_1:0', 'Identity_2:0', 'Identity_3:0'] as const;

test('size-free BlazeFace: equal to the shipped model at 256², decodes a 512×256 input', async () => {
  const rt = nodeRuntime({ threads: 1 });
  const bytes = await blazeFaceBytes();
  const [orig, dyn] = await Promise.all([rt.open(bytes), rt.open(dynamicBlazeFace(bytes))]);
  try {
    const { data } = await sharp(ASTRONAUT).removeAlpha().resize(256, 256).raw().toBuffer({ resolveWithObject: true });
    const x = Float32Array.from(data, (v) => (v / 255) * 2 - 1); // the detector's [-1, 1] NHWC
    const a = await orig.run({ 'input:0': { data: x, shape: [1, 256, 256, 3] } });
    const b = await dyn.run({ 'input:0': { data: x, shape: [1, 256, 256, 3] } });
    for (const k of OUTS) {
      assert.deepEqual(b[k]!.shape, a[k]!.shape);
      let d = 0;
      for (let i = 0; i < a[k]!.data.length; i++) d = Math.max(d, Math.abs(Number(a[k]!.data[i]) - Number(b[k]!.data[i])));
      assert.ok(d < 1e-3, `${k}: max |Δ| ${d}`);
    }
    // The same face twice side by side: found in each half, the right one 256 px further.
    const wide = new Float32Array(256 * 512 * 3);
    for (let y = 0; y < 256; y++) for (const half of [0, 1]) wide.set(x.subarray(y * 768, (y + 1) * 768), (y * 512 + half * 256) * 3);
    const w = await dyn.run({ 'input:0': { data: wide, shape: [1, 256, 512, 3] } });
    assert.deepEqual(w['Identity:0']!.shape, [1, 16 * 32 * 2, 1]);
    assert.deepEqual(w['Identity_3:0']!.shape, [1, 8 * 16 * 6, 16]);
    assert.throws(() => decodeBlazeFace(w['Identity:0']!.data as Float32Array, w['Identity_1:0']!.data as Float32Array,
      w['Identity_2:0']!.data as Float32Array, w['Identity_3:0']!.data as Float32Array, 0.5), /anchors/);
    const best = (r: typeof a, width: number) => decodeBlazeFace(r['Identity:0']!.data as Float32Array, r['Identity_1:0']!.data as Float32Array,
      r['Identity_2:0']!.data as Float32Array, r['Identity_3:0']!.data as Float32Array, 0.5, width, 256);
    const one = best(a, 256).sort((p, q) => q.score - p.score)[0]!;
    const two = best(w, 512);
    assert.ok(one && one.w > 50, 'the sample face is found at 256²');
    for (const shift of [0, 256]) {
      assert.ok(two.some((d) => Math.hypot(d.cx - one.cx - shift, d.cy - one.cy) < 4 && Math.abs(d.w / one.w - 1) < 0.1), `face at +${shift} px`);
    }
  } finally {
    await Promise.all([orig.release(), dyn.release()]);
  }
});

test('±45° heads at 0.5× in a 1920×1280 photo are found by the one-run finer level', async () => {
  const det = await FaceDetector.open(nodeRuntime({ threads: 2 }), await blazeFaceBytes());
  try {
    const { img } = await collage(1920, 1280, [
      { file: ASTRONAUT, scale: 0.5, deg: 45, left: 700, top: 300 },
      { file: GRACE, scale: 0.5, deg: -45, left: 100, top: 100 },
    ]);
    const faces = await det.detect(img);
    assert.equal(faces.length, 2, JSON.stringify(faces.map((f) => [f.box.map(Math.round), f.angle.toFixed(0)])));
    const angles = faces.map((f) => f.angle).sort((p, q) => p - q);
    assert.ok(Math.abs(angles[0]! + 45) < 12 && Math.abs(angles[1]! - 45) < 12, `angles ${angles.map((a) => a.toFixed(1))}`);
  } finally {
    await det.dispose();
  }
});
