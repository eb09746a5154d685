// Distributed training over Gloo on this machine, two ranks: torchrun --no_python, two "nodes"
// (two built-in launchers meeting on 127.0.0.1) and the built-in launcher with two workers all
// train to exactly what DDP computes — the one-process per-shard gradient-averaging reference
// (ddp-helpers.ts); a killed rank stops the other in bounded time, naming it, and --resume
// continues; rendezvous mistakes get one clear line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpyFile } from '../../src/io/files.js';
import type { StateDict } from '../../src/io/host-tensor.js';
import { readTrainCheckpoint } from '../../src/train/checkpoint.js';
import { tempDir, tinySynthSet } from './train-helpers.js';
import { LR, WD, cli, compareStateDicts, ddpArgs, freePort, referenceDdp, run, writeTorchDdpInputs } from './ddp-helpers.js';

// Tolerance: none. Every rank runs the same kernels single-threaded on the same shard as the
// reference does, and DDP's mean of two gradients, g0/2 + g1/2 (halving is exact), rounds to the
// same float as the reference's (g0 + g1)/2; measured: bit-identical. (A wrong shard, a rank
// stepping on its own gradient or another rank's BatchNorm buffers move weights by ~lr = 1e-4.)
const TOL = 0;

// OpenBLAS and libgomp size their pools from OMP_NUM_THREADS when libtorch loads, and a different
// pool sums in a different order. torchrun gives its workers 1, so the reference in this process
// and every run here use 1 too (set before the addon loads).
process.env.OMP_NUM_THREADS = '1';

const BUFFER = /running_|num_batches/;

// Against PyTorch itself the kernels are the same library (Debian's libtorch 1.13 under both)
// but the graphs are not written alike (torchvision's MobileNet, reference.py's head and Dice), so
// sums round differently; AdamW's first steps move a weight by ~lr whatever the gradient's size,
// and a near-zero gradient whose sign differs moves it by up to 2·lr. Measured after 2 steps:
// parameters within 2.6e-5, BatchNorm buffers within 2.4e-7.
const TORCH_TOL = 1e-4;

/** The launcher's worker with this RANK (its children, through /proc). */
function workerPid(launcher: number, rank: number): number | undefined {
  let kids: string[];
  try {
    kids = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return undefined;
  }
  for (const k of kids) {
    try {
      if (readFileSync(`/proc/${k}/environ`, 'utf8').split('\0').includes(`RANK=${rank}`)) return Number(k);
    } catch { /* exited */ }
  }
  return undefined;
}

