// Alignment and paste-back geometry: the maps invert each other exactly, and an ORT round trip
// (photo → aligned canvas → photo, both GridSample) of a dot pattern lands within 0.25 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { celebAlignment, celebQuad, lapaAlignment, templateAt, type Landmarks5 } from '../../src/face/align.js';
import { applySim, canvasToPhoto, fitSimilarity, invertSim, photoToCanvas, type Alignment } from '../../src/face/geometry.js';
import { nodeRuntime } from '../../src/face/node-runtime.js';
import { FacePaster } from '../../src/face/paste.js';
import { faceAlignMatrix } from '../../src/model/head/tanh-warp.js';

/** A template face placed in a photo by scale s, rotation deg and centre (cx, cy). */
function placedFace(R: number, s: number, deg: number, cx: number, cy: number): Landmarks5 {
  const t = (deg * Math.PI) / 180;
  return templateAt(R).map(([x, y]) => {
    const dx = (x - (R - 1) / 2) * s, dy = (y - (R - 1) / 2) * s;
    return [cx + Math.cos(t) * dx - Math.sin(t) * dy, cy + Math.sin(t) * dx + Math.cos(t) * dy] as const;
  }) as unknown as Landmarks5;
}

test('the similarity fit matches the LaPa head\'s own (faceAlignMatrix) and inverts exactly', () => {
  const lm = placedFace(512, 0.7, 23, 300, 260);
  const ours = lapaAlignment(lm, 512).toCanvas;
  const theirs = faceAlignMatrix(lm.flat(), 512);
  for (const [a, b] of [[ours.a, theirs[0]], [ours.b, theirs[1]], [ours.tx, theirs[2]], [-ours.b, theirs[3]], [ours.ty, theirs[5]]] as const) {
    assert.ok(Math.abs(a - b!) < 1e-6 * Math.max(1, Math.abs(b!)), `${a} vs ${b}`);
  }
  const back = invertSim(ours);
  const [x, y] = applySim(back, ...applySim(ours, 123.4, 56.7));
  assert.ok(Math.abs(x - 123.4) < 1e-9 && Math.abs(y - 56.7) < 1e-9);
  // An exact similarity is recovered from its own points.
  const m = fitSimilarity(lm, lm.map((p) => applySim(ours, p[0], p[1])));
  assert.ok(Math.abs(m.a - ours.a) < 1e-9 && Math.abs(m.ty - ours.ty) < 1e-6);
});

test('photo → canvas → photo maps are exact inverses for both pixel conventions', () => {
  const lm = placedFace(512, 1.6, -30, 700, 500);
  for (const al of [lapaAlignment(lm, 512), celebAlignment(lm, 512)]) {
    for (const [u, v] of [[10, 20], [255.5, 256], [100, 400], [500, 3]]) {
      const [x, y] = canvasToPhoto(al, u!, v!);
      const [u2, v2] = photoToCanvas(al, x, y);
      assert.ok(Math.abs(u2 - u!) < 1e-6 && Math.abs(v2 - v!) < 1e-6, `half=${al.half}: (${u},${v}) → (${u2},${v2})`);
    }
  }
});

test('the CelebA crop is the CelebA-HQ square widened by the margin, eyes level', () => {
  const lm: Landmarks5 = [[400, 300], [500, 300], [450, 360], [415, 410], [485, 410]];
  const { c, x } = celebQuad(lm);
  assert.ok(Math.abs(c[0] - 450) < 1e-9 && Math.abs(c[1] - (300 + 110 * 0.1)) < 1e-9);
  assert.ok(Math.abs(x[0] - 200) < 1e-9 && Math.abs(x[1]) < 1e-9); // max(2·100, 1.8·110)
  const al = celebAlignment(lm, 512, 1);
  const [u0, v0] = photoToCanvas(al, 250, 111);
  assert.ok(Math.abs(u0 + 0.5) < 1e-9 && Math.abs(v0 + 0.5) < 1e-9); // quad corner → canvas corner (pixel edge)
});

/** Weighted centroid of `w` within radius r of (x, y) on a W-wide map, background removed. */
function centroid(w: Float32Array, W: number, x: number, y: number, r: number): [number, number] {
  let lo = Infinity;
  for (let j = Math.floor(y - r); j <= y + r; j++) for (let i = Math.floor(x - r); i <= x + r; i++) lo = Math.min(lo, w[j * W + i]!);
  let sx = 0, sy = 0, s = 0;
  for (let j = Math.floor(y - r); j <= y + r; j++) {
    for (let i = Math.floor(x - r); i <= x + r; i++) {
      const v = w[j * W + i]! - lo;
      sx += v * (i + 0.5); sy += v * (j + 0.5); s += v;
    }
  }
  return [sx / s, sy / s];
}

test('align → paste-back round trip of a dot pattern lands within 0.25 px (ORT GridSample both ways)', async () => {
  const W = 640, H = 520, R = 256;
  const dots: [number, number][] = [];
  for (let k = 0; k < 9; k++) dots.push([250 + (k % 3) * 37.3 + 0.21 * k, 200 + Math.floor(k / 3) * 41.7 - 0.13 * k]);
  const photo = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let v = 0;
      for (const [dx, dy] of dots) v += Math.exp(-((x + 0.5 - dx) ** 2 + (y + 0.5 - dy) ** 2) / (2 * 3.5 ** 2));
      photo[(y * W + x) * 3] = Math.round(255 * Math.min(1, v));
    }
  }
  const paster = new FacePaster(nodeRuntime({ threads: 1 }), R);
  try {
    const lm = placedFace(R, 0.9, 17, 290, 240);
    for (const al of [lapaAlignment(lm, R), celebAlignment(lm, R)] as Alignment[]) {
      const crops = await paster.crops({ data: photo, width: W, height: H }, [al]); // [1,3,R,R]
      // Two "classes": background = a constant, class 1 = the red channel, so 1 − p(bg) rises with it.
      const logits = new Float32Array(2 * R * R).fill(3);
      for (let p = 0; p < R * R; p++) logits[R * R + p] = crops[p]!;
      const { foreground, owner } = await paster.composite(W, H, [al], logits, 2, R, { foreground: true });
      assert.equal(owner[240 * W + 290], 1);
      for (const [dx, dy] of dots) {
        const [cx, cy] = centroid(foreground, W, dx, dy, 7);
        const err = Math.hypot(cx - dx, cy - dy);
        assert.ok(err <= 0.25, `${al.warp ? 'LaPa (tanh, half 0)' : 'CelebA (half 0.5)'}: dot (${dx.toFixed(2)}, ${dy.toFixed(2)}) came back at (${cx.toFixed(2)}, ${cy.toFixed(2)}), ${err.toFixed(3)} px off`);
      }
    }
  } finally {
    await paster.dispose();
  }
});
