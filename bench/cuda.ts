// The libtorch engine on a CUDA GPU against PyTorch on the same GPU, in the same run: inference
// FPS of SegFace at 512 (MobileNet and Swin-B, batch 1 and 8; the paper reports 95.96 FPS for
// MobileNet) through our Segmenter (what `parse --runtime torch` runs: host batch in, host
// logits out) in each precision, eager and with CUDA graphs, and one training step. Ratios are
// against PyTorch eager float32 with its defaults; PyTorch with CUDA graphs and with
// channels-last half precision are printed too, so the distance to the best Python can do shows.
//   npm run bench -- cuda [--models mobilenet,swin_base] [--res 512] [--batches 1,8]
//     [--precisions fp32,fp16] [--runs 20] [--warmup 5] [--train-batch 8] [--no-train]
//     [--no-graphs] [--no-reference] [--device cuda|cpu]
// `--device cpu --no-reference` rehearses the script where there is no GPU (no graphs there).
import { join } from 'node:path';
import { openTorchSegmenter, type TorchSegmenterHandle } from '../src/api/torch-segmenter.js';
import { AdamW, callTensor, cudaDeviceCount, fromData, loadTorch, tidy, type TorchTensor } from '../src/engine/torch/index.js';
import { parsePrecision, type Precision } from '../src/engine/torch/precision.js';
import { readNpyFile, writeNpyFile } from '../src/io/files.js';
import { Rng } from '../src/model/init.js';
import { maxAbsDiff } from '../src/parity/fixture.js';
import { crossEntropy, diceLoss } from '../src/train/losses.js';
import { TorchModelState } from '../src/train/torch-model.js';
import { BENCH_DIR, flag, has, median, printTable, reference, runMain, sharedWeights, timeRuns } from './common.js';

export const PAPER_FPS = 95.96;

/** The targets: images/s of ours over PyTorch eager float32, by model, batch, precision. */
const TARGETS: { model: string; batch: number; precision: Precision; ratio: number }[] = [
  { model: 'mobilenet', batch: 1, precision: 'fp32', ratio: 3 },
  { model: 'mobilenet', batch: 8, precision: 'fp16', ratio: 2 },
  { model: 'swin_base', batch: 1, precision: 'fp32', ratio: 2 },
];

/** Waits for the GPU: reading one element back needs every queued kernel to finish. */
function sync(t: TorchTensor): void {
  tidy(() => callTensor('aten::select', 'int', [callTensor('aten::flatten', 'using_ints', [t, 0, -1]), 0, 0]).item());
}

/** The line of an error worth a table cell: the first, or for the reference Python's last. */
function why(e: unknown): string {
  const lines = (e instanceof Error ? e.message : String(e)).split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines[0]?.startsWith('reference.py') ? lines.at(-1) : lines[0]) ?? 'failed';
}