test('2 ranks equal the per-shard gradient-averaging reference; failures end cleanly', async (t) => {
  const data = await tinySynthSet();
  const logs = tempDir('segface-ddp-');
  const ref = await referenceDdp(data, 2, 2);

  await t.test('torchrun --no_python --redirects 1 --tee 1 --nproc_per_node 2, two epochs (set_epoch reshuffle)', { skip: !existsSync('/usr/bin/torchrun') && 'torchrun (python3-torch) is not installed' }, async (t) => {
    const port = await freePort();
    const r = await run('/usr/bin/torchrun', ['--no_python', '--redirects', '1', '--tee', '1', '--nproc_per_node', '2', '--master_addr', '127.0.0.1',
      '--master_port', String(port), process.execPath, cli, ...ddpArgs(data, logs, 'torchrun', 2)]);
    assert.equal(r.code, 0, r.out);
    const dir = join(logs, 'ckpts', 'torchrun');
    for (const epoch of [0, 1]) {
      const ck = await readTrainCheckpoint(join(dir, `model_${epoch}.pt`));
      assert.equal(ck.iteration, 2 * (epoch + 1), '8 images / 2 ranks / batch 2 = 2 steps per epoch');
      assert.ok(![...ck.stateDict.keys()].some((k) => k.startsWith('module.')), 'official keys, no module. prefix');
      const params = compareStateDicts(ck.stateDict, ref[epoch]!, (k) => !BUFFER.test(k));
      const bufs = compareStateDicts(ck.stateDict, ref[epoch]!, (k) => BUFFER.test(k));
      t.diagnostic(`epoch ${epoch}: parameters within ${params.max}, rank 0's BatchNorm buffers within ${bufs.max}`);
      assert.ok(params.max <= TOL, `epoch ${epoch}: parameters differ by ${params.max} at ${params.key}`);
      assert.ok(bufs.max <= TOL, `epoch ${epoch}: BatchNorm buffers differ from rank 0's by ${bufs.max} at ${bufs.key}`);
    }
    assert.equal(readFileSync(join(dir, 'train_log.jsonl'), 'utf8').trim().split('\n').length, 2);
    assert.equal((readFileSync(join(dir, 'train.log'), 'utf8').match(/data: 8 train/g) ?? []).length, 1, 'rank 0 alone logs');
  });

  await t.test('real PyTorch DDP (torchrun + Gloo over bench/reference.py\'s MobileNet) from the same weights and samples', { skip: !existsSync('/usr/bin/torchrun') && 'torchrun (python3-torch) is not installed' }, async (t) => {
    const dir = join(logs, 'pytorch');
    const { weights, steps } = await writeTorchDdpInputs(data, dir, 2);
    const out = join(dir, 'out');
    const r = await run('/usr/bin/torchrun', ['--redirects', '1', '--tee', '1', '--nproc_per_node', '2', '--master_addr', '127.0.0.1', '--master_port', String(await freePort()),
      fileURLToPath(new URL('../../../test/train/ddp_torch.py', import.meta.url)), '--weights', weights, '--batches', dir, '--steps', String(steps), '--out', out,
      '--lr', String(LR), '--weight_decay', String(WD)]);
    assert.equal(r.code, 0, r.out);
    const ours = (await readTrainCheckpoint(join(logs, 'ckpts', 'torchrun', 'model_0.pt'))).stateDict;
    const theirs: StateDict = new Map([...ours.keys()].map((k) => [k, readNpyFile(join(out, `${k}.npy`))]));
    const params = compareStateDicts(ours, theirs, (k) => !BUFFER.test(k));
    const bufs = compareStateDicts(ours, theirs, (k) => BUFFER.test(k));
    t.diagnostic(`${steps} steps: parameters within ${params.max} (${params.key}), BatchNorm buffers within ${bufs.max} (${bufs.key})`);
    assert.ok(params.max <= TORCH_TOL, `parameters differ from PyTorch DDP's by ${params.max} at ${params.key}`);
    assert.ok(bufs.max <= TORCH_TOL, `buffers differ from PyTorch DDP's by ${bufs.max} at ${bufs.key}`);
  });

  await t.test('two nodes on 127.0.0.1 (--nnodes 2 --node_rank 0/1); killing rank 1 stops rank 0 naming it; --resume with --nproc_per_node 2', async (t) => {
    const dir = join(logs, 'ckpts', 'nodes');
    const port = await freePort();
    let node1 = 0;
    const node = (k: number) => run(process.execPath, [cli, ...ddpArgs(data, logs, 'nodes', 2,
      ['--nnodes', '2', '--node_rank', String(k), '--nproc_per_node', '1', '--master_addr', '127.0.0.1', '--master_port', String(port)])],
    {}, (pid) => { if (k === 1) node1 = pid; });
    const runs = [node(0), node(1)];
    const t0 = Date.now();
    while (!existsSync(join(dir, 'model_0.pt')) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 20));
    const pid = workerPid(node1, 1);
    assert.ok(pid, 'rank 1 is running');
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const [a, b] = await Promise.all(runs);
    const took = Date.now() - killedAt;
    assert.match(b.out, /rank 1 was killed by SIGKILL/);
    assert.equal(a.code, 1, a.out);
    assert.match(a.out, /segface: rank 0: rank 1 stopped; stopping this rank too/, a.out);
    assert.doesNotMatch(a.out, /\n\s+at /, 'no stack trace');
    t.diagnostic(`rank 0 exited ${took} ms after rank 1 was killed`);
    assert.ok(took < 30_000, `rank 0 took ${took} ms to stop`);
    assert.ok(!existsSync(join(dir, 'model_1.pt')), 'killed during epoch 1');
    const d = compareStateDicts((await readTrainCheckpoint(join(dir, 'model_0.pt'))).stateDict, ref[0]!);
    assert.ok(d.max <= TOL, `two nodes: epoch 0 differs by ${d.max} at ${d.key}`);

    // The built-in launcher with two workers on one node picks the run up where it stopped.
    const again = await run(process.execPath, [cli, ...ddpArgs(data, logs, 'nodes', 2, ['--resume', '--nproc_per_node', '2', '--master_port', String(await freePort())])]);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /\[rank 0\] resumed from .*model_0\.pt: epoch 0 done, 2 iterations/);
    const last = await readTrainCheckpoint(join(dir, 'model_1.pt'));
    assert.equal(last.iteration, 4);
    const e = compareStateDicts(last.stateDict, ref[1]!);
    t.diagnostic(`resumed epoch 1 within ${e.max}`);
    assert.ok(e.max <= TOL, `resumed: epoch 1 differs by ${e.max} at ${e.key}`);
  });

  await t.test('rendezvous errors: port in use, wrong world size, unreachable master', async () => {
    const args = (name: string) => [cli, ...ddpArgs(data, logs, name, 1, ['--dist_timeout', '3'])];
    const env = (rank: number, world: number, port: number) => ({ RANK: String(rank), WORLD_SIZE: String(world), LOCAL_RANK: '0', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) });
    const busy = createServer();
    await new Promise<void>((res) => busy.listen(0, '127.0.0.1', res));
    const busyPort = (busy.address() as { port: number }).port;
    const closedPort = await freePort();
    try {
      const [inUse, alone, lost] = await Promise.all([
        run(process.execPath, args('busy'), env(0, 1, busyPort)),
        run(process.execPath, args('alone'), env(0, 2, await freePort())),
        run(process.execPath, args('lost'), env(1, 2, closedPort)),
      ]);
      assert.match(inUse.out, new RegExp(`MASTER_PORT ${busyPort} is already in use`), inUse.out);
      assert.match(alone.out, /rank 0: (only 1 of 2|not all 2) ranks reached the rendezvous .* is WORLD_SIZE=2 right/, alone.out);
      assert.match(lost.out, new RegExp(`rank 1: cannot reach the rendezvous at 127\\.0\\.0\\.1:${closedPort}`), lost.out);
      for (const r of [inUse, alone, lost]) {
        assert.equal(r.code, 1, r.out);
        assert.doesNotMatch(r.out, /\n\s+at /, 'no stack trace');
      }
    } finally {
      busy.close();
    }
  });
});
