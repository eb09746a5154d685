// Checkpoint load: time and peak RSS to read a ~1 GB Swin-B training checkpoint (state dict plus
// AdamW moments, written once with our writer) with our reader vs torch.load. Every load is its
// own process so the RSS high-water is that load's; peak memory is reported as a multiple of
// the tensor bytes, over the process's RSS just before the load.
//   npm run bench -- load [--runs 10] [--file /tmp/segface-bench/swin_base-train.pt]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCheckpointFile, readCheckpointFileAsync, writeCheckpointFile } from '../src/io/files.js';
import { stateDictFromCheckpoint } from '../src/io/checkpoint.js';
import { allocHostData, hostTensor, isHostTensor, numel, type StateDict } from '../src/io/host-tensor.js';
import { OrderedDict, type PyValue } from '../src/io/py-values.js';
import { buildSegFace } from '../src/model/build.js';
import { BENCH_DIR, flag, has, median, peakRssMb, printTable, rssMb, reference, runMain } from './common.js';

const TARGET_SECONDS = 1.5;
const TARGET_PEAK = 1.3;

/** Cheap non-constant fill: the bytes' values do not matter to a loader. */
function filled(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    a[i] = (s >>> 8) / 2 ** 24 - 0.5;
  }
  return a;
}

/** {state_dict_backbone, optimizer: {exp_avg, exp_avg_sq}, epoch}: ≈ 3 × 350 MB for Swin-B. */
function writeTrainingCheckpoint(path: string): void {
  const net = buildSegFace({ model: 'swin_base', head: 'celeb', resolution: 512 });
  const sd: StateDict = new OrderedDict();
  const m: StateDict = new OrderedDict();
  const v: StateDict = new OrderedDict();
  let i = 0;
  for (const [key, d] of net.declarations()) {
    const n = numel(d.shape);
    if (d.dtype !== 'float32') {
      sd.set(key, hostTensor(d.dtype, d.shape, allocHostData(d.dtype, n)));
      continue;
    }
    sd.set(key, hostTensor('float32', d.shape, filled(n, ++i)));
    m.set(key, hostTensor('float32', d.shape, filled(n, ++i)));
    v.set(key, hostTensor('float32', d.shape, filled(n, ++i)));
  }
  mkdirSync(dirname(path), { recursive: true });
  const obj = new Map<PyValue, PyValue>([['state_dict_backbone', sd], ['optimizer', new Map<PyValue, PyValue>([['exp_avg', m], ['exp_avg_sq', v]])], ['epoch', 1]]);
  writeCheckpointFile(path, obj);
}

function tensorBytes(v: PyValue): number {
  if (isHostTensor(v)) return v.data.byteLength;
  let n = 0;
  if (v instanceof Map) for (const x of v.values()) n += tensorBytes(x);
  else if (Array.isArray(v)) for (const x of v as PyValue[]) n += tensorBytes(x);
  return n;
}

/** Child: one load, JSON line out (`--sync`: the synchronous reader, which sums CRCs after the read). */
async function child(file: string): Promise<void> {
  const base = rssMb();
  const t0 = performance.now();
  const verify = !has('no-crc');
  const obj = has('sync') ? readCheckpointFile(file, { verify }) : await readCheckpointFileAsync(file, { verify });
  const sd = stateDictFromCheckpoint(obj, file); // what a training resume does next
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ seconds, peak_mb: peakRssMb(), base_mb: base, tensor_mb: tensorBytes(obj) / 2 ** 20, keys: sd.size }));
}

function ours(file: string, crc = true, sync = false): Record<string, number> {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', '--file', file, ...(crc ? [] : ['--no-crc']), ...(sync ? ['--sync'] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`load child failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

async function main(): Promise<void> {
  const file = flag('file', `${BENCH_DIR}/swin_base-train.pt`);
  if (has('child')) return child(file);
  if (!existsSync(file)) {
    console.log(`writing ${file} ...`);
    writeTrainingCheckpoint(file);
  }
  const runs = Number(flag('runs', '10'));
  const sizeMb = statSync(file).size / 2 ** 20;
  ours(file);
  reference('load', { weights: file, full: true }); // warm the page cache on both sides
  // With and without the CRC-32 check, interleaved so all see the same machine load; the
  // synchronous reader without a check is the load as it was before the check existed.
  const o: Record<string, number>[] = [], bare: Record<string, number>[] = [], before: Record<string, number>[] = [];
  for (let i = 0; i < runs; i++) { o.push(ours(file)); bare.push(ours(file, false)); before.push(ours(file, false, true)); }
  const r = Array.from({ length: runs }, () => reference('load', { weights: file, full: true }));
  const stat = (xs: Record<string, number>[]) => {
    const t = median(xs.map((x) => x.seconds!));
    const tensors = xs[0]!.tensor_mb!;
    const peak = median(xs.map((x) => x.peak_mb!));
    const over = median(xs.map((x) => x.peak_mb! - x.base_mb!));
    return [t, tensors, peak, over, over / tensors];
  };
  const so = stat(o), sr = stat(r);
  printTable(`checkpoint load, ${sizeMb.toFixed(0)} MB file (page cache warm), median of ${runs} runs, each its own process; ratio = reference time / our time (>1: ours faster)`,
    ['side', 'seconds', 'tensor MB', 'peak RSS MB', 'peak − base MB', 'peak/tensors'],
    [['ours (readCheckpointFileAsync)', ...so], ['torch.load', ...sr]]);
  console.log(`target: ≤ ${TARGET_SECONDS} s (${so[0]! <= TARGET_SECONDS ? 'met' : 'NOT met'}), peak ≤ ${TARGET_PEAK}× the tensors (${so[4]! <= TARGET_PEAK ? 'met' : 'NOT met'})`);
  const sb = stat(bare)[0]!, s0 = stat(before)[0]!;
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
  console.log(`CRC-32 check: ${so[0]!.toFixed(3)} s with, ${sb.toFixed(3)} s without: ${pct(so[0]! / sb - 1)}; against the synchronous reader without it (${s0.toFixed(3)} s): ${pct(so[0]! / s0 - 1)} (target ≤ 10%)`);
  console.log(`ratio load: ${(sr[0]! / so[0]!).toFixed(3)}`);
}

runMain(import.meta.url, main);
