import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { openSplit } from '../../src/data/datasets.js';
import { helenCropBox, helenFivePoints, indexHelen } from '../../src/data/helen.js';
import { indexLapa, lapaFivePoints } from '../../src/data/lapa.js';
import { loadSample } from '../../src/data/load-sample.js';
import { lapaLandmarkText, tempDir, writeGrayPng, writeRgbJpg, writeText } from './helpers.js';

test('LaPa: sorted samples, labels straight from the PNG, five points scaled to R', async () => {
  const root = tempDir();
  try {
    for (const name of ['b', 'a']) {
      await writeRgbJpg(join(root, 'test', 'images', `${name}.jpg`), 20, 10);
      const lbl = new Uint8Array(200);
      for (let i = 0; i < 200; i++) lbl[i] = (i % 20) < 10 ? 1 : 10; // left half skin, right half hair
      await writeGrayPng(join(root, 'test', 'labels', `${name}.png`), lbl, 20, 10);
      writeText(join(root, 'test', 'landmarks', `${name}.txt`), lapaLandmarkText(4, 2));
    }
    const idx = await openSplit('lapa', 'test', root);
    assert.deepEqual(idx.samples.map((s) => s.name), ['test.a', 'test.b']);
    const s = await loadSample(idx.samples[0]!, { resolution: 40 });
    assert.equal(s.dataset, 1);
    // nearest resize 20×10 → 40×40: column x maps to source floor((x+0.5)/2)
    assert.equal(s.label[5 * 40 + 19], 1);
    assert.equal(s.label[5 * 40 + 20], 10);
    // point 54 is (4 + 54%5, 2 + 54%7) = (8, 7), scaled by (40/20, 40/10)
    assert.deepEqual([s.lnm[4], s.lnm[5]], [16, 28]);
    const five = lapaFivePoints(Array.from({ length: 212 }, (_, i) => i));
    assert.deepEqual([...five.slice(0, 2)], [(148 + 208) / 2, (149 + 209) / 2]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('LaPa: missing label, bad landmark file, wrong label size, missing split are errors naming the file', async () => {
  const root = tempDir();
  try {
    await assert.rejects(indexLapa(root, 'train'), (e: Error) => e instanceof UserError && e.message.includes(join('train', 'images')));
    await writeRgbJpg(join(root, 'train', 'images', 'x.jpg'), 20, 10);
    await writeGrayPng(join(root, 'train', 'labels', 'y.png'), new Uint8Array(200), 20, 10);
    writeText(join(root, 'train', 'landmarks', 'x.txt'), lapaLandmarkText(1, 1));
    await assert.rejects(indexLapa(root, 'train'), (e: Error) => e instanceof UserError && e.message.includes(join('labels', 'x.png')));
    await writeGrayPng(join(root, 'train', 'labels', 'x.png'), new Uint8Array(100), 10, 10);
    writeText(join(root, 'train', 'landmarks', 'x.txt'), '106\n1 2 3\n');
    await assert.rejects(indexLapa(root, 'train'), (e: Error) => e instanceof UserError && e.message.includes(join('landmarks', 'x.txt')));
    writeText(join(root, 'train', 'landmarks', 'x.txt'), lapaLandmarkText(1, 1));
    const idx = await indexLapa(root, 'train');
    await assert.rejects(loadSample(idx.samples[0]!, { resolution: 16 }), (e: Error) => e instanceof UserError && e.message.includes(join('labels', 'x.png')) && /10×10/.test(e.message));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('LaPa training augmentation: seeded, and the landmarks move with the pixels', async () => {
  const root = tempDir();
  try {
    const W = 64;
    await writeRgbJpg(join(root, 'train', 'images', 'p.jpg'), W, W);
    // one bright 2×2 label blob at (40..41, 20..21); every landmark sits at its centre (41, 21)
    const lbl = new Uint8Array(W * W);
    for (const [x, y] of [[40, 20], [41, 20], [40, 21], [41, 21]] as const) lbl[y * W + x] = 5;
    await writeGrayPng(join(root, 'train', 'labels', 'p.png'), lbl, W, W);
    writeText(join(root, 'train', 'landmarks', 'p.txt'), `106\n${Array(106).fill('41 21').join(' ')}\n`);
    const idx = await indexLapa(root, 'train');
    const a = await loadSample(idx.samples[0]!, { resolution: W, augmentSeed: 7 });
    const b = await loadSample(idx.samples[0]!, { resolution: W, augmentSeed: 7 });
    const c = await loadSample(idx.samples[0]!, { resolution: W, augmentSeed: 8 });
    assert.deepEqual(a.image, b.image);
    assert.deepEqual(a.lnm, b.lnm);
    assert.notDeepEqual(a.lnm, c.lnm);
    let checked = 0;
    for (const s of [a, c]) {
      let sx = 0, sy = 0, n = 0;
      s.label.forEach((v, i) => { if (v === 5) { sx += (i % W) + 0.5; sy += Math.floor(i / W) + 0.5; n++; } });
      if (n === 0) continue; // moved out of the frame
      checked++;
      // the transformed landmark lies within a pixel or two of the blob's centroid
      assert.ok(Math.abs(sx / n - s.lnm[4]!) < 2.5 && Math.abs(sy / n - s.lnm[5]!) < 2.5, `${sx / n},${sy / n} vs ${s.lnm[4]},${s.lnm[5]}`);
    }
    assert.ok(checked >= 1, 'the blob stayed in view at least once');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('Helen: names from the split folder, landmarks halved, the 1.2× box crop, val reads test', async () => {
  const root = tempDir();
  try {
    await writeRgbJpg(join(root, 'test', 'f1_image.jpg'), 100, 80);
    const lbl = new Uint8Array(100 * 80);
    lbl[40 * 100 + 50] = 6; // one nose pixel at (50, 40)
    await writeGrayPng(join(root, 'test', 'f1_label.png'), lbl, 100, 80);
    writeText(join(root, 'test', 'f1_viz.jpg'), 'ignored');
    // 68 points spanning x 60..140, y 40..100 in the file (halved: 30..70, 20..50)
    const pts: number[] = [];
    for (let i = 0; i < 68; i++) pts.push(i === 0 ? 60 : i === 1 ? 140 : 100, i === 0 ? 40 : i === 1 ? 100 : 70);
    writeText(join(root, 'landmarks.txt'), `${pts.join(' ')} f1\n`);
    const idx = await openSplit('helen', 'val', root);
    assert.deepEqual(idx.samples.map((s) => s.name), ['f1']);
    const half = pts.map((v) => v * 0.5);
    // box: xy (30,20), wh (41,31), centre (50,35), side int(41·1.2)=49 → [26,11)..(75,60)
    assert.deepEqual(helenCropBox(half, 100, 80), [26, 11, 75, 60]);
    const s = await loadSample(idx.samples[0]!, { resolution: 49 });
    assert.equal(s.dataset, 2);
    assert.equal(s.label[(40 - 11) * 49 + (50 - 26)], 6);
    assert.equal(s.label.filter((v) => v === 6).length, 1);
    // nose tip (point 30) = (50, 35) → crop coordinates (24, 24)
    assert.deepEqual([s.lnm[4], s.lnm[5]], [24, 24]);
    assert.equal(helenFivePoints(half)[4], 50);
    // missing landmarks for a listed image
    await writeRgbJpg(join(root, 'test', 'f2_image.jpg'), 10, 10);
    await writeGrayPng(join(root, 'test', 'f2_label.png'), new Uint8Array(100), 10, 10);
    await assert.rejects(indexHelen(root, 'test'), (e: Error) => e instanceof UserError && /landmarks.txt: no landmarks for f2/.test(e.message));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
