// The real torch.save checkpoint in the shared fixtures loads with the right structure and values.
// Reference sums were computed once with PyTorch 1.13 (torch.load, float64 sums).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readCheckpoint, stateDictFromCheckpoint } from '../../src/io/checkpoint.js';
import { readFileBytes, readStateDictFile } from '../../src/io/files.js';
import { Counter, OrderedDict, isTuple } from '../../src/io/py-values.js';
import type { HostTensor } from '../../src/io/host-tensor.js';

const FIX = '../shared/fixtures';
const MODEL = `${FIX}/mobilenet_seed0_512/model.pt`;

const sum = (t: HostTensor): number => {
  let s = 0;
  for (const x of t.data as Float32Array) s += x;
  return s;
};

const bytes = readFileBytes(MODEL);
const ckValue = readCheckpoint(bytes, 'model.pt');
const ck = ckValue as Map<string, unknown>;

test('fixture checkpoint: top-level keys as recorded in meta.json', () => {
  const meta = JSON.parse(readFileSync(`${FIX}/mobilenet_seed0_512/meta.json`, 'utf8'));
  assert.ok(ck instanceof Map);
  assert.deepEqual([...ck.keys()], meta.checkpoint.keys);
  assert.equal(ck.get('epoch'), 299);
  assert.equal(ck.get('iteration'), 226500);
  assert.equal(meta.checkpoint.epoch, 299);
  const sdRaw = ck.get('state_dict_backbone');
  assert.ok(sdRaw instanceof OrderedDict);
  assert.equal(sdRaw.size, meta.checkpoint.state_dict_entries);
  assert.equal(sdRaw.size, 431);
  // torch pickles the state dict's _metadata (per-module versions) as OrderedDict instance state.
  assert.ok(sdRaw.attributes?.get('_metadata') instanceof OrderedDict);
});

test('fixture checkpoint: state dict keys, order, shapes and dtypes match the architecture description', () => {
  const sd = stateDictFromCheckpoint(ckValue, 'model.pt');
  const entries = JSON.parse(readFileSync(`${FIX}/mobilenet_hash_256/weights.json`, 'utf8')).entries as {
    key: string;
    shape: number[];
    dtype: string;
  }[];
  assert.deepEqual([...sd.keys()], entries.map((e) => e.key));
  for (const e of entries) {
    const t = sd.get(e.key)!;
    assert.deepEqual(t.shape, e.shape, e.key);
    assert.equal(t.dtype, e.dtype, e.key);
  }
  assert.equal([...sd.keys()][0], 'backbone.0.0.weight');
  assert.equal([...sd.keys()].at(-1), 'linear_fuse.weight');
});

test('fixture checkpoint: tensor values match PyTorch', () => {
  const sd = readStateDictFile(MODEL);
  const w = sd.get('backbone.0.0.weight')!;
  assert.deepEqual(w.shape, [16, 3, 3, 3]);
  assert.deepEqual([...(w.data as Float32Array).subarray(0, 3)], [0.2547628581523895, 0.10623525083065033, 0.018072884529829025]);
  assert.equal(w.data[w.data.length - 1], 0.1472414880990982);
  assert.ok(Math.abs(sum(w) - -2.690941188528086) < 1e-9);
  const fuse = sd.get('linear_fuse.weight')!;
  assert.deepEqual(fuse.shape, [256, 1024, 1, 1]);
  assert.ok(Math.abs(sum(fuse) - 19.58049902319908) < 1e-7);
  assert.equal(fuse.data[fuse.data.length - 1], 0.01682107150554657);
  assert.ok(Math.abs(sum(sd.get('face_decoder.lefteye_token.weight')!) - -16.75846363743767) < 1e-9);
  assert.equal(sum(sd.get('backbone.0.1.running_var')!), 16);
  const nbt = sd.get('backbone.0.1.num_batches_tracked')!;
  assert.equal(nbt.dtype, 'int64');
  assert.deepEqual(nbt.shape, []);
  assert.deepEqual([...(nbt.data as BigInt64Array)], [0n]);
  assert.equal([...sd.values()].filter((t) => t.dtype === 'int64').length, 46);
});

test('fixture checkpoint: float32 tensors are views onto the file bytes (no copy)', () => {
  const sd = stateDictFromCheckpoint(ckValue);
  for (const t of sd.values()) assert.equal(t.data.buffer, bytes.buffer);
});

test('fixture checkpoint: scheduler and optimizer', () => {
  const sched = ck.get('scheduler') as Map<string, unknown>;
  const ms = sched.get('milestones');
  assert.ok(ms instanceof Counter);
  assert.deepEqual([...ms], [
    [80, 1],
    [200, 1],
  ]);
  assert.equal(sched.get('gamma'), 0.1);
  assert.equal(sched.get('last_epoch'), 300);
  assert.deepEqual(sched.get('base_lrs'), [0.0001]);
  const opt = ck.get('optimizer') as Map<string, unknown>;
  assert.equal((opt.get('state') as Map<unknown, unknown>).size, 0);
  const groups = opt.get('param_groups') as Map<string, unknown>[];
  assert.equal(groups.length, 1);
  const g = groups[0]!;
  assert.equal(g.get('initial_lr'), 0.0001);
  assert.ok(Math.abs((g.get('lr') as number) - 1e-6) < 1e-18);
  assert.equal(g.get('weight_decay'), 1e-5);
  assert.equal(g.get('eps'), 1e-8);
  assert.equal(g.get('amsgrad'), false);
  assert.equal(g.get('foreach'), null);
  const betas = g.get('betas');
  assert.ok(isTuple(betas));
  assert.deepEqual([...betas], [0.9, 0.999]);
  const params = g.get('params') as number[];
  assert.equal(params.length, 292);
  assert.deepEqual(params.slice(0, 3), [0, 1, 2]);
  assert.equal(params.at(-1), 291);
});
