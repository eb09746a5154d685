// Distributed data parallel on this machine (Gloo over loopback): how long the gradient
// all-reduce takes against the training step, for 1 and 2 ranks.
//   npm run bench -- ddp [--model mobilenet] [--res 256] [--batch 2] [--threads 1] [--runs 10]
//     [--warmup 2] [--worlds 1,2] [--backend gloo|nccl --device cuda]
// Per world size: the step with DDP (forward, loss, backward with bucketed all-reduce overlapped,
// AdamW), and on the side a blocking all-reduce of every gradient at once (what DDP must move per
// step, without overlap). With 1 rank the same step without DDP is the reference.
// On the shared 2-core machine, 2 ranks × 1 thread compete with 1 rank × 1 thread: compare the
// all-reduce share, not absolute step times.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AdamW, ProcessGroup, fromData, loadTorch, noGrad, setNumThreads, tidy, type TorchTensor } from '../src/engine/torch/index.js';
import { readStateDictFile } from '../src/io/files.js';
import { buildSegFace } from '../src/model/build.js';
import { Rng } from '../src/model/init.js';
import { crossEntropy, diceLoss } from '../src/train/losses.js';
import { TorchModelState } from '../src/train/torch-model.js';
import { flag, has, median, printTable, runMain, sharedWeights, timeRuns } from './common.js';

async function worker(): Promise<void> {
  const [model, weights, device] = [flag('model', 'mobilenet'), flag('weights', ''), flag('device', 'cpu')];
  const [res, batch, runs, warmup] = ['res', 'batch', 'runs', 'warmup'].map((k) => Number(flag(k, { res: '256', batch: '2', runs: '10', warmup: '2' }[k]!)));
  const rank = Number(process.env.RANK), world = Number(process.env.WORLD_SIZE);
  const useDdp = !has('no-ddp');
  const dev = device === 'cuda' ? `cuda:${process.env.LOCAL_RANK ?? '0'}` : 'cpu';
  const { ops } = loadTorch({ device: dev });
  setNumThreads(Number(flag('threads', '1')));
  const group = useDdp ? ProcessGroup.init({
    backend: flag('backend', device === 'cuda' ? 'nccl' : 'gloo') as 'gloo' | 'nccl', rank, worldSize: world,
    masterAddr: '127.0.0.1', masterPort: Number(process.env.MASTER_PORT), timeoutMs: 120_000,
  }) : undefined;
  const net = buildSegFace({ model, head: 'celeb', resolution: res });
  const state = new TorchModelState(net, readStateDictFile(weights), ops, dev === 'cpu');
  group?.broadcast([...state.tensors.values()]);
  const ddp = group?.ddp(state.params);
  const opt = new AdamW(state.params, { lr: 1e-4, weightDecay: 1e-5 });
  const ctx = state.ctx(true);
  const rng = new Rng(rank + 1);
  const x = state.input(fromData(new Float32Array(batch * 3 * res * res).map(() => rng.normal()), [batch, 3, res, res], 'float32', { device: dev }));
  const host = new Int32Array(batch * res * res).map(() => Math.floor(rng.uniform() * 19));
  const labels = fromData(BigInt64Array.from(host, (v) => BigInt(v)), [batch, res, res], 'int64', { device: dev });
  const step = () => {
    tidy(() => {
      ddp?.beforeForward();
      const z = net.forward(ctx, x); // [B,19,R,R]
      ddp?.afterForward([z]);
      const l = ops.add(ops.mul(crossEntropy(ops, z, labels), 0.5), ops.mul(diceLoss(ops, z, labels), 0.5));
      opt.zeroGrad();
      l.backward();
      return l.item();
    });
    opt.step();
  };
  const stepTimes = await timeRuns(step, runs, warmup);
  let reduceTimes: number[] = [];
  let bytes = 0;
  if (group) {
    // Every gradient in one flat buffer: the bytes DDP all-reduces per step.
    const flat: TorchTensor = noGrad(() => tidy(() => ops.concat(state.params.map((p) => ops.reshape(p.grad ?? ops.zerosLike(p), [-1])), 0)));
    bytes = flat.shape[0]! * 4;
    // On CUDA the collective is asynchronous to the host: reading one value waits for it.
    reduceTimes = await timeRuns(() => { group.allReduce([flat]); if (dev !== 'cpu') tidy(() => ops.sum(flat, [0]).item()); }, runs, warmup);
    group.barrier();
    group.destroy();
  }
  if (rank === 0) console.log(JSON.stringify({ step_s: median(stepTimes), allreduce_s: reduceTimes.length ? median(reduceTimes) : 0, bytes }));
}

function runWorld(world: number, args: string[], noDdp = false): Promise<{ step_s: number; allreduce_s: number; bytes: number }> {
  const port = 29800 + Math.floor(Math.random() * 150);
  return new Promise((resolve, reject) => {
    let out = '', err = '';
    let left = world;
    for (let rank = 0; rank < world; rank++) {
      const c = spawn(process.execPath, [fileURLToPath(import.meta.url), '--worker', ...args, ...(noDdp ? ['--no-ddp'] : [])], {
        env: { ...process.env, RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      c.stdout.on('data', (d) => { out += d; });
      c.stderr.on('data', (d) => { err += d; });
      c.on('exit', (code) => {
        if (code !== 0) reject(new Error(`ddp worker ${rank} of ${world} failed:\n${err}`));
        if (--left === 0) resolve(JSON.parse(out.trim().split('\n').pop()!));
      });
    }
  });
}

async function main(): Promise<void> {
  if (has('worker')) return worker();
  const model = flag('model', 'mobilenet');
  const { path } = sharedWeights(model);
  const pass = ['model', 'res', 'batch', 'threads', 'runs', 'warmup', 'device', 'backend'].flatMap((k) => {
    const i = process.argv.indexOf(`--${k}`);
    return i >= 0 ? [`--${k}`, process.argv[i + 1]!] : [];
  });
  const args = ['--weights', path, ...pass];
  const worlds = flag('worlds', '1,2').split(',').map(Number);
  const plain = await runWorld(1, args, true);
  const rows: (string | number)[][] = [[1, 'no', plain.step_s, '-', '-', '-', 1]];
  for (const w of worlds) {
    const r = await runWorld(w, args);
    rows.push([w, 'yes', r.step_s, r.allreduce_s, r.allreduce_s / r.step_s, r.bytes / 2 ** 20, plain.step_s / r.step_s]);
    console.log(`ratio ddp_allreduce_share_w${w}: ${(r.allreduce_s / r.step_s).toFixed(3)}`);
  }
  printTable(`DDP on ${flag('device', 'cpu')} (${flag('backend', flag('device', 'cpu') === 'cuda' ? 'nccl' : 'gloo')}), ${model} ${flag('res', '256')}², batch ${flag('batch', '2')} per rank, ${flag('threads', '1')} thread(s) per rank, median of ${flag('runs', '10')} runs; ` +
    'all-reduce = one blocking all-reduce of every gradient (not overlapped); speed = plain step / this step',
  ['ranks', 'ddp', 's/step', 'all-reduce s', 'all-reduce/step', 'grad MiB', 'speed'], rows);
}

runMain(import.meta.url, main);
