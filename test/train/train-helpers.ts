// Shared set-up for the training tests: one tiny synthetic CelebAMask-HQ-layout set per process.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSynthCelebA } from '../../src/data/synth/write.js';
import type { TrainConfig } from '../../src/train/config.js';

let cached: Promise<string> | undefined;

/** 10 images at 64 px: 8 train, 1 val, 1 test. */
export function tinySynthSet(): Promise<string> {
  cached ??= (async () => {
    const root = join(mkdtempSync(join(tmpdir(), 'segface-train-')), 'synth');
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
