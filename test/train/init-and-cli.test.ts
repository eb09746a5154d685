import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildSegFace } from '../../src/model/build.js';
import { randomStateDict } from '../../src/model/load.js';
import { mergeInitWeights } from '../../src/train/init-weights.js';
import { toConfig } from '../../src/cli/train.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('--init onto a different class set keeps backbone and decoder, re-initialises tokens and hypernetwork', () => {
  const celeb = randomStateDict(buildSegFace({ model: 'mobilenet', head: 'celeb', resolution: 64 }), 1);
  const lapaFresh = randomStateDict(buildSegFace({ model: 'mobilenet', head: 'lapa', resolution: 64 }), 2);
  const m = mergeInitWeights(lapaFresh, celeb);
  assert.deepEqual([...m.stateDict.keys()], [...lapaFresh.keys()]);
  for (const [k, t] of m.stateDict) {
    const fresh = /_token\.weight$/.test(k) || k.startsWith('face_decoder.output_hypernetwork_mlps.');
    assert.equal(t, fresh ? lapaFresh.get(k) : celeb.get(k), k);
  }
  assert.equal(m.reinitialised.length, 11 + 6);
  // Same class set: everything is kept.
  const same = mergeInitWeights(randomStateDict(buildSegFace({ model: 'mobilenet', head: 'celeb', resolution: 64 }), 3), celeb);
  assert.equal(same.reinitialised.length, 0);
});

test('train flags: official defaults and meanings', () => {
  const c = toConfig({
    ckpt_path: 'ckpts', expt_name: 'e', dataset: 'celebamask_hq', backbone: 'segface_celeb', model: 'swin_base', lr: 1e-4,
    lr_schedule: '80,200', input_resolution: 512, train_bs: 4, val_bs: 1, test_bs: 1, num_workers: 4, epochs: 300,
    device: 'cpu', loss: 'ce_dice', consensus_alpha: 10, consensus_beta: 5, consensus_reduce_pixel: 'idx',
    consensus_reduce_pixel_kl: 'idx', consensus_blobs: 'class', val_interval: 20, seed: 32, max_iters: 0,
    max_val_images: 0, threads: 0, weight_decay: 1e-5, progress: false,
  });
  assert.deepEqual(c.milestones, [80, 200]);
  assert.equal(c.gamma, 0.1);
  assert.throws(() => toConfig({ lr_schedule: '80;200' } as Parameters<typeof toConfig>[0]), /lr_schedule/);
  const help = spawnSync(process.execPath, [cli, 'train', '--help'], { encoding: 'utf8' });
  for (const flag of ['--ckpt_path', '--expt_name', '--dataset', '--backbone', '--model', '--lr ', '--lr_schedule', '--input_resolution',
    '--train_bs', '--val_bs', '--test_bs', '--num_workers', '--epochs', '--resume', '--loss', '--consensus_alpha', '--init', '--seed']) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  assert.match(help.stdout, /default: "80,200"/);
});

test('segface train without libtorch explains how to install it', () => {
  const r = spawnSync(process.execPath, [cli, 'train', '--dataset', 'synthetic', '--data_path', '/nonexistent'], {
    encoding: 'utf8', env: { ...process.env, SEGFACE_TORCH_ADDON: '/nonexistent/segface_torch.node' },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /libtorch training engine is not built.*apt-get install libtorch-dev/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
