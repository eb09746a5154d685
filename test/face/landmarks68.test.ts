// face-api's 68-point landmark net converted to ONNX: the converted graph against a direct
// TF-semantics forward pass of face-api's own TF.js shards (NHWC, 'same' padding as TF pads, the
// dense blocks as face-api sums them), then its mouth corners on the sample photos and on rotated
// copies of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FaceDetector, type DetectedFace } from '../../src/face/detector.js';
import { LandmarkNet, cropFor } from '../../src/face/landmarks68.js';
import { LANDMARK_INPUT, readTfjsWeights, type TfTensor } from '../../src/face/landmarks68-onnx.js';
import { FACE_API_PACKAGE, LANDMARKS_MANIFEST, landmarks68Bytes } from '../../src/face/landmarks68-weights.js';
import { nodeRuntime } from '../../src/face/node-runtime.js';
import { blazeFaceBytes } from '../../src/face/weights.js';
import { readImage } from '../../src/image/read.js';
import { ASTRONAUT, GRACE, collage } from './collage.js';

function shards(): Map<string, TfTensor> {
  const dir = dirname(createRequire(import.meta.url).resolve(`${FACE_API_PACKAGE}/package.json`));
  const model = join(dir, dirname(LANDMARKS_MANIFEST));
  return readTfjsWeights(readFileSync(join(dir, LANDMARKS_MANIFEST), 'utf8'), (p) => new Uint8Array(readFileSync(join(model, p))));
}

// ---- a direct forward pass in TF's conventions (NHWC, HWIO filters), independent of the graph ----
interface Map3 { h: number; w: number; c: number; d: Float32Array }

/** TF 'same': out = ceil(in/stride), total pad max((out−1)·s + k − in, 0), the smaller half first. */
function samePad(n: number, s: number): number {
  const out = Math.ceil(n / s);
  return Math.floor(Math.max((out - 1) * s + 3 - n, 0) / 2);
}

function conv3(x: Map3, f: Float32Array, cout: number, s: number): Map3 {
  const h = Math.ceil(x.h / s), w = Math.ceil(x.w / s), py = samePad(x.h, s), px = samePad(x.w, s);
  const d = new Float32Array(h * w * cout);
  for (let oy = 0; oy < h; oy++) for (let ox = 0; ox < w; ox++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
    const iy = oy * s + ky - py, ix = ox * s + kx - px;
    if (iy < 0 || ix < 0 || iy >= x.h || ix >= x.w) continue;
    for (let i = 0; i < x.c; i++) {
      const v = x.d[(iy * x.w + ix) * x.c + i]!;
      const fo = ((ky * 3 + kx) * x.c + i) * cout, o = (oy * w + ox) * cout;
      for (let k = 0; k < cout; k++) d[o + k]! += v * f[fo + k]!;
    }
  }
  return { h, w, c: cout, d };
}

function depthwise(x: Map3, f: Float32Array, s: number): Map3 {
  const h = Math.ceil(x.h / s), w = Math.ceil(x.w / s), py = samePad(x.h, s), px = samePad(x.w, s);
  const d = new Float32Array(h * w * x.c);
  for (let oy = 0; oy < h; oy++) for (let ox = 0; ox < w; ox++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
    const iy = oy * s + ky - py, ix = ox * s + kx - px;
    if (iy < 0 || ix < 0 || iy >= x.h || ix >= x.w) continue;
    for (let i = 0; i < x.c; i++) d[(oy * w + ox) * x.c + i]! += x.d[(iy * x.w + ix) * x.c + i]! * f[(ky * 3 + kx) * x.c + i]!;
  }
  return { h, w, c: x.c, d };
}

function pointwise(x: Map3, f: Float32Array, bias: Float32Array, cout: number): Map3 {
  const d = new Float32Array(x.h * x.w * cout);
  for (let p = 0; p < x.h * x.w; p++) {
    for (let k = 0; k < cout; k++) d[p * cout + k] = bias[k]!;
    for (let i = 0; i < x.c; i++) { const v = x.d[p * x.c + i]!; for (let k = 0; k < cout; k++) d[p * cout + k]! += v * f[i * cout + k]!; }
  }
  return { h: x.h, w: x.w, c: cout, d };
}

const add = (a: Map3, b: Map3): Map3 => ({ ...a, d: a.d.map((v, i) => v + b.d[i]!) });
const relu = (a: Map3): Map3 => ({ ...a, d: a.d.map((v) => Math.max(0, v)) });

