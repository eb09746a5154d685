// Inference throughput and peak memory: our default path (ONNX graph, onnxruntime-node, graph
// optimisations on) vs bench/reference.py (PyTorch eager, CPU), same weights, same threads.
// Each side of each configuration runs in its own process so the RSS high-water is its own.
// Logits are compared (max |Δ| < 1e-3) before anything is timed.
//   npm run bench -- infer [--models mobilenet,swin_base] [--res 512] [--batches 1,4]
//     [--threads 2] [--runs 10] [--heavy-runs 5] [--warmup 2] [--device cpu|cuda] [--no-int8]
// The ONNX graph is the builder's default (exact rewrites on); GFLOP/s are counted on the
// official graph's FLOPs. On the CPU an int8 row per model at batch 1 follows (bench/int8.ts).
// A "ceiling" line per model at batch 1 says what ratio the executed FLOPs allow at the same-run GEMM
// peak, next to what the CPU targets (TARGETS) need.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOnnx } from '../src/engine/onnx/index.js';
import { createSession, run } from '../src/engine/onnx/session.js';
import { readNpyFile, writeNpyFile } from '../src/io/files.js';
import { hostTensor } from '../src/io/host-tensor.js';
import { Rng } from '../src/model/init.js';
import { matMulProbe, rewrittenFlops, segfaceFlops } from './flops.js';
import { int8Variant } from './int8.js';
import { BENCH_DIR, flag, fmt, has, median, peakRssMb, printTable, reference, runMain, sharedWeights, timeRuns } from './common.js';

const PAPER_FPS = 95.96; // SegFace paper, MobileNetV3 at 512 on one GPU
/** Issue 16's float32 targets at batch 1 on the CPU (ours/reference throughput). */
const TARGETS: Record<string, number> = { mobilenet: 6, swin_base: 4 };
const TOLERANCE = 1e-3;

/** Child mode: load the .onnx, check logits against the reference's, time, print JSON. */
async function child(): Promise<void> {
  const [onnx, inputPath, refPath] = [flag('onnx', ''), flag('input', ''), flag('ref', '')];
  const threads = Number(flag('threads', '2'));
  const device = flag('device', 'cpu');
  const session = await createSession(readFileSync(onnx), {
    threads, executionProviders: device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
  });
  const x = readNpyFile(inputPath);
  const feed = { [session.inputNames[0]!]: { data: x.data as Float32Array, shape: x.shape } };
  const y = (await run(session, feed))[session.outputNames[0]!]!;
  let maxDiff = NaN;
  if (refPath) {
    const ref = readNpyFile(refPath).data as Float32Array;
    maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i]! - y.data[i]!));
  }
  if (maxDiff > TOLERANCE) {
    console.log(JSON.stringify({ maxDiff, error: 'logits differ' }));
    return;
  }
  const times = await timeRuns(() => run(session, feed), Number(flag('runs', '10')), Number(flag('warmup', '2')));
  console.log(JSON.stringify({ median_s: median(times), runs: times.length, peak_mb: peakRssMb(), maxDiff }));
}

