// Compositing and the CelebA margin with stand-in networks whose logits follow the crop's pixels,
// so the expected labels are known exactly (the real graphs do the cropping and pasting).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { celebAlignment, celebQuad, templateAt, type Landmarks5 } from '../../src/face/align.js';
import { photoToCanvas } from '../../src/face/geometry.js';
import { nodeRuntime } from '../../src/face/node-runtime.js';
import { parseFaces, selectFaces, type CanvasModel } from '../../src/face/parse-faces.js';
import { FacePaster } from '../../src/face/paste.js';
import { parsedFaces } from '../../src/api/face-result.js';
import { classTable } from '../../src/model/classes.js';

/** Class 1 where the crop's red channel is bright, else background; `gain` scales confidence. */
function redModel(R: number, gain = 4): CanvasModel {
  return {
    resolution: R, numClasses: 2, head: 'celeb',
    async run(batch: Float32Array, n: number) {
      const plane = R * R, logits = new Float32Array(n * 2 * plane);
      for (let i = 0; i < n; i++) for (let p = 0; p < plane; p++) logits[(2 * i + 1) * plane + p] = gain * batch[i * 3 * plane + p]!;
      return { logits, height: R, width: R };
    },
  };
}

function faceAt(R: number, s: number, cx: number, cy: number): { box: [number, number, number, number]; score: number; landmarks: Landmarks5 } {
  const lm = templateAt(R).map(([x, y]) => [cx + (x - R / 2) * s, cy + (y - R / 2) * s] as const) as unknown as Landmarks5;
  return { box: [cx - 60 * s, cy - 60 * s, 120 * s, 120 * s], score: 0.9, landmarks: lm };
}

test('a class touching the CelebA-HQ crop edge continues past it (the margin), and stops at ours', async () => {
  const W = 500, H = 500, R = 128;
  const photo = new Uint8Array(W * H * 3);
  // A bright vertical band through the whole photo, like long hair falling past the crop.
  for (let y = 0; y < H; y++) for (let x = 230; x < 270; x++) photo[(y * W + x) * 3] = 255;
  const face = faceAt(R, 1, 250, 220);
  const paster = new FacePaster(nodeRuntime({ threads: 1 }), R);
  try {
    const r = await parseFaces({ data: photo, width: W, height: H }, [face], redModel(R), paster, { crops: true });
    // The official square (margin 1) ends at this row; below it the band is still labelled.
    const { c, x } = celebQuad(face.landmarks);
    const officialBottom = c[1] + Math.hypot(x[0], x[1]);
    const below = Math.ceil(officialBottom) + 5;
    assert.ok(below < H);
    assert.equal(r.labels[below * W + 250], 1, `band cut at the CelebA-HQ crop edge (row ${below})`);
    assert.equal(r.labels[below * W + 200], 0, 'only the band is labelled');
    // The canvas edge itself touches the band (so the network sees it reach the border) ...
    assert.equal(r.crops![0]!.labels[(R - 1) * R + R / 2], 1);
    // ... and past our own (wider) square nothing is claimed.
    const ours = celebAlignment(face.landmarks, R);
    const rowPast = Math.ceil(c[1] + Math.hypot(x[0], x[1]) * 1.3) + 3;
    if (rowPast < H) {
      assert.ok(photoToCanvas(ours, 250.5, rowPast + 0.5)[1] > R);
      assert.equal(r.owner[rowPast * W + 250], 0);
    }
  } finally {
    await paster.dispose();
  }
});

test('overlapping faces: each pixel goes to the face with the higher 1 − p(background); outside all faces background', async () => {
  const W = 600, H = 400, R = 64;
  const photo = new Uint8Array(W * H * 3).fill(200); // bright everywhere: every face claims its square
  const a = faceAt(R, 2, 220, 200), b = faceAt(R, 2, 330, 200);
  const paster = new FacePaster(nodeRuntime({ threads: 1 }), R);
  try {
    // The second face's model is less sure: where the squares overlap, the first must win.
    const sure = redModel(R, 4), unsure = redModel(R, 0.5);
    let call = 0;
    const mixed: CanvasModel = { ...sure, run: (x, n) => (call++ === 0 ? sure : unsure).run(x, n) };
    const r = await parseFaces({ data: photo, width: W, height: H }, [a, b], mixed, paster);
    const la = celebAlignment(a.landmarks, R), lb = celebAlignment(b.landmarks, R);
    const inside = (al: typeof la, x: number, y: number) => { const [u, v] = photoToCanvas(al, x + 0.5, y + 0.5); return u >= 0 && v >= 0 && u < R - 1 && v < R - 1; };
    const far = (al: typeof la, x: number, y: number) => { const [u, v] = photoToCanvas(al, x + 0.5, y + 0.5); return u < -2 || v < -2 || u > R + 1 || v > R + 1; };
    let both = 0, onlyB = 0, none = 0;
    for (let y = 0; y < H; y += 3) {
      for (let x = 0; x < W; x += 3) {
        const inA = inside(la, x, y), inB = inside(lb, x, y), o = r.owner[y * W + x];
        if (inA) { assert.equal(o, 1, `(${x},${y}) is in face 0's square`); if (inB) both++; }
        else if (inB) { assert.equal(o, 2); onlyB++; }
        else if (far(la, x, y) && far(lb, x, y)) { assert.equal(o, 0); assert.equal(r.labels[y * W + x], 0); none++; }
      }
    }
    assert.ok(both > 100 && onlyB > 100 && none > 100, `${both} ${onlyB} ${none}`);
    // Per-face class counts read inside the paste rectangles only equal those of a whole-photo pass.
    const classes = classTable('celeb');
    const within = parsedFaces([a, b], r.owner, r.labels, classes, undefined, { width: W, regions: r.regions });
    const whole = [1, 2].map(() => new Array<number>(classes.length).fill(0)); // whole-photo pass: [face][label]
    r.owner.forEach((o, i) => { if (o > 0) whole[o - 1]![r.labels[i]!]!++; });
    assert.deepEqual(within.map((f) => f.counts), whole);
    assert.ok(whole.every((counts) => counts.reduce((s, c) => s + c, 0) > 1000));
  } finally {
    await paster.dispose();
  }
});

test('face selection: all by score, the largest, the N best', () => {
  const f = (score: number, size: number) => ({ box: [0, 0, size, size] as [number, number, number, number], score, landmarks: [] });
  const faces = [f(0.6, 50), f(0.9, 20), f(0.7, 80)];
  assert.deepEqual(selectFaces(faces).map((x) => x.score), [0.9, 0.7, 0.6]);
  assert.deepEqual(selectFaces(faces, 'largest').map((x) => x.score), [0.7]);
  assert.deepEqual(selectFaces(faces, 2).map((x) => x.score), [0.9, 0.7]);
  assert.deepEqual(selectFaces([], 'largest'), []);
});