async function main(): Promise<void> {
  const device = flag('device', 'cuda') === 'cpu' ? 'cpu' : 'cuda';
  const cuda = device === 'cuda';
  const models = flag('models', 'mobilenet,swin_base').split(',');
  const res = Number(flag('res', '512'));
  const batches = flag('batches', '1,8').split(',').map(Number);
  const precisions = flag('precisions', 'fp32,fp16').split(',').map((p) => parsePrecision(p, '--precisions'));
  const runs = Number(flag('runs', '20'));
  const warmup = Number(flag('warmup', '5'));
  const trainBatch = Number(flag('train-batch', '8'));
  const withRef = !has('no-reference');
  const graphModes = cuda && !has('no-graphs') ? [false, true] : [false];
  const { ops, version } = loadTorch({ device });
  if (cuda && cudaDeviceCount() === 0) throw new Error(`libtorch ${version} sees no CUDA device (build the addon with LIBTORCH=python on a CUDA machine)`);
  const rows: (string | number)[][] = [];
  const ratios: string[] = [];
  const notes: string[] = [];
  const best = new Map<string, number>(); // `${model}/${batch}/${precision}` → our best FPS
  const baseline = new Map<string, number>(); // `${model}/${batch}` → PyTorch eager fp32 FPS

  for (const model of models) {
    const { net, sd, path } = sharedWeights(model, res);
    for (const batch of batches) {
      const rng = new Rng(batch);
      const host = new Float32Array(batch * 3 * res * res).map(() => rng.normal());
      const inputFile = join(BENCH_DIR, `cuda-input-${res}-b${batch}.npy`);
      writeNpyFile(inputFile, { dtype: 'float32', shape: [batch, 3, res, res], data: host });

      // PyTorch: eager fp32 with its defaults (the baseline), then the best it offers.
      const refLogits = new Map<Precision, Float32Array>();
      let base = Number.NaN;
      if (withRef) {
        const common = { model, weights: path, res, batch, runs, warmup, input: inputFile, device, 'host-io': true };
        type Variant = { label: string; precision: Precision; args: Record<string, string | number | boolean> };
        const tuned = { 'channels-last': true, 'cudnn-benchmark': true };
        const variants: Variant[] = [{ label: 'PyTorch eager fp32', precision: 'fp32', args: {} }];
        if (cuda) variants.push({ label: 'PyTorch CUDA graph fp32, channels-last', precision: 'fp32', args: { ...tuned, 'cuda-graph': true } });
        for (const p of precisions.filter((q) => q !== 'fp32')) {
          variants.push({ label: `PyTorch eager ${p}, channels-last`, precision: p, args: { ...tuned, precision: p } });
          if (cuda) variants.push({ label: `PyTorch CUDA graph ${p}, channels-last`, precision: p, args: { ...tuned, precision: p, 'cuda-graph': true } });
        }
        for (const v of variants) {
          const out = join(BENCH_DIR, `cuda-ref-${model}-${res}-b${batch}-${v.precision}.npy`);
          try {
            const r = reference('infer', { ...common, ...v.args, ...(refLogits.has(v.precision) ? {} : { output: out }) });
            if (!refLogits.has(v.precision)) refLogits.set(v.precision, readNpyFile(out).data as Float32Array);
            const fps = batch / r.median_s!;
            if (v.label === 'PyTorch eager fp32') base = fps;
            rows.push([model, batch, v.label, fps, fps / base, '']);
          } catch (e) {
            rows.push([model, batch, v.label, `n/a: ${why(e).slice(0, 60)}`, '', '']);
          }
        }
        baseline.set(`${model}/${batch}`, base);
      }

      // Ours: the Segmenter in each precision, eager and graphed. Half precision runs the whole
      // model in that dtype (as PyTorch's model.half() does), not the load-time search's plan:
      // these weights are random, which amplifies rounding (see docs/benchmarks.md).
      for (const precision of precisions) {
        for (const graphs of graphModes) {
          let seg: TorchSegmenterHandle | undefined;
          try {
            seg = await openTorchSegmenter({ net, weights: sd, head: 'celeb', modelId: model, resolution: res }, {
              device, precision, cudaGraphs: graphs, float32Modules: precision === 'fp32' ? undefined : [], onNote: (l) => notes.push(`${model} b${batch} ${precision}: ${l}`),
            });
            const s = seg;
            const first = (await s.run(host, batch)).logits;
            const ref = refLogits.get(precision) ?? refLogits.get('fp32');
            const diff = ref ? maxAbsDiff(first, ref) : Number.NaN;
            if (precision === 'fp32' && ref && !(diff < 1e-2)) throw new Error(`${model} batch ${batch}: our logits differ from PyTorch's by ${diff}`);
            const fps = batch / median(await timeRuns(() => s.run(host, batch), runs, warmup));
            const mode = !graphs ? 'eager' : s.graphMode(batch) === null ? 'CUDA graph' : 'eager (graph failed, see notes)';
            const label = `ours ${precision} ${mode}`;
            const b = baseline.get(`${model}/${batch}`) ?? Number.NaN;
            rows.push([model, batch, label, fps, fps / b, diff]);
            const key = `${model}/${batch}/${precision}`;
            best.set(key, Math.max(best.get(key) ?? 0, fps));
            if (withRef) ratios.push(`ratio cuda_infer_${model}_${res}_b${batch}_${precision}_${graphs ? 'graph' : 'eager'}: ${(fps / b).toFixed(3)}`);
            if (model === 'mobilenet' && batch === 1) console.log(`cuda ${model} ${res} batch 1 ${label}: ${fps.toFixed(1)} FPS (paper: ${PAPER_FPS})`);
          } catch (e) {
            rows.push([model, batch, `ours ${precision} ${graphs ? 'graph' : 'eager'}`, `failed: ${why(e).slice(0, 70)}`, '', '']);
          } finally {
            await seg?.dispose();
          }
        }
      }

      // ONNX Runtime's CUDA provider, where this install has it (ONNXRUNTIME_NODE_INSTALL=cuda12).
      // Loaded only here: the GPU machine's bundle (bench/gpu-prepare.sh) carries no ONNX Runtime.
      const ort = cuda ? await import('../src/api/onnx-segmenter.js').catch(() => null) : null;
      if (ort?.onnxCudaInstalled()) {
        const { BuiltOnnxSegmenter, graphCacheFor } = ort;
        const seg = new BuiltOnnxSegmenter({ net, weights: sd, checkpoint: path, modelId: model, head: 'celeb', resolution: res, graphCacheDir: graphCacheFor(undefined) }, { device: 'cuda' });
        try {
          await seg.prepare(batch);
          const fps = batch / median(await timeRuns(() => seg.run(host, batch), runs, warmup));
          rows.push([model, batch, 'ONNX Runtime CUDA EP fp32', fps, fps / (baseline.get(`${model}/${batch}`) ?? Number.NaN), '']);
        } catch (e) {
          rows.push([model, batch, 'ONNX Runtime CUDA EP fp32', `failed: ${why(e).slice(0, 70)}`, '', '']);
        } finally {
          await seg.dispose();
        }
      }
    }

    if (has('no-train')) continue;
    // One training step: forward, 0.5·CE + 0.5·Dice, backward, AdamW (float32, eager).
    const state = new TorchModelState(net, sd, ops);
    const opt = new AdamW(state.params, { lr: 1e-4, weightDecay: 1e-5 });
    const rng = new Rng(0);
    const x = fromData(new Float32Array(trainBatch * 3 * res * res).map(() => rng.normal()), [trainBatch, 3, res, res], 'float32', { device });
    const labels = fromData(BigInt64Array.from({ length: trainBatch * res * res }, () => BigInt(Math.floor(rng.uniform() * 19))), [trainBatch, res, res], 'int64', { device });
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
    const trainRuns = Math.max(5, runs >> 1);
    const ourStep = median(await timeRuns(step, trainRuns, warmup));
    if (!(losses.at(-1)! < losses[0]!)) throw new Error(`${model}: training did not lower the loss (${losses[0]} → ${losses.at(-1)})`);
    let refStep = Number.NaN;
    if (withRef) refStep = reference('train', { model, weights: path, res, batch: trainBatch, runs: trainRuns, warmup, device }).median_s!;
    rows.push([model, trainBatch, `train step s/step (PyTorch ${withRef ? refStep.toFixed(3) : 'n/a'}), loss ${losses[0]!.toFixed(3)} → ${losses.at(-1)!.toFixed(3)}`, ourStep, refStep / ourStep, '']);
    if (withRef) ratios.push(`ratio cuda_train_${model}_${res}_b${trainBatch}: ${(refStep / ourStep).toFixed(3)}`);
    x.dispose();
    labels.dispose();
    state.dispose();
  }

  printTable(`${device.toUpperCase()}, libtorch ${version}, ${res}², median of ${runs} runs after ${warmup} warm-up, host batch in → host logits out on both sides; ratio = images/s over PyTorch eager fp32 (train: PyTorch time / ours)`,
    ['model', 'batch', 'what', 'img/s (train: s)', 'ratio', 'max |Δlogits| vs PyTorch same precision'], rows);
  for (const n of notes) console.log(`note: ${n}`);
  for (const r of ratios) console.log(r);
  if (withRef) {
    for (const t of TARGETS) {
      const ours = best.get(`${t.model}/${t.batch}/${t.precision}`);
      const b = baseline.get(`${t.model}/${t.batch}`);
      if (ours === undefined || b === undefined) continue;
      const r = ours / b;
      console.log(`target ${t.model} ${res} batch ${t.batch} ${t.precision} ≥ ${t.ratio}× PyTorch eager fp32: ${r.toFixed(2)}× ${r >= t.ratio ? 'met' : 'NOT met'}`);
    }
  }
}

runMain(import.meta.url, main);
