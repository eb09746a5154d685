// BlazeFace through our own ORT code: the sample photos, and collages with scaled, rotated and
// small faces whose expected places follow from the samples' own detections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaceDetector, type DetectedFace } from '../../src/face/detector.js';
import { nodeRuntime } from '../../src/face/node-runtime.js';
import { blazeFaceBytes } from '../../src/face/weights.js';
import { readImage } from '../../src/image/read.js';
import { ASTRONAUT, GRACE, collage } from './collage.js';

const eyeMid = (f: { landmarks: readonly (readonly [number, number])[] }): [number, number] => [(f.landmarks[0]![0] + f.landmarks[1]![0]) / 2, (f.landmarks[0]![1] + f.landmarks[1]![1]) / 2];
const iod = (f: { landmarks: readonly (readonly [number, number])[] }) => Math.hypot(f.landmarks[1]![0] - f.landmarks[0]![0], f.landmarks[1]![1] - f.landmarks[0]![1]);

test('face detection: the samples, then a collage of scaled, rotated and small faces', async (t) => {
  const det = await FaceDetector.open(nodeRuntime({ threads: 2 }), await blazeFaceBytes());
  try {
    const ref = new Map<string, DetectedFace>();
    await t.test('one face per sample photo, landmarks in a face-like layout', async () => {
      for (const file of [ASTRONAUT, GRACE]) {
        const faces = await det.detect(await readImage(file));
        assert.equal(faces.length, 1, `${file}: ${faces.length} faces`);
        const f = faces[0]!;
        const [x, y, w, h] = f.box;
        for (const [px, py] of f.landmarks) assert.ok(px > x && px < x + w && py > y && py < y + h, `${file}: landmark outside the box`);
        const [l, r, nose, ml, mr] = f.landmarks as [number, number][];
        assert.ok(l![0] < r![0], 'image-left eye first');
        assert.ok(nose![1] > l![1] && ml![1] > nose![1] && mr![1] > nose![1], 'eyes above nose above mouth');
        assert.ok(Math.abs(f.angle) < 10);
        ref.set(file, f);
      }
    });

    await t.test('collage: four faces found where they were put (scales 0.32–1.2, tilts −30°…+40°)', async () => {
      const items = [
        { file: ASTRONAUT, scale: 1, deg: 0, left: 60, top: 80 },
        { file: GRACE, scale: 1.2, deg: 40, left: 650, top: 60 },
        { file: GRACE, scale: 0.7, deg: -30, left: 1620, top: 100 },
        { file: ASTRONAUT, scale: 0.32, deg: 0, left: 1700, top: 800 }, // a ~33 px face
      ];
      const { img, maps } = await collage(2200, 1300, items);
      const t0 = performance.now();
      const faces = await det.detect(img);
      const ms = performance.now() - t0;
      assert.equal(faces.length, 4, `found ${faces.length}: ${JSON.stringify(faces.map((f) => f.box.map(Math.round)))}`);
      const errs: string[] = [];
      items.forEach((it, i) => {
        const r = ref.get(it.file)!;
        const want = eyeMid({ landmarks: r.landmarks.map(([x, y]) => maps[i]!(x, y)) });
        const wantIod = iod(r) * it.scale;
        const got = faces.find((f) => Math.hypot(eyeMid(f)[0] - want[0], eyeMid(f)[1] - want[1]) < 0.3 * wantIod);
        assert.ok(got, `face ${i} (scale ${it.scale}, ${it.deg}°) not found near (${want.map(Math.round)})`);
        assert.ok(Math.abs(got.angle - it.deg) < 12, `face ${i}: angle ${got.angle.toFixed(1)}° for a ${it.deg}° tilt`);
        assert.ok(Math.abs(iod(got) / wantIod - 1) < 0.25, `face ${i}: eye distance ${iod(got).toFixed(1)} vs ${wantIod.toFixed(1)}`);
        // Each of the five points against the sample's own, carried through the placement.
        const want5 = r.landmarks.map(([x, y]) => maps[i]!(x, y));
        const e = Math.max(...got.landmarks.map(([x, y], k) => Math.hypot(x - want5[k]![0], y - want5[k]![1]))) / wantIod;
        errs.push(`${it.scale}×/${it.deg}°: ${e.toFixed(3)}`);
      });
      const small = faces.find((f) => f.box[3] < 50);
      assert.ok(small && small.box[3] >= 25, 'the small face is reported at its size');
      t.diagnostic(`2200×1300 collage: ${Math.round(ms)} ms; worst landmark / eye distance vs the unscaled sample: ${errs.join(', ')}`);
    });

    await t.test('no face: an empty list; --min-face above every face: none either', async () => {
      const blank = { data: new Uint8Array(300 * 200 * 3).fill(128), width: 300, height: 200, name: 'blank' };
      assert.deepEqual(await det.detect(blank), []);
      assert.deepEqual(await det.detect(await readImage(ASTRONAUT), { minFace: 300 }), []);
      assert.equal((await det.detect(await readImage(ASTRONAUT), { threshold: 0.999 })).length, 0);
    });
  } finally {
    await det.dispose();
  }
});
