import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { celebLabel } from '../../src/data/celebamask-hq.js';
import { openSplit } from '../../src/data/datasets.js';
import { ACCESSORY_RATES, L, drawFace } from '../../src/data/synth/face.js';
import { CELEB_TO_LAPA, imageSeed, synthSplits, writeSynthCelebA, writeSynthHelen, writeSynthLapa } from '../../src/data/synth/write.js';
import { helenCropBox } from '../../src/data/helen.js';
import { loadSample } from '../../src/data/load-sample.js';
import { tempDir } from './helpers.js';

test('synthetic masks merge back to exactly the drawn label map', () => {
  for (let i = 0; i < 20; i++) {
    const f = drawFace(64, imageSeed(3, i));
    const merged = new Uint8Array(64 * 64);
    for (const [k, m] of [...f.masks].sort((a, b) => a[0] - b[0])) m.forEach((v, j) => { if (v > 0) merged[j] = k; });
    assert.deepEqual(merged, f.label, `image ${i}`);
  }
});

test('the long tail is real: accessories are rare and small, the face parts are common', () => {
  const n = 300, S = 64;
  const images = new Float64Array(19), pixels = new Float64Array(19);
  for (let i = 0; i < n; i++) {
    const f = drawFace(S, imageSeed(11, i));
    const seen = new Uint8Array(19);
    for (const v of f.label) { pixels[v]! += 1; seen[v] = 1; }
    seen.forEach((s, k) => { if (s) images[k]! += 1; });
  }
  const share = (k: number) => images[k]! / n;
  const px = (k: number) => pixels[k]! / (n * S * S);
  for (const k of [L.skin, L.nose, L.u_lip, L.l_lip, L.l_brow, L.r_brow]) assert.ok(share(k) > 0.9, `class ${k} in ${share(k)}`);
  for (const [name, rate] of Object.entries(ACCESSORY_RATES)) {
    const k = L[name as keyof typeof L];
    assert.ok(share(k) > 0 && share(k) < 0.25, `${name} appears in ${share(k)} of images (rate ${rate})`);
    assert.ok(px(k) < 0.01, `${name} covers ${px(k)} of all pixels`);
  }
  // every one of the 19 classes shows up somewhere
  assert.ok(images.every((c) => c > 0), `${[...images]}`);
  // the head classes dominate the pixels
  assert.ok(px(L.background) + px(L.skin) + px(L.hair) + px(L.cloth) > 0.8);
});

test('a written set loads through the CelebAMask-HQ reader with its exact labels', async () => {
  const root = join(tempDir(), 'synth');
  try {
    const s = await writeSynthCelebA({ out: root, n: 10, resolution: 64, seed: 5 });
    assert.deepEqual(s.counts, { train: 8, val: 1, test: 1 });
    const groups = synthSplits(10, 5);
    const train = await openSplit('celebamask_hq', 'train', root);
    assert.deepEqual(train.samples.map((x) => Number(x.name)), [...groups.keys()].filter((i) => groups[i] === 0));
    for (const spec of train.samples.slice(0, 4)) {
      if (spec.kind !== 'celebamask_hq') throw new Error('wrong kind');
      const { data, width } = await celebLabel(spec);
      assert.equal(width, 64);
      assert.deepEqual(data, drawFace(64, imageSeed(5, Number(spec.name))).label);
    }
    // no temporary folder left behind, and a second run refuses to overwrite
    assert.deepEqual(readdirSync(join(root, '..')), ['synth']);
    await assert.rejects(writeSynthCelebA({ out: root, n: 2, resolution: 64, seed: 5 }), (e: Error) => e instanceof UserError && /not empty/.test(e.message));
  } finally {
    rmSync(join(root, '..'), { recursive: true, force: true });
  }
});

test('the five warp points sit on the drawn eyes (image-left first)', () => {
  let onEyes = 0, total = 0;
  for (let i = 0; i < 60; i++) {
    const f = drawFace(128, imageSeed(21, i));
    const at = (x: number, y: number) => f.label[Math.floor(y) * 128 + Math.floor(x)];
    const p = f.points5;
    assert.ok(p[0]! < p[2]!, 'image-left eye first');
    assert.ok(p[6]! < p[8]!, 'image-left mouth corner first');
    const [a, b] = [at(p[0]!, p[1]!), at(p[2]!, p[3]!)];
    if (a === L.eye_g || b === L.eye_g) continue; // lenses cover the eyes
    total += 2;
    if (a === L.r_eye) onEyes++;
    if (b === L.l_eye) onEyes++;
  }
  assert.ok(onEyes / total > 0.8, `${onEyes}/${total}`);
});

test('the LaPa layout: 11-class labels and landmark files the LaPa reader turns back into the drawn points', async () => {
  const root = join(tempDir(), 'lapa');
  try {
    const s = await writeSynthLapa({ out: root, n: 6, resolution: 64, seed: 8 });
    assert.equal(s.counts.train + s.counts.val + s.counts.test, 6);
    const idx = await openSplit('lapa', 'train', root);
    assert.equal(idx.samples.length, s.counts.train);
    const spec = idx.samples[0]!;
    const id = Number(spec.name.split('.')[1]);
    const face = drawFace(64, imageSeed(8, id));
    const sample = await loadSample(spec, { resolution: 64 });
    assert.deepEqual(sample.label, face.label.map((v) => CELEB_TO_LAPA[v]!));
    sample.lnm.forEach((v, k) => assert.ok(Math.abs(v - face.points5[k]!) < 1e-3, `point ${k}: ${v} vs ${face.points5[k]}`));
  } finally {
    rmSync(join(root, '..'), { recursive: true, force: true });
  }
});

test('the Helen layout: 68 landmarks the reader halves, crops around and turns into the five points', async () => {
  const root = join(tempDir(), 'helen');
  try {
    const s = await writeSynthHelen({ out: root, n: 6, resolution: 64, seed: 9 });
    assert.equal(s.counts.val, 0);
    const idx = await openSplit('helen', 'train', root);
    assert.equal(idx.samples.length, s.counts.train);
    const spec = idx.samples[0]!;
    const face = drawFace(64, imageSeed(9, Number(spec.name.slice('synth_'.length))));
    const [x1, y1, x2, y2] = helenCropBox(face.points68, 64, 64);
    const sample = await loadSample(spec, { resolution: 32 });
    const sx = 32 / (x2 - x1), sy = 32 / (y2 - y1);
    // the five points are the drawn ones, moved into the crop and scaled to R
    for (let p = 0; p < 5; p++) {
      assert.ok(Math.abs(sample.lnm[p * 2]! - (face.points5[p * 2]! - x1) * sx) < 1e-3, `x${p}`);
      assert.ok(Math.abs(sample.lnm[p * 2 + 1]! - (face.points5[p * 2 + 1]! - y1) * sy) < 1e-3, `y${p}`);
    }
  } finally {
    rmSync(join(root, '..'), { recursive: true, force: true });
  }
});
