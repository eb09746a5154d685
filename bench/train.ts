// One training step (forward, 0.5·CE + 0.5·Dice, backward, AdamW) on libtorch through our
// engine vs bench/reference.py (PyTorch eager), CPU, same weights, same threads, batch 2.
// Each side of each configuration is its own process (peak RSS is its own).
//   npm run bench -- train [--models mobilenet] [--sizes 256,512] [--batch 2] [--threads 2]
//     [--runs 10] [--warmup 2] [--rounds 3] [--channels-last] [--reference-passive]
// The last two apply to the reference only: channels-last memory, and the passive OpenMP waiting
// that our engine sets by default (to see how much of the difference is that setting).
// Each round runs both sides (alternating which goes first); medians are over all rounds' runs,
// so that drift in the machine's speed during the benchmark hits both sides alike.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AdamW, fromData, loadTorch, setNumThreads, tidy } from '../src/engine/torch/index.js';
import { readStateDictFile } from '../src/io/files.js';
import { buildSegFace } from '../src/model/build.js';
import { Rng } from '../src/model/init.js';
import { crossEntropy, diceLoss } from '../src/train/losses.js';
import { TorchModelState } from '../src/train/torch-model.js';
import { flag, has, median, peakRssMb, printTable, reference, runMain, sharedWeights, timeRuns } from './common.js';

async function child(): Promise<void> {
  const [model, weights] = [flag('model', 'mobilenet'), flag('weights', '')];
  const [res, batch] = [Number(flag('res', '512')), Number(flag('batch', '2'))];
  const { ops } = loadTorch();
  setNumThreads(Number(flag('threads', '2')));
  const net = buildSegFace({ model, head: 'celeb', resolution: res });
  const state = new TorchModelState(net, readStateDictFile(weights), ops, true); // as the trainer on CPU
  const opt = new AdamW(state.params, { lr: 1e-4, weightDecay: 1e-5 });
  const ctx = state.ctx(true);
  const rng = new Rng(0);
  const x = state.input(fromData(new Float32Array(batch * 3 * res * res).map(() => rng.normal()), [batch, 3, res, res], 'float32'));
  const hostLabels = new Int32Array(batch * res * res).map(() => Math.floor(rng.uniform() * 19));
  const labels = fromData(BigInt64Array.from(hostLabels, (v) => BigInt(v)), [batch, res, res], 'int64');
  let firstLoss = NaN;
  const step = () => {
    const loss = tidy(() => {
      const z = net.forward(ctx, x); // [B,19,R,R]
      const l = ops.add(ops.mul(crossEntropy(ops, z, labels), 0.5), ops.mul(diceLoss(ops, z, labels), 0.5));
      opt.zeroGrad();
      l.backward();
      return l.item();
    });
    opt.step();
    if (Number.isNaN(firstLoss)) firstLoss = loss;
  };
  const times = await timeRuns(step, Number(flag('runs', '10')), Number(flag('warmup', '2')));
  console.log(JSON.stringify({ median_s: median(times), runs: times.length, peak_mb: peakRssMb(), first_loss: firstLoss, times }));
}

function ours(args: string[]): Record<string, number> & { times: number[] } {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`train child failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number> & { times: number[] };
}

async function main(): Promise<void> {
  if (has('child')) return child();
  const models = flag('models', 'mobilenet').split(',');
  const sizes = flag('sizes', '256,512').split(',').map(Number);
  const batch = Number(flag('batch', '2'));
  const threads = Number(flag('threads', '2'));
  const runs = Number(flag('runs', '10'));
  const warmup = Number(flag('warmup', '2'));
  const rounds = Number(flag('rounds', '3'));
  const channelsLast = has('channels-last');
  const refEnv = has('reference-passive') ? { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } : process.env;
  const rows: (string | number)[][] = [];
  const ratios: string[] = [];
  for (const model of models) {
    const { path } = sharedWeights(model);
    for (const res of sizes) {
      const common = { model, weights: path, res, batch, threads, runs, warmup };
      const [refTimes, ourTimes, refPeak, ourPeak] = [[] as number[], [] as number[], [] as number[], [] as number[]];
      for (let k = 0; k < rounds; k++) {
        const sides = [
          () => { const r = reference('train', { ...common, 'channels-last': channelsLast }, refEnv); refTimes.push(...r.times!); refPeak.push(r.peak_mb!); },
          () => { const o = ours(Object.entries(common).flatMap(([a, v]) => [`--${a}`, String(v)])); ourTimes.push(...o.times); ourPeak.push(o.peak_mb!); },
        ];
        for (const side of k % 2 ? sides.reverse() : sides) side();
      }
      const ratio = median(refTimes) / median(ourTimes);
      rows.push([model, res, batch, ourTimes.length, median(ourTimes), median(refTimes), ratio, Math.max(...ourPeak), Math.max(...refPeak)]);
      ratios.push(`ratio train_${model}_${res}_b${batch}: ${ratio.toFixed(3)}`);
    }
  }
  printTable(`training step (fwd, 0.5 CE + 0.5 Dice, bwd, AdamW), CPU, ${threads} threads, median of ${rounds} rounds × ${runs} runs after ${warmup} warm-up each${channelsLast ? ', reference channels-last' : ''}${refEnv === process.env ? '' : ', reference OMP_WAIT_POLICY=PASSIVE'}; ratio = reference time / our time (>1: ours faster)`,
    ['model', 'res', 'batch', 'runs', 'ours s/step', 'ref s/step', 'ratio', 'ours peak MB', 'ref peak MB'], rows);
  for (const r of ratios) console.log(r);
}

runMain(import.meta.url, main);
