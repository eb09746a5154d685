// `segface test --dataset lapa --runtime torch`: the LaPa head with its landmark warp on libtorch,
// through the same Segmenter.run(…, per-image landmarks) path as ONNX,
// on a synthetic LaPa-layout set, and the printed per-class F1 recomputed from saved predictions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSplit } from '../../src/data/datasets.js';
import { loadSample } from '../../src/data/load-sample.js';
import { readGray } from '../../src/data/read-gray.js';
import { writeSynthLapa } from '../../src/data/synth/write.js';
import { predFileName } from '../../src/eval/evaluate.js';
import { writeCheckpointFile } from '../../src/io/files.js';
import { buildSegFace } from '../../src/model/build.js';
import { randomStateDict } from '../../src/model/load.js';

const R = 64;

test('segface test on LaPa with the warp: printed F1 per class matches the saved predictions', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'segface-lapa-'));
  try {
    const data = join(tmp, 'LaPa');
    await writeSynthLapa({ out: data, n: 8, resolution: R, seed: 3, valFrac: 0.1, testFrac: 0.4 });
    const ckpt = join(tmp, 'model_299.pt');
    writeCheckpointFile(ckpt, new Map([['state_dict_backbone', randomStateDict(buildSegFace({ model: 'mobilenet', head: 'lapa', resolution: R }), 2)]]));
    const preds = join(tmp, 'preds');
    const r = spawnSync(process.execPath, [
      'dist/src/cli/main.js', 'test', '--dataset', 'lapa', '--model', 'mobilenet', '--input_resolution', String(R),
      '--test_bs', '1', '--model_path', ckpt, '--data_path', tmp, '--num_workers', '0', '--runtime', 'torch', '--save_preds', preds,
    ], { encoding: 'utf8', env: { ...process.env, LOG_PATH: join(tmp, 'logs') } });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /cannot apply the LaPa landmark warp/);
    const printed = new Map(r.stdout.split('\n').filter((l) => / : /.test(l)).map((l) => l.split(' : ') as [string, string]));

    const index = await openSplit('lapa', 'test', tmp);
    const C = 11, gtN = new Float64Array(C), prN = new Float64Array(C), both = new Float64Array(C);
    for (const spec of index.samples) {
      const gt = (await loadSample(spec, { resolution: R })).label;
      const pred = (await readGray(join(preds, predFileName(spec.name)))).data;
      for (let i = 0; i < R * R; i++) { gtN[gt[i]!]! += 1; prN[pred[i]!]! += 1; if (gt[i] === pred[i]) both[gt[i]!]! += 1; }
    }
    // The F1 lines come after the IoU lines; take the last value printed for each name.
    const lines = r.stdout.split('\n');
    const f1Start = lines.findIndex((l) => l.startsWith('Mean_F1: '));
    const f1 = new Map(lines.slice(f1Start + 1).filter((l) => l.includes(' : ')).map((l) => l.split(' : ') as [string, string]));
    index.classNames.forEach((name, k) => {
      const expected = (2 * both[k]!) / (gtN[k]! + prN[k]!);
      const got = Number(f1.get(name) === 'nan' ? NaN : f1.get(name));
      if (Number.isNaN(expected)) assert.ok(Number.isNaN(got), name);
      else assert.ok(Math.abs(got - expected) < 1e-12, `${name}: printed ${got}, recomputed ${expected}`);
    });
    assert.ok(printed.has('Mean IU'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