function referenceForward(W: Map<string, TfTensor>, rgb: Float32Array): Float32Array {
  const N = LANDMARK_INPUT, mean = [122.782, 117.001, 104.298];
  let x: Map3 = { h: N, w: N, c: 3, d: rgb.map((v, i) => (v - mean[i % 3]!) / 255) };
  const w = (k: string) => W.get(k)!.data;
  [32, 64, 128, 256].forEach((c, b) => {
    const sep = (m: Map3, k: string, s: number) => pointwise(depthwise(m, w(`${k}/depthwise_filter`), s), w(`${k}/pointwise_filter`), w(`${k}/bias`), c);
    const k0 = `dense${b}/conv0`;
    let out1: Map3;
    if (b === 0) { const y = conv3(x, w(`${k0}/filters`), c, 2); out1 = relu({ ...y, d: y.d.map((v, i) => v + w(`${k0}/bias`)[i % c]!) }); }
    else out1 = relu(sep(x, k0, 2));
    const out2 = sep(out1, `dense${b}/conv1`, 1);
    const out3 = sep(relu(add(out1, out2)), `dense${b}/conv2`, 1);
    const out4 = sep(relu(add(out1, add(out2, out3))), `dense${b}/conv3`, 1);
    x = relu(add(out1, add(out2, add(out3, out4))));
  });
  const feat = new Float32Array(256); // 7×7 average
  for (let p = 0; p < 49; p++) for (let k = 0; k < 256; k++) feat[k]! += x.d[p * 256 + k]! / 49;
  const fw = w('fc/weights'), fb = w('fc/bias'), out = new Float32Array(136);
  for (let o = 0; o < 136; o++) { let s = fb[o]!; for (let i = 0; i < 256; i++) s += feat[i]! * fw[i * 136 + o]!; out[o] = s; }
  return out;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

test('face-api 68-point net: shards, ONNX conversion, mouth corners on the samples', async (t) => {
  const runtime = nodeRuntime({ threads: 2 });
  const net = await LandmarkNet.open(runtime, await landmarks68Bytes());
  const det = await FaceDetector.open(runtime, await blazeFaceBytes());
  try {
    const W = shards();

    await t.test('the shards: 49 tensors, dequantised as min + scale·q', () => {
      assert.equal(W.size, 49);
      for (const [name, tensor] of W) {
        const q = tensor.quant!;
        assert.ok(q, `${name} is quantised`);
        assert.equal(tensor.data.length, tensor.shape.reduce((a, b) => a * b, 1));
        for (let i = 0; i < tensor.data.length; i += 97) assert.ok(Math.abs(tensor.data[i]! - (q.min + q.scale * q.q[i]!)) < 1e-6);
      }
      assert.deepEqual(W.get('fc/weights')!.shape, [256, 136]);
    });

    await t.test('converted ONNX equals a direct TF-semantics forward pass (noise and a face crop)', async () => {
      const N = LANDMARK_INPUT, rnd = seeded(13);
      const noise = Float32Array.from({ length: N * N * 3 }, () => Math.floor(rnd() * 256));
      const img = await readImage(ASTRONAUT);
      const [face] = await det.detect(img);
      const crop = await net.inputs(img, [cropFor(face!)]);
      for (const [what, input] of [['noise', noise], ['astronaut crop', crop]] as const) {
        const want = referenceForward(W, input);
        const got = await net.run(input, 1);
        let worst = 0;
        for (let i = 0; i < 136; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
        t.diagnostic(`${what}: max |ONNX − reference| = ${worst.toExponential(2)}`);
        assert.ok(worst < 1e-4, `${what}: ${worst}`);
      }
      // Two faces in one batch give each face's own answer.
      const both = new Float32Array(2 * N * N * 3);
      both.set(noise, 0); both.set(crop, N * N * 3);
      const batched = await net.run(both, 2), alone = await net.run(crop, 1);
      for (let i = 0; i < 136; i++) assert.ok(Math.abs(batched[136 + i]! - alone[i]!) < 1e-5);
    });

    await t.test('the mosaic of face tiles samples what the whole photo would (faces over the edge, tilted)', async () => {
      const img = await readImage(GRACE);
      const [face] = await det.detect(img);
      const crops = [cropFor(face!), { cx: 20, cy: 580, side: 150, angle: 0.6 }, { ...cropFor(face!), angle: -0.8 }, { cx: -500, cy: 10, side: 50, angle: 0 }];
      const whole = { data: img.data, width: img.width + 1, height: img.height + 1, tiles: crops.map(() => ({ x0: 0, y0: 0, x1: img.width, y1: img.height, dx: 0 })) };
      // The whole photo as one tile (a zero column and row beyond it): today's GridSample from the photo.
      const padded = new Uint8Array((img.width + 1) * (img.height + 1) * 3);
      for (let y = 0; y < img.height; y++) padded.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), y * (img.width + 1) * 3);
      const want = await net.inputs(img, crops, { ...whole, data: padded });
      const got = await net.inputs(img, crops);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      assert.ok(worst < 0.01, `mosaic vs whole photo: ${worst} (of 0..255)`);
      assert.ok(got.subarray(3 * 112 * 112 * 3).every((v) => v === 0), 'a crop wholly outside the photo is black');
    });

    const ref = new Map<string, DetectedFace>();
    await t.test('samples: the corners lie left and right of the mouth centre, on the mouth', async () => {
      for (const file of [ASTRONAUT, GRACE]) {
        const img = await readImage(file);
        const [face] = await det.detect(img);
        const [refined] = await net.refine(img, [face!]);
        const [l, r, nose, ml, mr] = refined!.landmarks as [number, number][];
        // BlazeFace's mouth centre: the midpoint of its template corners (same 4-point fit).
        const mid = [(face!.landmarks[3]![0] + face!.landmarks[4]![0]) / 2, (face!.landmarks[3]![1] + face!.landmarks[4]![1]) / 2] as const;
        const iod = Math.hypot(r![0] - l![0], r![1] - l![1]);
        for (const k of [0, 1, 2]) {
          const d = Math.hypot(refined!.landmarks[k]![0] - face!.landmarks[k]![0], refined!.landmarks[k]![1] - face!.landmarks[k]![1]) / iod;
          assert.ok(d < 0.15, `${file}: point ${k} ${d.toFixed(3)} eye distances from BlazeFace's`);
        }
        const [onlyCorners] = await net.refine(img, [face!], 'corners');
        assert.deepEqual(onlyCorners!.landmarks.slice(0, 3), face!.landmarks.slice(0, 3), '\'corners\' keeps BlazeFace\'s eyes and nose');
        assert.deepEqual(onlyCorners!.landmarks.slice(3), refined!.landmarks.slice(3));
        assert.ok(ml![0] < mid[0] - 0.2 * iod && mr![0] > mid[0] + 0.2 * iod, `${file}: corners ${ml}, ${mr} around ${mid}`);
        for (const c of [ml!, mr!]) assert.ok(Math.abs(c[1] - mid[1]) < 0.3 * iod && c[1] > nose![1], `${file}: corner ${c} off the mouth line ${mid[1]}`);
        const width = Math.hypot(mr![0] - ml![0], mr![1] - ml![1]) / iod;
        assert.ok(width > 0.6 && width < 1.3, `${file}: mouth width ${width} eye distances`);
        ref.set(file, refined!);
        t.diagnostic(`${file}: corners ${[ml, mr].map((p) => p!.map((v) => v.toFixed(1)).join(',')).join(' / ')}, template ${[face!.landmarks[3], face!.landmarks[4]].map((p) => p!.map((v) => v.toFixed(1)).join(',')).join(' / ')}`);
      }
    });

    await t.test('rotated copies (−45°, +30°) and a half-size copy give the points carried along', async () => {
      const items = [
        { file: ASTRONAUT, scale: 1, deg: -45, left: 20, top: 20 },
        { file: GRACE, scale: 0.8, deg: 30, left: 780, top: 20 },
        { file: GRACE, scale: 0.5, deg: 0, left: 300, top: 760 },
      ];
      const { img, maps } = await collage(1400, 1100, items);
      const faces = await det.detect(img);
      assert.equal(faces.length, 3, JSON.stringify(faces.map((f) => f.box.map(Math.round))));
      const refined = await net.refine(img, faces);
      const errs: string[] = [];
      items.forEach((it, i) => {
        const want = ref.get(it.file)!.landmarks.map(([x, y]) => maps[i]!(x, y));
        const iod = Math.hypot(want[1]![0] - want[0]![0], want[1]![1] - want[0]![1]);
        const got = refined.find((f) => Math.hypot(f.landmarks[0]![0] - want[0]![0], f.landmarks[0]![1] - want[0]![1]) < 0.3 * iod);
        assert.ok(got, `face ${i} not found`);
        const e = Math.max(...[0, 1, 2, 3, 4].map((k) => Math.hypot(got.landmarks[k]![0] - want[k]![0], got.landmarks[k]![1] - want[k]![1]))) / iod;
        errs.push(`${it.scale}×/${it.deg}°: ${e.toFixed(3)}`);
        assert.ok(e < 0.1, `face ${i} (${it.deg}°): worst point ${e.toFixed(3)} eye distances from the sample's, carried along`);
      });
      t.diagnostic(`worst of the five points / eye distance vs the upright sample: ${errs.join(', ')}`);
    });
  } finally {
    await Promise.all([net.dispose(), det.dispose()]);
  }
});
