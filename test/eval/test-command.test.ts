// End to end: a synthetic face set, a SegFace with random weights saved as an official-style
// checkpoint, `segface test` run as a user would, and the printed Mean_F1 recomputed here from the
// saved predictions and the ground truth, by separate code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSplit } from '../../src/data/datasets.js';
import { loadSample } from '../../src/data/load-sample.js';
import { readGray } from '../../src/data/read-gray.js';
import { writeSynthCelebA } from '../../src/data/synth/write.js';
import { predFileName } from '../../src/eval/evaluate.js';
import { writeCheckpointFile } from '../../src/io/files.js';
import { buildSegFace } from '../../src/model/build.js';
import { randomStateDict } from '../../src/model/load.js';

const R = 128;

test('segface test prints a Mean_F1 that the saved predictions reproduce', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'segface-e2e-'));
  try {
    const data = join(tmp, 'data');
    // Seed 0 puts all 19 classes into the 27 test images, so no F1 is 0/0.
    await writeSynthCelebA({ out: data, n: 30, resolution: R, seed: 0, valFrac: 0.05, testFrac: 0.9 });
    const net = buildSegFace({ model: 'mobilenet', head: 'celeb', resolution: R });
    const ckpt = join(tmp, 'model_299.pt');
    writeCheckpointFile(ckpt, new Map([['state_dict_backbone', randomStateDict(net, 1)]]));

    const preds = join(tmp, 'preds');
    const r = spawnSync(process.execPath, [
      'dist/src/cli/main.js', 'test', '--dataset', 'celebamask_hq', '--backbone', 'segface_celeb', '--model', 'mobilenet',
      '--input_resolution', String(R), '--test_bs', '3', '--model_path', ckpt, '--ckpt_path', 'ckpts', '--expt_name', 'e2e',
      '--data_path', data, '--num_workers', '1', '--save_preds', preds,
    ], { encoding: 'utf8', env: { ...process.env, LOG_PATH: join(tmp, 'logs'), SEGFACE_CACHE: join(tmp, 'cache') } });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.split('\n');
    for (const l of ['Data Loaded', 'Model Loaded', 'Validation Done']) assert.ok(out.includes(l), l);
    const printed = out.find((l) => l.startsWith('Mean_F1 : '));
    assert.ok(printed, r.stdout);
    const meanF1 = Number(printed.slice('Mean_F1 : '.length));
    assert.ok(Number.isFinite(meanF1), printed);
    assert.match(out.find((l) => l.startsWith('Mean_F1: '))!, /^Mean_F1: \d\.\d{6} $/);

    // Recompute: ground truth through the reader at R, predictions from the PNGs.
    const index = await openSplit('celebamask_hq', 'test', data);
    const used = index.samples.slice(0, Math.floor(index.samples.length / 3) * 3); // drop_last
    assert.ok(used.length >= 6);
    const C = 19, gtN = new Float64Array(C), prN = new Float64Array(C), both = new Float64Array(C);
    for (const spec of used) {
      const gt = (await loadSample(spec, { resolution: R })).label;
      const { data: pred, width } = await readGray(join(preds, predFileName(spec.name)));
      assert.equal(width, R);
      for (let i = 0; i < R * R; i++) {
        gtN[gt[i]!]! += 1;
        prN[pred[i]!]! += 1;
        if (gt[i] === pred[i]) both[gt[i]!]! += 1;
      }
    }
    assert.ok(gtN.every((c) => c > 0), 'every class occurs in the ground truth');
    let sum = 0;
    for (let k = 1; k < C; k++) sum += (2 * both[k]!) / (gtN[k]! + prN[k]!);
    const expected = sum / (C - 1);
    assert.ok(Math.abs(meanF1 - expected) < 1e-12, `printed ${meanF1}, recomputed ${expected}`);

    // The log file holds exactly the printed lines, and the JSON the same number.
    const logDir = join(tmp, 'logs', 'ckpts', 'e2e');
    assert.equal(readFileSync(join(logDir, 'test.log'), 'utf8'), r.stdout);
    const json = JSON.parse(readFileSync(join(logDir, 'test.json'), 'utf8'));
    assert.equal(json.mean_f1, meanF1);
    assert.equal(json.samples, used.length);
    assert.equal(json.long_tail.length, C);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