function ours(args: string[]): Record<string, number | string> {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [self, '--child', ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`infer child failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | string>;
}

/** float32 GEMM peak of this machine in ORT: median GFLOP/s of an n×n×n MatMul. */
async function gemmPeak(threads: number, n = 2048): Promise<number> {
  const { bytes, data, flop } = matMulProbe(n);
  const s = await createSession(bytes, { threads });
  const feed = { a: { data, shape: [n, n] }, b: { data, shape: [n, n] } };
  const t = median(await timeRuns(() => run(s, feed), 10, 2));
  return flop / t / 1e9;
}

async function main(): Promise<void> {
  if (has('child')) return child();
  const models = flag('models', 'mobilenet,swin_base').split(',');
  const res = Number(flag('res', '512'));
  const device = flag('device', 'cpu');
  const batches = flag('batches', device === 'cuda' ? '1,8' : '1,4').split(',').map(Number);
  const threads = Number(flag('threads', '2'));
  const warmup = Number(flag('warmup', '2'));
  const withRef = device === 'cpu' && !has('no-reference');

  const peak = await gemmPeak(threads);
  console.log(`float32 GEMM peak (ORT MatMul 2048³, ${threads} threads): ${fmt(peak)} GFLOP/s`);
  const rows: (string | number)[][] = [];
  const flopRows: (string | number)[][] = [];
  const ratios: string[] = [];
  const ceilings: string[] = [];
  for (const model of models) {
    const runs = Number(model === 'mobilenet' ? flag('runs', '10') : flag('heavy-runs', flag('runs', '5')));
    const { net, sd, path } = sharedWeights(model, res);
    const parts = segfaceFlops(net, sd, 1, res);
    const total = [...parts.values()].reduce((a, b) => a + b, 0);
    const executed = rewrittenFlops(net, sd, 1, res);
    flopRows.push([model, ...['backbone', 'fusion', 'transformer', 'upscaler'].map((p) => (parts.get(p) ?? 0) / 1e9), total / 1e9, executed / 1e9]);
    for (const batch of batches) {
      const onnx = join(BENCH_DIR, `${model}-${res}-b${batch}.onnx`);
      writeFileSync(onnx, buildOnnx(net, sd, [batch, 3, res, res]));
      const rng = new Rng(batch);
      const x = new Float32Array(batch * 3 * res * res).map(() => rng.normal());
      const input = join(BENCH_DIR, `input-${res}-b${batch}.npy`);
      writeNpyFile(input, hostTensor('float32', [batch, 3, res, res], x));
      const refOut = join(BENCH_DIR, `ref-${model}-${res}-b${batch}.npy`);
      const ref = withRef
        ? reference('infer', { model, weights: path, res, batch, threads, runs, warmup, input, output: refOut })
        : undefined;
      const o = ours(['--onnx', onnx, '--input', input, '--threads', String(threads), '--runs', String(runs),
        '--warmup', String(warmup), '--device', device, ...(ref ? ['--ref', refOut] : [])]);
      if (o.error) throw new Error(`${model} b${batch}: our logits differ from the reference by ${o.maxDiff} (> ${TOLERANCE}); not timing`);
      const ips = batch / Number(o.median_s);
      const refIps = ref ? batch / ref.median_s! : NaN;
      rows.push([model, batch, runs, ips, refIps, ips / refIps, Number(o.peak_mb), ref?.peak_mb ?? NaN,
        ref ? Number(o.maxDiff) : '-', (ips * total) / 1e9, (100 * ips * total) / 1e9 / peak]);
      if (ref) ratios.push(`ratio infer_${model}_${res}_b${batch}: ${(ips / refIps).toFixed(3)}`);
      const target = TARGETS[model];
      if (ref && batch === 1 && device === 'cpu' && target) {
        // Even if every executed FLOP ran at this run's GEMM peak and nothing else took time.
        const floorS = executed / 1e9 / peak;
        ceilings.push(`ceiling ${model} b1: the executed ${fmt(executed / 1e9)} GFLOP at the GEMM peak take ≥ ${fmt(1000 * floorS)} ms, ` +
          `so ≤ ${fmt(1 / floorS / refIps)}× the reference; the ${target}× target needs ${fmt(1000 / (target * refIps))} ms, ` +
          `${fmt((100 * target * refIps * executed) / 1e9 / peak)} % of the GEMM peak on the executed FLOPs (measured: ${fmt((100 * ips * executed) / 1e9 / peak)} %)`);
      }
      if (device === 'cuda' && model === 'mobilenet') console.log(`cuda ${model} ${res} batch ${batch}: ${fmt(ips)} FPS (paper: ${PAPER_FPS})`);
      if (device === 'cpu' && batch === 1 && !has('no-int8')) {
        const q = await int8Variant(readFileSync(onnx), x, res, batch, net.numClasses, threads);
        const qPath = join(BENCH_DIR, `${model}-${res}-b${batch}-int8.onnx`);
        writeFileSync(qPath, q.bytes);
        const oq = ours(['--onnx', qPath, '--input', input, '--threads', String(threads), '--runs', String(runs), '--warmup', String(warmup), '--device', device]);
        const qips = batch / Number(oq.median_s);
        rows.push([`${model} int8`, batch, runs, qips, refIps, qips / refIps, Number(oq.peak_mb), ref?.peak_mb ?? NaN,
          `agree ${(100 * q.agreement.argmax).toFixed(2)}% |Δp| ${q.agreement.softmaxMeanAbs.toExponential(1)}`, (qips * total) / 1e9, (100 * qips * total) / 1e9 / peak]);
        if (ref) ratios.push(`ratio infer_${model}_${res}_b${batch}_int8: ${(qips / refIps).toFixed(3)}`);
      }
    }
  }
  printTable(`GFLOPs per image at ${res} (2×MACs of Conv/ConvTranspose/Gemm/MatMul in the official graph; 'executed': after the builder's rewrites)`,
    ['model', 'backbone', 'fusion', 'transformer', 'upscaler', 'total', 'executed'], flopRows);
  printTable(`inference ${device} ${res}², ${threads} threads, median of timed runs after ${warmup} warm-up; ratio = ours/reference throughput (>1: ours faster)`,
    ['model', 'batch', 'runs', 'ours img/s', 'ref img/s', 'ratio', 'ours peak MB', 'ref peak MB', 'max|Δ| / int8 agreement', 'GFLOP/s (official)', '% GEMM peak'], rows);
  for (const c of ceilings) console.log(c);
  for (const r of ratios) console.log(r);
}

runMain(import.meta.url, main);
