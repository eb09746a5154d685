import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pickleLoad, TorchTensor } from '../../src/engine/torch/index.js';
import { readCheckpoint } from '../../src/io/checkpoint.js';
import type { HostTensor } from '../../src/io/host-tensor.js';
import { Counter } from '../../src/io/py-values.js';
import { readTrainCheckpoint, writeTrainCheckpoint } from '../../src/train/checkpoint.js';
import { runTraining } from '../../src/train/trainer.js';
import { tempDir, tinyConfig, tinySynthSet } from './train-helpers.js';

test('trains MobileNet SegFace on a tiny synthetic set, checkpoints, resumes, and the files load in TS and libtorch', async () => {
  const data = await tinySynthSet();
  const logs = tempDir('segface-run-');
  // 3 epochs × 4 steps (8 images, batch 2) with CE + Dice + consensus, validating on the last.
  const first = await runTraining(tinyConfig(data, logs, { epochs: 3, loss: 'ce_dice+consensus', consensusBlobs: 'components' }));
  assert.equal(first.records.length, 3);
  const losses = first.records.map((r) => r.loss);
  assert.ok(losses[2]! < losses[0]!, `loss should fall: ${losses.join(', ')}`);
  assert.ok(['ce', 'dice', 'consensus_label', 'consensus_kl'].every((k) => Number.isFinite(first.records[0]!.parts[k])));
  assert.equal(first.iteration, 12);
  assert.ok(first.records[2]!.val !== undefined, 'the last epoch is validated');

  // Resume: continues at epoch 3 with the optimizer and scheduler state, for one more epoch.
  const second = await runTraining(tinyConfig(data, logs, { epochs: 4, resume: true, loss: 'ce_dice+consensus', consensusBlobs: 'components' }));
  assert.deepEqual(second.records.map((r) => r.epoch), [3]);
  assert.equal(second.iteration, 16);

  const path = join(first.dir, 'model_3.pt');
  assert.ok(existsSync(path));
  const lines = readFileSync(join(first.dir, 'train_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.epoch), [0, 1, 2, 3]);

  // Pure-TS reader: the official structure.
  const ck = readCheckpoint(readFileSync(path), path) as Map<string, unknown>;
  assert.deepEqual([...ck.keys()], ['epoch', 'iteration', 'state_dict_backbone', 'optimizer', 'scheduler']);
  assert.equal(ck.get('epoch'), 3);
  assert.equal(ck.get('iteration'), 16);
  const sd = ck.get('state_dict_backbone') as Map<string, HostTensor>;
  assert.equal(sd.size, 431); // the official mobilenet state dict (spec §15)
  assert.ok(sd.has('face_decoder.hair_token.weight') && sd.has('backbone.0.0.weight'));
  const opt = ck.get('optimizer') as Map<string, unknown>;
  const state = opt.get('state') as Map<number, Map<string, HostTensor>>;
  assert.equal(Number(state.get(0)!.get('step')!.data[0]), 16, 'AdamW step count carried across the resume');
  const group = (opt.get('param_groups') as Map<string, unknown>[])[0]!;
  assert.equal(group.get('initial_lr'), 1e-3);
  assert.equal(group.get('weight_decay'), 1e-5);
  const sched = ck.get('scheduler') as Map<string, unknown>;
  assert.ok(sched.get('milestones') instanceof Counter);
  assert.equal(sched.get('last_epoch'), 4);

  // libtorch's own reader (torch::pickle_load) cannot take OrderedDict / Counter (it cannot read
  // PyTorch's own state-dict files either), so it reads the portable variant of the same checkpoint.
  const ts = await readTrainCheckpoint(path);
  const portable = join(first.dir, 'portable.pt');
  writeTrainCheckpoint(portable, {
    epoch: ts.epoch, iteration: ts.iteration, stateDict: ts.stateDict, optimizer: ts.optimizer!,
    scheduler: { milestones: new Map([[80, 1], [200, 1]]), gamma: 0.1, base_lrs: [1e-3], last_epoch: 4, verbose: false, _step_count: 5, _get_lr_called_within_step: false, _last_lr: [1e-3] },
  }, { portable: true });
  assert.throws(() => pickleLoad(readFileSync(path)));
  const lt = pickleLoad(readFileSync(portable)) as Map<string, unknown>;
  assert.deepEqual([...lt.keys()], ['epoch', 'iteration', 'state_dict_backbone', 'optimizer', 'scheduler']);
  assert.equal(Number(lt.get('epoch')), 3);
  const ltSd = lt.get('state_dict_backbone') as Map<string, TorchTensor>;
  assert.deepEqual([...ltSd.keys()], [...sd.keys()]);
  for (const key of ['face_decoder.output_hypernetwork_mlps.layers.2.weight', 'backbone.0.1.running_var', 'linear_fuse.weight']) {
    assert.deepEqual(ltSd.get(key)!.toFloat32Array(), sd.get(key)!.data, key);
  }
  const ltState = (lt.get('optimizer') as Map<string, unknown>).get('state') as Map<number, Map<string, TorchTensor>>;
  assert.deepEqual(ltState.get(0)!.get('exp_avg')!.toFloat32Array(), state.get(0)!.get('exp_avg')!.data);
});
