import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkDataset, formatCheckReport } from '../../src/data/check.js';
import { datasetRoot, envVar, parseDotenv } from '../../src/data/root.js';
import { writeSynthCelebA } from '../../src/data/synth/write.js';
import { UserError } from '../../src/errors.js';
import { tempDir } from './helpers.js';

test('.env parsing and the dataset folder lookup', () => {
  assert.deepEqual(parseDotenv('# c\nDATA_PATH=../data\nexport LOG_PATH="/x y"\nROOT_PATH=\'r\' \nBAD LINE\nA=b # note\n'),
    { DATA_PATH: '../data', LOG_PATH: '/x y', ROOT_PATH: 'r', A: 'b' });
  const dir = tempDir();
  const saved = process.env.SEGFACE_TEST_VAR;
  try {
    writeFileSync(join(dir, '.env'), 'SEGFACE_TEST_VAR=from-file\n');
    delete process.env.SEGFACE_TEST_VAR;
    assert.equal(envVar('SEGFACE_TEST_VAR', dir), 'from-file');
    process.env.SEGFACE_TEST_VAR = 'from-env';
    assert.equal(envVar('SEGFACE_TEST_VAR', dir), 'from-env');
    // DATA_PATH itself or the dataset folder directly
    writeFileSync(join(dir, 'x'), '');
    assert.equal(datasetRoot('lapa', dir), dir);
    rmSync(join(dir, 'x'));
    assert.throws(() => datasetRoot('lapa', join(dir, 'nope')), (e: Error) => e instanceof UserError && /data folder does not exist/.test(e.message));
  } finally {
    if (saved === undefined) delete process.env.SEGFACE_TEST_VAR; else process.env.SEGFACE_TEST_VAR = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('data check counts splits and class frequencies, and lists broken files', async () => {
  const base = tempDir();
  const root = join(base, 'CelebAMask-HQ');
  try {
    await writeSynthCelebA({ out: root, n: 8, resolution: 64, seed: 1 });
    const ok = await checkDataset('celebamask_hq', { dataPath: base, resolution: 64, numWorkers: 0 });
    assert.deepEqual(ok.splits.map((s) => [s.split, s.samples]), [['train', 6], ['val', 1], ['test', 1]]);
    assert.equal(ok.checked, 8);
    assert.deepEqual(ok.errors, []);
    let total = 0;
    for (const v of ok.pixels) total += v;
    assert.equal(total, 8 * 64 * 64);
    assert.equal(ok.images[2], 8); // skin everywhere
    const text = formatCheckReport(ok).join('\n');
    assert.match(text, /train\s+6 samples/);
    assert.match(text, /skin\s+\d+\.\d{3}\s+100\.0/);

    writeFileSync(join(root, 'CelebA-HQ-img', '3.jpg'), 'garbage');
    const bad = await checkDataset('celebamask_hq', { dataPath: base, resolution: 64, numWorkers: 0 });
    assert.equal(bad.checked, 7);
    assert.equal(bad.errors.length, 1);
    assert.ok(bad.errors[0]!.includes(join('CelebA-HQ-img', '3.jpg')), bad.errors[0]);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
