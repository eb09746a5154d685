// Consensus loss forward + backward on libtorch (float32, autograd) at B=4, C=19, 128² and 512²,
// median of 10 runs after warm-up, against the reference timing in the consensus-loss spec §7
// (56 s at 512², blob = class mask, one intra-op thread, CPU).
//   node dist/bench/consensus.js [--threads N] [--runs N] [--sizes 128,512]
import { pathToFileURL } from 'node:url';
import { fromData, loadTorch, setNumThreads, tidy } from '../src/engine/torch/index.js';
import { blobsFromLabels, consensusLoss } from '../src/train/consensus.js';
import { planBlobs } from '../src/train/blob-plan.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpyFile } from '../src/io/files.js';
import { hostTensor } from '../src/io/host-tensor.js';
import { BENCH_DIR, flag, printTable, reference } from './common.js';

/** Reference forward+backward seconds (spec §7, α=10 β=5 idx/idx, blob = class). */
export const REFERENCE_SECONDS: Record<number, number> = { 128: 1.0, 256: 5.8, 512: 56 };

/** A 19-class face-like layout: nested ellipses, two eyes/brows, lips, and small specks. */
export function faceLayout(n: number, r: number, c = 19): Int32Array {
  const lab = new Int32Array(n * r * r);
  for (let b = 0; b < n; b++) {
    const cx = r * (0.5 + 0.03 * b), cy = r * (0.52 - 0.02 * b);
    for (let y = 0; y < r; y++) for (let x = 0; x < r; x++) {
      const u = (x - cx) / r, v = (y - cy) / r;
      const e = (a: number, bb: number, du = 0, dv = 0) => ((u - du) / a) ** 2 + ((v - dv) / bb) ** 2 <= 1;
      let k = 0;
      if (v > 0.3) k = 3; // cloth
      if (e(0.12, 0.2, 0, 0.3)) k = 1; // neck
      if (e(0.36, 0.44, 0, -0.05)) k = 14; // hair
      if (e(0.28, 0.36)) k = 2; // skin
      if (e(0.04, 0.07, -0.29, 0)) k = 4;
      if (e(0.04, 0.07, 0.29, 0)) k = 5;
      if (e(0.07, 0.015, -0.1, -0.1)) k = 6;
      if (e(0.07, 0.015, 0.1, -0.1)) k = 7;
      if (e(0.05, 0.025, -0.1, -0.04)) k = 8;
      if (e(0.05, 0.025, 0.1, -0.04)) k = 9;
      if (e(0.04, 0.08, 0, 0.05)) k = 10;
      if (e(0.09, 0.02, 0, 0.17)) k = 12;
      if (e(0.09, 0.02, 0, 0.21)) k = 13;
      if (e(0.06, 0.008, 0, 0.19)) k = 11;
      if (e(0.03, 0.02, -0.1, -0.04) && b % 2 === 0) k = 15; // glasses (some images)
      if (v < -0.38 && Math.abs(u) < 0.3) k = 16; // hat
      if (e(0.012, 0.012, -0.3, 0.08)) k = 17; // earring
      if (e(0.1, 0.01, 0, 0.34)) k = 18; // necklace
      lab[(b * r + y) * r + x] = Math.min(k, c - 1);
    }
  }
  return lab;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export interface ConsensusBench {
  size: number;
  blobs: number;
  mode: 'class' | 'components';
  medianSeconds: number;
  /** The loss value (to compare with the same-run reference). */
  loss: number;
  referenceSeconds?: number;
}

/** Labels [4,size,size] and logits [4,19,size,size]: noise plus a true-class bias, like a half-trained network (spec §7). */
export function consensusInputs(size: number, n = 4, c = 19): { labels: Int32Array; logits: Float32Array } {
  const labels = faceLayout(n, size, c);
  const logits = new Float32Array(n * c * size * size);
  let s = 7;
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let p = 0; p < size * size; p++) {
    s = (s * 1103515245 + 12345) >>> 0;
    logits[(b * c + k) * size * size + p] = (s / 2 ** 32 - 0.5) * 2 + (labels[b * size * size + p] === k ? 2 : 0);
  }
  return { labels, logits };
}

