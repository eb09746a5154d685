// The libtorch engine on a CUDA GPU: inference FPS of SegFace at 512 (MobileNet, batch 1 and 8;
// the paper reports 95.96 FPS) and one training step, next to the same model in PyTorch eager on
// the same GPU (bench/reference.py --device cuda), after checking that the two agree.
//   npm run bench -- cuda [--models mobilenet] [--res 512] [--batches 1,8] [--runs 20] [--warmup 5]
//     [--train-batch 8] [--no-reference]
// ONNX Runtime's CUDA build is not what npm installs (see README), so our CUDA path is libtorch.
import { join } from 'node:path';
import { AdamW, callTensor, cudaDeviceCount, fromData, inferenceMode, loadTorch, tidy, type TorchTensor } from '../src/engine/torch/index.js';
import { readNpyFile, writeNpyFile } from '../src/io/files.js';
import { Rng } from '../src/model/init.js';
import { maxAbsDiff } from '../src/parity/fixture.js';
import { crossEntropy, diceLoss } from '../src/train/losses.js';
import { TorchModelState } from '../src/train/torch-model.js';
import { BENCH_DIR, flag, has, median, printTable, reference, runMain, sharedWeights } from './common.js';

export const PAPER_FPS = 95.96;

/** Waits for the GPU: reading one element back needs every queued kernel to finish. */
function sync(t: TorchTensor): void {
  tidy(() => callTensor('aten::select', 'int', [callTensor('aten::flatten', 'using_ints', [t, 0, -1]), 0, 0]).item());
}

function timed(runs: number, warmup: number, f: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    f();
    if (i >= warmup) out.push((performance.now() - t0) / 1000);
  }
  return out;
}

async function main(): Promise<void> {
  const models = flag('models', 'mobilenet').split(',');
  const res = Number(flag('res', '512'));
  const batches = flag('batches', '1,8').split(',').map(Number);
  const runs = Number(flag('runs', '20'));
  const warmup = Number(flag('warmup', '5'));
  const trainBatch = Number(flag('train-batch', '8'));
  const withRef = !has('no-reference');
  const { ops, version } = loadTorch({ device: 'cuda' });
  if (cudaDeviceCount() === 0) throw new Error(`libtorch ${version} sees no CUDA device (build the addon with LIBTORCH=python on a CUDA machine)`);
  const rows: (string | number)[][] = [];
  const ratios: string[] = [];
  for (const model of models) {
    const { net, sd, path } = sharedWeights(model, res);
    const state = new TorchModelState(net, sd, ops);
    for (const batch of batches) {
      const rng = new Rng(batch);
      const host = new Float32Array(batch * 3 * res * res).map(() => rng.normal());
      const inputFile = join(BENCH_DIR, `cuda-input-${res}-b${batch}.npy`);
      writeNpyFile(inputFile, { dtype: 'float32', shape: [batch, 3, res, res], data: host });
      const x = fromData(host, [batch, 3, res, res], 'float32', { device: 'cuda' });
      const ctx = state.ctx(false);
      const forward = () => inferenceMode(() => tidy(() => sync(net.forward(ctx, x))));
      const ours = timed(runs, warmup, forward);
      const ourFps = batch / median(ours);
      let refFps = Number.NaN;
      let maxDiff = Number.NaN;
      if (withRef) {
        const refOut = join(BENCH_DIR, `cuda-ref-${model}-${res}-b${batch}.npy`);
        const r = reference('infer', { model, weights: path, res, batch, runs, warmup, input: inputFile, output: refOut, device: 'cuda' });
        refFps = batch / r.median_s!;
        const refLogits = readNpyFile(refOut).data as Float32Array;
        const mine = inferenceMode(() => tidy(() => net.forward(ctx, x).toFloat32Array()));
        maxDiff = maxAbsDiff(mine, refLogits);
        if (!(maxDiff < 1e-2)) throw new Error(`${model} batch ${batch}: our CUDA logits differ from PyTorch's by ${maxDiff}`);
      }
      x.dispose();
      rows.push([model, 'infer', batch, runs, ourFps, refFps, ourFps / refFps, maxDiff]);
      if (withRef) ratios.push(`ratio cuda_infer_${model}_${res}_b${batch}: ${(ourFps / refFps).toFixed(3)}`);
      if (model === 'mobilenet') console.log(`cuda ${model} ${res} batch ${batch}: ${ourFps.toFixed(1)} FPS (paper: ${PAPER_FPS})`);
    }

    // One training step: forward, 0.5·CE + 0.5·Dice, backward, AdamW.
    const opt = new AdamW(state.params, { lr: 1e-4, weightDecay: 1e-5 });
    const rng = new Rng(0);
    const x = fromData(new Float32Array(trainBatch * 3 * res * res).map(() => rng.normal()), [trainBatch, 3, res, res], 'float32', { device: 'cuda' });
    const labels = fromData(BigInt64Array.from({ length: trainBatch * res * res }, () => BigInt(Math.floor(rng.uniform() * 19))), [trainBatch, res, res], 'int64', { device: 'cuda' });
    const ctx = state.ctx(true);
    const losses: number[] = [];
    const step = () => {
      const loss = tidy(() => {
        const z = net.forward(ctx, x);
        const l = ops.add(ops.mul(crossEntropy(ops, z, labels), 0.5), ops.mul(diceLoss(ops, z, labels), 0.5));
        opt.zeroGrad();
        l.backward();
        return l.item();
      });
      opt.step();
      tidy(() => sync(state.params[0]!));
      losses.push(loss);
    };
    const ourStep = median(timed(Math.max(5, runs >> 1), warmup, step));
    if (!(losses.at(-1)! < losses[0]!)) throw new Error(`${model}: training on CUDA did not lower the loss (${losses[0]} → ${losses.at(-1)})`);
    let refStep = Number.NaN;
    if (withRef) refStep = reference('train', { model, weights: path, res, batch: trainBatch, runs: Math.max(5, runs >> 1), warmup, device: 'cuda' }).median_s!;
    rows.push([model, `train step (s), loss ${losses[0]!.toFixed(3)} → ${losses.at(-1)!.toFixed(3)}`, trainBatch, Math.max(5, runs >> 1), ourStep, refStep, refStep / ourStep, Number.NaN]);
    if (withRef) ratios.push(`ratio cuda_train_${model}_${res}_b${trainBatch}: ${(refStep / ourStep).toFixed(3)}`);
    state.dispose();
  }
  printTable(`CUDA, libtorch ${version}, ${res}², median after ${warmup} warm-up; infer columns are FPS (ratio ours/reference), train columns seconds per step (ratio reference/ours)`,
    ['model', 'what', 'batch', 'runs', 'ours', 'PyTorch', 'ratio', 'max |Δlogits|'], rows);
  for (const r of ratios) console.log(r);
}

runMain(import.meta.url, main);
