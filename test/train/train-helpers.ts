// Shared set-up for the training tests: one tiny synthetic CelebAMask-HQ-layout set per process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSynthCelebA } from '../../src/data/synth/write.js';
import type { TrainConfig } from '../../src/train/config.js';

let cached: Promise<string> | undefined;
const temps: string[] = [];
// Checkpoints are ~85 MB each: remove every temp folder when the test process ends.
process.on('exit', () => { for (const d of temps) rmSync(d, { recursive: true, force: true }); });

/** A fresh temp folder, removed when the process exits. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** 10 images at 64 px: 8 train, 1 val, 1 test. */
export function tinySynthSet(): Promise<string> {
  cached ??= (async () => {
    const root = join(tempDir('segface-train-'), 'synth');
    await writeSynthCelebA({ out: root, n: 10, resolution: 64, seed: 3 });
    return root;
  })();
  return cached;
}

export function tinyConfig(dataPath: string, logPath: string, over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ckptPath: 'ckpts', exptName: 'tiny', dataset: 'synthetic', backbone: 'segface_celeb', model: 'mobilenet',
    lr: 1e-3, milestones: [80, 200], gamma: 0.1, weightDecay: 1e-5, resolution: 64, trainBs: 2, valBs: 1, testBs: 1,
    numWorkers: 0, epochs: 2, dataPath, logPath, device: 'cpu', resume: false, loss: 'ce_dice',
    consensus: { alpha: 10, beta: 5, reducePixel: 'idx', reducePixelKl: 'idx' }, consensusBlobs: 'class',
    valInterval: 100, seed: 32, maxIters: 0, maxValImages: 1, threads: 1, progress: false, ...over,
  };
}
