// Shared by the distributed-training tests: tiny runs of `segface train` under the built-in
// launcher or torchrun, and the one-process reference DDP must equal.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataLoader } from '../../src/data/loader.js';
import { AdamW, fromData, loadTorch, noGrad, setNumThreads, tidy, type TorchTensor } from '../../src/engine/torch/index.js';
import { writeCheckpointFile, writeNpyFile } from '../../src/io/files.js';
import type { StateDict } from '../../src/io/host-tensor.js';
import { OrderedDict } from '../../src/io/py-values.js';
import { buildSegFace } from '../../src/model/build.js';
import { randomStateDict } from '../../src/model/load.js';
import { openTrainSplit } from '../../src/train/data.js';
import { trainingLoss } from '../../src/train/losses.js';
import { TorchModelState } from '../../src/train/torch-model.js';

export const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export const LR = 1e-4;
export const WD = 1e-5;
export const SEED = 32;

/** The arguments every run shares: 8 synthetic 64² images, batch 2 per rank, one thread. */
export function ddpArgs(data: string, logs: string, name: string, epochs: number, extra: string[] = []): string[] {
  return ['train', '--dataset', 'synthetic', '--data_path', data, '--log_path', logs, '--expt_name', name,
    '--model', 'mobilenet', '--input_resolution', '64', '--train_bs', '2', '--epochs', String(epochs), '--num_workers', '0',
    '--val_interval', '100', '--max_val_images', '1', '--threads', '1', '--no-progress', '--seed', String(SEED),
    '--lr', String(LR), '--weight_decay', String(WD), '--dist_timeout', '30', ...extra];
}

export interface Exit { code: number | null; signal: string | null; out: string }

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, onSpawn?: (pid: number) => void): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    if (onSpawn && child.pid) onSpawn(child.pid);
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

/** A TCP port nobody listens on right now (bound to 127.0.0.1 and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function maxAbsDiff(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(Number(a[i]) - Number(b[i])));
  return m;
}

/** The largest difference over all entries, and the key where it is. */
export function compareStateDicts(got: StateDict, want: StateDict, keys: (k: string) => boolean = () => true): { max: number; key: string } {
  let max = 0, key = '';
  for (const [k, w] of want) {
    if (!keys(k)) continue;
    const g = got.get(k);
    if (!g) throw new Error(`missing ${k}`);
    const d = maxAbsDiff(g.data as ArrayLike<number>, w.data as ArrayLike<number>);
    if (d > max || !key) {
      max = Math.max(max, d);
      key = k;
    }
  }
  return { max, key };
}

/**
 * What DDP computes, in one process: each step runs every rank's shard as its own forward and
 * backward (its own BatchNorm batch statistics and Dice), sums the gradients and divides by the
 * world size, then one AdamW step. BatchNorm buffers end as rank 0's (the one the checkpoint
 * holds): every rank starts a step from the same buffers, and rank 0's shard runs last.
 * Returns the state after each epoch.
 */
export async function referenceDdp(data: string, worldSize: number, epochs: number): Promise<StateDict[]> {
  setNumThreads(1);
  const ops = loadTorch({ device: 'cpu' }).ops;
  const model = buildSegFace({ model: 'mobilenet', head: 'celeb', resolution: 64 });
  const state = new TorchModelState(model, randomStateDict(model, SEED), ops, true);
  const opt = new AdamW(state.params, { lr: LR, weightDecay: WD });
  const params = new Set<TorchTensor>(state.params);
  const buffers = [...state.tensors.values()].filter((t) => !params.has(t));
  const idx = await openTrainSplit('synthetic', 'train', data);
  const loaders = Array.from({ length: worldSize }, (_, rank) => new DataLoader(idx, {
    resolution: 64, batchSize: 2, shuffle: true, seed: SEED, numWorkers: 0, augment: true, shard: { rank, worldSize },
  }));
  const ctx = state.ctx(true);
  const out: StateDict[] = [];
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const batches = [];
      for (const l of loaders) {
        const bs = [];
        for await (const b of l.epoch(epoch)) bs.push(b);
        batches.push(bs);
      }
      for (let step = 0; step < batches[0]!.length; step++) {
        opt.zeroGrad();
        const start = noGrad(() => buffers.map((b) => b.clone()));
        for (let rank = worldSize - 1; rank >= 0; rank--) {
          noGrad(() => buffers.forEach((b, i) => b.copy_(start[i]!)));
          const b = batches[rank]![step]!;
          tidy(() => {
            const x = state.input(fromData(b.images, [b.size, 3, 64, 64], 'float32'));
            const logits = model.forward(ctx, x, {});
            const labels = fromData(BigInt64Array.from(b.labels, (v) => BigInt(v)), [b.size, 64, 64], 'int64');
            trainingLoss(ops, logits, labels, b.labels, { kind: 'ce_dice', consensus: { alpha: 10, beta: 5, reducePixel: 'idx', reducePixelKl: 'idx' }, blobs: 'class' }).loss.backward();
          });
        }
        for (const t of start) t.dispose();
        noGrad(() => tidy(() => { for (const p of state.params) p.grad?.div_(worldSize); }));
        opt.step();
      }
      out.push(state.stateDict());
    }
  } finally {
    await Promise.all(loaders.map((l) => l.close()));
    opt.dispose();
    state.dispose();
  }
  return out;
}

/**
 * The inputs of test/train/ddp_torch.py for epoch 0 of a 2-rank run: the initial weights as a
 * .pt state dict and every rank's batches as .npy (the same sampler and seed as the trainer).
 */
export async function writeTorchDdpInputs(data: string, dir: string, worldSize: number): Promise<{ weights: string; steps: number }> {
  const model = buildSegFace({ model: 'mobilenet', head: 'celeb', resolution: 64 });
  const weights = join(dir, 'init.pt');
  mkdirSync(dir, { recursive: true });
  writeCheckpointFile(weights, new OrderedDict(randomStateDict(model, SEED)));
  const idx = await openTrainSplit('synthetic', 'train', data);
  let steps = 0;
  for (let rank = 0; rank < worldSize; rank++) {
    const l = new DataLoader(idx, { resolution: 64, batchSize: 2, shuffle: true, seed: SEED, numWorkers: 0, augment: true, shard: { rank, worldSize } });
    let s = 0;
    for await (const b of l.epoch(0)) {
      writeNpyFile(join(dir, `r${rank}_s${s}_x.npy`), { dtype: 'float32', shape: [b.size, 3, 64, 64], data: b.images });
      writeNpyFile(join(dir, `r${rank}_s${s}_y.npy`), { dtype: 'uint8', shape: [b.size, 64, 64], data: b.labels });
      s++;
    }
    await l.close();
    steps = s;
  }
  return { weights, steps };
}
