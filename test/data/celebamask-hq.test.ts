import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { celebLabel, celebMaskPath, indexCelebAMaskHQ } from '../../src/data/celebamask-hq.js';
import { openSplit } from '../../src/data/datasets.js';
import { loadSample } from '../../src/data/load-sample.js';
import { UserError } from '../../src/errors.js';
import { tempDir, writeGrayPng, writeRgbJpg, writeText } from './helpers.js';

const W = 8;
/** A W×W mask that is 255 inside [x0,x1)×[y0,y1). */
function box(x0: number, y0: number, x1: number, y1: number): Uint8Array {
  const m = new Uint8Array(W * W);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * W + x] = 255;
  return m;
}

async function makeCeleb(root: string, ids: number[], groups: number[]) {
  writeText(join(root, 'CelebA-HQ-to-CelebA-mapping.txt'),
    `idx orig_idx orig_file\n${ids.map((id) => `${id} ${id + 100} ${String(id + 101).padStart(6, '0')}.jpg`).join('\n')}\n`);
  // Partition lines in a different order from the ids, plus a CelebA image that is not in HQ.
  const lines = ids.map((id, i) => `${String(id + 101).padStart(6, '0')}.jpg ${groups[i]}`).reverse();
  lines.splice(1, 0, '999999.jpg 2');
  writeText(join(root, 'list_eval_partition.txt'), `${lines.join('\n')}\n`);
  for (const id of ids) await writeRgbJpg(join(root, 'CelebA-HQ-img', `${id}.jpg`), 16, 16, id);
}

test('mask path follows <id//2000>/<id:05d>_<suffix>.png', () => {
  assert.equal(celebMaskPath(7, 'skin'), '0/00007_skin.png');
  assert.equal(celebMaskPath(4321, 'hair'), '2/04321_hair.png');
});

