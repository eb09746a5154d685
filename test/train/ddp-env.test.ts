// The pure parts of distributed training: torchrun's environment and DistributedSampler's split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shardOrder, shardSize } from '../../src/data/loader.js';
import { readDistEnv } from '../../src/train/distributed/env.js';
import { workerArgv } from '../../src/train/distributed/launch.js';

test('readDistEnv: torchrun variables, or undefined without WORLD_SIZE; mistakes named', () => {
  assert.equal(readDistEnv({}), undefined);
  assert.deepEqual(readDistEnv({ RANK: '3', WORLD_SIZE: '4', LOCAL_RANK: '1', MASTER_ADDR: '10.0.0.2', MASTER_PORT: '29500', TORCHELASTIC_USE_AGENT_STORE: 'True', TORCHELASTIC_RESTART_COUNT: '2' }), {
    rank: 3, worldSize: 4, localRank: 1, masterAddr: '10.0.0.2', masterPort: 29500, agentStore: true, attempt: '2',
  });
  const base = { RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500' };
  assert.throws(() => readDistEnv({ ...base, RANK: '2' }), /RANK=2 is not below WORLD_SIZE=2/);
  assert.throws(() => readDistEnv({ ...base, WORLD_SIZE: 'two' }), /WORLD_SIZE=two: expected an integer/);
  assert.throws(() => readDistEnv({ ...base, MASTER_PORT: '70000' }), /MASTER_PORT=70000/);
  assert.throws(() => readDistEnv({ ...base, MASTER_ADDR: '' }), /MASTER_ADDR is unset/);
  assert.throws(() => readDistEnv({ ...base, RANK: undefined }), /RANK=\(unset\)/);
});

test('shardOrder: DistributedSampler(drop_last=False) — pad with the head, then every world-th', () => {
  const order = [7, 3, 9, 1, 4];
  assert.equal(shardSize(5, 2), 3);
  assert.deepEqual(shardOrder(order, 0, 2), [7, 9, 4]);
  assert.deepEqual(shardOrder(order, 1, 2), [3, 1, 7]);
  // 24183 CelebAMask-HQ training images on 8 ranks: 3023 each (spec §6.3).
  assert.equal(shardSize(24183, 8), 3023);
  const ranks = Array.from({ length: 3 }, (_, r) => shardOrder([0, 1], r, 3));
  assert.deepEqual(ranks, [[0], [1], [0]]);
});

test('the built-in launcher drops only its own flags from the workers\' command line', () => {
  assert.deepEqual(workerArgv(['main.js', 'train', '--nproc_per_node', '2', '--epochs', '3', '--master_port=1234', '--nnodes', '1', '--node_rank', '0', '--master_addr', 'h']),
    ['main.js', 'train', '--epochs', '3']);
});