/** Times forward+backward (including the host-side blob plan) at one size. */
export function benchConsensus(size: number, mode: 'class' | 'components', runs = 10, warmup = 2): ConsensusBench {
  const { ops } = loadTorch();
  const [n, c] = [4, 19];
  const { labels, logits } = consensusInputs(size, n, c);
  const blobs = blobsFromLabels(labels, n, size, size, mode);
  const o = { alpha: 10, beta: 5, reducePixel: 'idx', reducePixelKl: 'idx' } as const;
  const z = fromData(logits, [n, c, size, size], 'float32', { requiresGrad: true });
  const times: number[] = [];
  let loss = NaN;
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    loss = tidy(() => {
      const plan = planBlobs(blobs, labels, n, c, size, size, o);
      const r = consensusLoss(ops, z, blobs, labels, o, plan);
      z.grad = null;
      r.loss.backward();
      return r.loss.item();
    });
    if (i >= warmup) times.push((performance.now() - t0) / 1000);
  }
  const nb = new Set(Array.from(blobs as ArrayLike<number>)).size;
  z.dispose();
  return { size, blobs: nb, mode, loss, medianSeconds: median(times), referenceSeconds: mode === 'class' ? REFERENCE_SECONDS[size] : undefined };
}

async function main(): Promise<void> {
  const arg = (name: string, d: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1]! : d;
  };
  // The reference was timed with one intra-op thread; match it unless told otherwise.
  loadTorch();
  setNumThreads(Number(arg('threads', '1')));
  const runs = Number(arg('runs', '10'));
  const sizes = arg('sizes', '128,512').split(',').map(Number);
  let ratio512: number | undefined;
  const rows: (string | number)[][] = [];
  for (const size of sizes) {
    for (const mode of ['class', 'components'] as const) {
      const r = benchConsensus(size, mode, runs);
      const ratio = r.referenceSeconds ? r.referenceSeconds / r.medianSeconds : NaN;
      let py: Record<string, number> | undefined;
      if (mode === 'class' && !process.argv.includes('--no-python')) {
        // Same-run reference: a plain per-blob PyTorch version written from the spec (bench/reference.py).
        const { labels, logits } = consensusInputs(size);
        mkdirSync(BENCH_DIR, { recursive: true });
        const [lp, zp] = [join(BENCH_DIR, `consensus-labels-${size}.npy`), join(BENCH_DIR, `consensus-logits-${size}.npy`)];
        writeNpyFile(lp, hostTensor('int32', [4, size, size], labels));
        writeNpyFile(zp, hostTensor('float32', [4, 19, size, size], logits));
        const pyRuns = size >= 512 ? Number(flag('python-runs-512', '3')) : runs;
        py = reference('consensus', { labels: lp, input: zp, threads: 1, runs: pyRuns, warmup: 1 });
      }
      rows.push([size, mode, r.blobs, runs, r.medianSeconds * 1000, r.referenceSeconds ?? NaN, ratio,
        py ? py.median_s! : NaN, py ? py.median_s! / r.medianSeconds : NaN, py ? Math.abs(py.loss! - r.loss) : NaN]);
      if (size === 512 && mode === 'class') ratio512 = ratio;
    }
  }
  printTable('consensus loss fwd+bwd, B=4 C=19, libtorch float32, 1 thread; spec ref = spec §7 timing of the original (blob = class mask); plain torch = bench/reference.py per-blob version timed now; ratio = reference time / our time (>1: ours faster)',
    ['size', 'blobs from', 'blobs', 'runs', 'ours ms', 'spec ref s', 'ratio', 'plain torch s', 'ratio vs plain', '|Δloss|'], rows);
  // Spec §7 reference: 56 s at 512²; target ≥ 30×.
  if (ratio512 !== undefined) console.log(`ratio consensus: ${ratio512.toFixed(1)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
