// Two ranks over Gloo on this machine: the built-in launcher, torchrun --no_python and two
// "nodes" (two launchers rendezvousing on 127.0.0.1) all train to what DDP computes, checked
// against the one-process per-shard reference (ddp-helpers.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrainCheckpoint } from '../../src/train/checkpoint.js';
import { tempDir, tinySynthSet } from './train-helpers.js';
import { cli, compareStateDicts, ddpArgs, freePort, referenceDdp, run } from './ddp-helpers.js';

// Float tolerance. Each rank runs the same kernels, single-threaded, on the same shard as the
// reference, and DDP's mean of two gradients ((g0/2 + g1/2), exact halving) equals the
// reference's (g0 + g1)/2 bit for bit; what is left is oneDNN picking different kernels for
// the separate processes' allocations/alignment. AdamW moves each weight by about lr = 1e-4 per
// step however small its gradient, so a sign flip of a near-zero gradient moves it by up to
// 2·lr per step: over 4 steps 1e-5 is well inside one such event, while one wrong shard or a
// missing average moves many weights by ≥ 1e-4.
const TOL = 1e-5;

test('2 ranks (built-in launcher, torchrun --no_python, 2 nodes) equal the per-shard gradient-averaging reference', async (t) => {
  const data = await tinySynthSet();
  const logs = tempDir('segface-ddp-');
  const ref = await referenceDdp(data, 2, 2);

  await t.test('built-in launcher: --nproc_per_node 2, two epochs', async () => {
    const port = await freePort();
    const r = await run(process.execPath, [cli, ...ddpArgs(data, logs, 'launcher', 2, ['--nproc_per_node', '2', '--master_port', String(port)])]);
    assert.equal(r.code, 0, r.out);
    const dir = join(logs, 'ckpts', 'launcher');
    for (const epoch of [0, 1]) {
      const ck = readTrainCheckpoint(join(dir, `model_${epoch}.pt`));
      assert.equal(ck.iteration, 2 * (epoch + 1), '8 images / 2 ranks / batch 2 = 2 steps per epoch');
      assert.ok(![...ck.stateDict.keys()].some((k) => k.startsWith('module.')), 'official keys, no module. prefix');
      const params = compareStateDicts(ck.stateDict, ref[epoch]!, (k) => !/running_|num_batches/.test(k));
      assert.ok(params.max <= TOL, `epoch ${epoch}: parameters differ by ${params.max} at ${params.key}`);
      const bufs = compareStateDicts(ck.stateDict, ref[epoch]!, (k) => /running_|num_batches/.test(k));
      assert.ok(bufs.max <= TOL, `epoch ${epoch}: BatchNorm buffers (rank 0's) differ by ${bufs.max} at ${bufs.key}`);
    }
    // Rank 0 alone writes: one log line per epoch, one train.log.
    const lines = readFileSync(join(dir, 'train_log.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    assert.equal((r.out.match(/data: 8 train/g) ?? []).length, 1, 'only rank 0 logs');
  });

  await t.test('torchrun --no_python --nproc_per_node 2 (Debian 1.13 needs --redirects 1 --tee 1)', { skip: !existsSync('/usr/bin/torchrun') && 'torchrun (python3-torch) is not installed' }, async () => {
    const port = await freePort();
    const r = await run('/usr/bin/torchrun', ['--no_python', '--redirects', '1', '--tee', '1', '--nproc_per_node', '2', '--master_addr', '127.0.0.1',
      '--master_port', String(port), process.execPath, cli, ...ddpArgs(data, logs, 'torchrun', 1)], { OMP_NUM_THREADS: '1' });
    assert.equal(r.code, 0, r.out);
    const ck = readTrainCheckpoint(join(logs, 'ckpts', 'torchrun', 'model_0.pt'));
    const d = compareStateDicts(ck.stateDict, ref[0]!);
    assert.ok(d.max <= TOL, `torchrun: differs by ${d.max} at ${d.key}`);
  });

  await t.test('two nodes on 127.0.0.1: --nnodes 2 --node_rank 0/1', async () => {
    const port = await freePort();
    const node = (k: number) => run(process.execPath, [cli, ...ddpArgs(data, logs, 'nodes', 1,
      ['--nnodes', '2', '--node_rank', String(k), '--nproc_per_node', '1', '--master_addr', '127.0.0.1', '--master_port', String(port)])]);
    const [a, b] = await Promise.all([node(0), node(1)]);
    assert.equal(a.code, 0, a.out);
    assert.equal(b.code, 0, b.out);
    const ck = readTrainCheckpoint(join(logs, 'ckpts', 'nodes', 'model_0.pt'));
    const d = compareStateDicts(ck.stateDict, ref[0]!);
    assert.ok(d.max <= TOL, `two nodes: differ by ${d.max} at ${d.key}`);
  });
});