test('overlapping part masks merge with the official priority (later suffixes overwrite)', async () => {
  const root = tempDir();
  try {
    const dir = join(root, 'CelebAMask-HQ-mask-anno', '0');
    // skin covers everything; nose (10) inside; hair (14) overlaps nose on the top rows;
    // neck (1) overlaps skin but loses; neck_l (18) beats hair; eye_g (15) beats l_eye (8).
    const masks: Array<[string, number, Uint8Array]> = [
      ['skin', 2, box(0, 0, 8, 8)],
      ['neck', 1, box(0, 6, 8, 8)],
      ['nose', 10, box(2, 0, 6, 4)],
      ['hair', 14, box(0, 0, 8, 2)],
      ['neck_l', 18, box(0, 1, 2, 2)],
      ['l_eye', 8, box(6, 3, 8, 5)],
      ['eye_g', 15, box(7, 4, 8, 6)],
    ];
    for (const [suffix, , m] of masks) await writeGrayPng(join(dir, `00003_${suffix}.png`), m, W, W);
    const spec = {
      kind: 'celebamask_hq' as const, name: '3', image: '',
      masks: masks.map(([s, v]) => [v, join(dir, `00003_${s}.png`)] as [number, string]).sort((a, b) => a[0] - b[0]),
    };
    const { data, width } = await celebLabel(spec);
    assert.equal(width, W);
    const at = (x: number, y: number) => data[y * W + x];
    assert.equal(at(4, 4), 2, 'skin only');
    assert.equal(at(4, 7), 2, 'skin beats neck');
    assert.equal(at(3, 3), 10, 'nose beats skin');
    assert.equal(at(3, 0), 14, 'hair beats nose');
    assert.equal(at(0, 1), 18, 'necklace beats hair');
    assert.equal(at(1, 0), 14);
    assert.equal(at(6, 3), 8, 'eye alone');
    assert.equal(at(7, 4), 15, 'eyeglasses beat the eye');
    assert.equal(at(7, 5), 15, 'eyeglasses over skin');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the split comes from the partition file through the mapping, in partition order', async () => {
  const root = tempDir();
  try {
    await makeCeleb(root, [0, 1, 2, 3, 2001], [0, 2, 0, 1, 2]);
    await writeGrayPng(join(root, 'CelebAMask-HQ-mask-anno', '1', '02001_hair.png'), box(0, 0, 4, 4), W, W);
    await writeGrayPng(join(root, 'CelebAMask-HQ-mask-anno', '0', '00000_skin.png'), box(0, 0, 8, 8), W, W);
    const train = await indexCelebAMaskHQ(root, 'train');
    assert.deepEqual(train.samples.map((s) => s.name), ['2', '0']); // partition file is reversed
    const test2 = await indexCelebAMaskHQ(root, 'test');
    assert.deepEqual(test2.samples.map((s) => s.name), ['2001', '1']);
    const s2001 = test2.samples[0]!;
    assert.equal(s2001.kind, 'celebamask_hq');
    if (s2001.kind === 'celebamask_hq') assert.deepEqual(s2001.masks.map(([v]) => v), [14]);
    // A sample with no mask at all is all background at the official 512² canvas.
    const s1 = await loadSample(test2.samples[1]!, { resolution: 32 });
    assert.equal(s1.label.length, 32 * 32);
    assert.ok(s1.label.every((v) => v === 0));
    assert.equal(s1.image.length, 3 * 32 * 32);
    assert.equal(s1.dataset, 0);
    // The hair mask's top-left quarter, nearest-resized.
    const s0 = await loadSample(s2001, { resolution: 16 });
    assert.equal(s0.label[0], 14);
    assert.equal(s0.label[15 * 16 + 15], 0);
    // A split with no entries is an error naming the folder.
    await makeCeleb(root, [0, 1, 2, 3, 2001], [0, 0, 0, 0, 2]);
    await assert.rejects(openSplit('celebamask_hq', 'val', root), (e: Error) => e instanceof UserError && /val split of celebamask_hq is empty/.test(e.message));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('reader errors name the file', async () => {
  const root = tempDir();
  try {
    await makeCeleb(root, [0, 1, 2], [0, 1, 2]);
    // no mask folder at all
    await assert.rejects(indexCelebAMaskHQ(root, 'train'), (e: Error) => e instanceof UserError && e.message.includes('CelebAMask-HQ-mask-anno') && /missing mask folder/.test(e.message));
    await writeGrayPng(join(root, 'CelebAMask-HQ-mask-anno', '0', '00000_skin.png'), box(0, 0, 8, 8), W, W);
    // a listed image that is missing
    rmSync(join(root, 'CelebA-HQ-img', '1.jpg'));
    await assert.rejects(indexCelebAMaskHQ(root, 'val'), (e: Error) => e instanceof UserError && e.message.includes(join('CelebA-HQ-img', '1.jpg')));
    // an unreadable image
    writeText(join(root, 'CelebA-HQ-img', '0.jpg'), 'not a jpeg at all');
    const idx = await indexCelebAMaskHQ(root, 'train');
    await assert.rejects(loadSample(idx.samples[0]!, { resolution: 32 }), (e: Error) => e instanceof UserError && e.message.includes(join('CelebA-HQ-img', '0.jpg')));
    // masks of one sample with different sizes
    await writeRgbJpg(join(root, 'CelebA-HQ-img', '0.jpg'), 16, 16);
    await writeGrayPng(join(root, 'CelebAMask-HQ-mask-anno', '0', '00000_hair.png'), new Uint8Array(16 * 16), 16, 16);
    const idx2 = await indexCelebAMaskHQ(root, 'train');
    await assert.rejects(loadSample(idx2.samples[0]!, { resolution: 32 }), (e: Error) => e instanceof UserError && e.message.includes('00000_hair.png') && /16×16/.test(e.message));
    // a missing partition file
    rmSync(join(root, 'list_eval_partition.txt'));
    await assert.rejects(indexCelebAMaskHQ(root, 'train'), (e: Error) => e instanceof UserError && e.message.includes('list_eval_partition.txt'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
