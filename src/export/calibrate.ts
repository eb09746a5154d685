// Choosing which parts of a float16 export stay float32, by measurement: float16 graphs run on a
// calibration input next to the float32 one. Most models need no float32 at all. Otherwise each
// group of modules is tried alone in float16, and the groups that cost least accuracy per weight
// go float16 first, as many as the tolerance allows (bisection). Randomly initialised deep nets
// (the hash fixtures) amplify rounding so much that they keep most of their backbone in float32.
import { createSession, releaseSession, run } from '../engine/onnx/session.js';
import type { StateDict } from '../io/host-tensor.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../image/preprocess.js';
import { Rng } from '../model/init.js';
import { maxAbsDiff } from '../parity/fixture.js';
import type { SegFace } from '../model/segface.js';
import { exportOnnx } from './export-onnx.js';
import { precisionGroups, type PrecisionGroup } from './precision.js';

export interface PrecisionChoice {
  /** Module prefixes kept float32 (pass as ExportOptions.float32Modules). */
  float32Modules: string[];
  /** Share of the weights left in float16. */
  float16Share: number;
  /** max |Δlogits| against float32 on the calibration input with that choice. */
  error: number;
  /** Graphs built and run to find it. */
  trials: number;
}

export interface CalibrateOptions {
  resolution: number;
  /** float16 compute (`--fp16`) or only float16 storage (`--fp16-weights`). */
  fp16Compute: boolean;
  /** Target max |Δlogits| on the calibration input. */
  tolerance: number;
  /** A preprocessed [1,3,R,R] input; default: seeded uniform noise, normalised like a photo. */
  input?: Float32Array;
  threads?: number;
  log?: (line: string) => void;
}

/** Uniform [0,1) RGB noise normalised with the ImageNet mean/std, as [1,3,r,r]. */
export function noiseInput(r: number, seed = 1234): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(3 * r * r);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < r * r; i++) out[c * r * r + i] = (rng.uniform() - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
  }
  return out;
}

async function logitsOf(bytes: Uint8Array, input: Float32Array, r: number, threads?: number): Promise<Float32Array> {
  const s = await createSession(bytes, { threads });
  try {
    const out = await run(s, { [s.inputNames[0]!]: { data: input, shape: [1, 3, r, r] } });
    return out[s.outputNames[0]!]!.data;
  } finally {
    await releaseSession(s);
  }
}

const groupName = (g: PrecisionGroup): string => (g.prefixes.length === 1 ? g.prefixes[0]! : `${g.prefixes[0]} … ${g.prefixes.at(-1)}`);

export async function choosePrecision(net: SegFace, weights: StateDict, o: CalibrateOptions): Promise<PrecisionChoice> {
  const r = o.resolution;
  const input = o.input ?? noiseInput(r);
  const ref = await logitsOf(exportOnnx(net, weights, { resolution: r }).bytes, input, r, o.threads);
  const groups = precisionGroups(net);
  const total = groups.reduce((a, g) => a + g.size, 0);
  let trials = 0;
  const errorWith = async (float32Modules: string[]): Promise<number> => {
    trials++;
    const e = exportOnnx(net, weights, { resolution: r, fp16: o.fp16Compute, fp16Weights: !o.fp16Compute, float32Modules });
    return maxAbsDiff(await logitsOf(e.bytes, input, r, o.threads), ref);
  };
  const all = await errorWith([]);
  o.log?.(`all float16: max |Δlogits| ${all.toExponential(2)} (tolerance ${o.tolerance})`);
  if (all <= o.tolerance) return { float32Modules: [], float16Share: 1, error: all, trials };

  const cost = new Map<PrecisionGroup, number>();
  for (const g of groups) {
    const e = await errorWith(groups.filter((h) => h !== g).flatMap((h) => h.prefixes));
    cost.set(g, e / Math.max(g.size, 1));
    o.log?.(`  ${groupName(g)} alone in float16: ${e.toExponential(2)}`);
  }
  const order = [...groups].sort((a, b) => cost.get(a)! - cost.get(b)!);
  const keep = (k: number) => order.slice(k).flatMap((g) => g.prefixes);
  // Largest k with the k cheapest groups in float16. Invariant: `lo` fits (0: all float32), `hi` does not.
  let [lo, hi, error] = [0, order.length, Number.NaN];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const e = await errorWith(keep(mid));
    o.log?.(`  ${mid} of ${order.length} groups in float16: ${e.toExponential(2)}`);
    if (e <= o.tolerance) [lo, error] = [mid, e];
    else hi = mid;
  }
  if (lo === 0) error = await errorWith(keep(0));
  const half = order.slice(0, lo).reduce((a, g) => a + g.size, 0);
  return { float32Modules: keep(lo), float16Share: total ? half / total : 0, error, trials };
}
