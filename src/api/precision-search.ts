// The search behind half precision, for any engine: which module prefixes must stay float32 so
// that the logits stay within a tolerance of float32 (the export's ONNX graphs and the libtorch
// runtime both use it). No ONNX Runtime here, so the libtorch side can load without it.
import { IMAGENET_MEAN, IMAGENET_STD } from '../image/preprocess.js';
import { Rng } from '../model/init.js';
import type { PrecisionGroup } from '../model/precision-groups.js';

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

/** Uniform [0,1) RGB noise normalised with the ImageNet mean/std, as [1,3,r,r]. */
export function noiseInput(r: number, seed = 1234): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(3 * r * r);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < r * r; i++) out[c * r * r + i] = (rng.uniform() - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
  }
  return out;
}

const groupName = (g: PrecisionGroup): string => (g.prefixes.length === 1 ? g.prefixes[0]! : `${g.prefixes[0]} … ${g.prefixes.at(-1)}`);

/**
 * The search itself, for any engine: `errorWith(prefixes)` is max |Δlogits| with those module
 * prefixes in float32 and the rest in half precision.
 */
export async function searchFloat32Modules(
  groups: PrecisionGroup[], measure: (float32Modules: string[]) => Promise<number> | number, tolerance: number, log?: (line: string) => void,
): Promise<PrecisionChoice> {
  const total = groups.reduce((a, g) => a + g.size, 0);
  let trials = 0;
  const errorWith = async (float32Modules: string[]): Promise<number> => {
    trials++;
    return measure(float32Modules);
  };
  const all = await errorWith([]);
  log?.(`all half precision: max |Δlogits| ${all.toExponential(2)} (tolerance ${tolerance})`);
  if (all <= tolerance) return { float32Modules: [], float16Share: 1, error: all, trials };

  const cost = new Map<PrecisionGroup, number>();
  for (const g of groups) {
    const e = await errorWith(groups.filter((h) => h !== g).flatMap((h) => h.prefixes));
    cost.set(g, e / Math.max(g.size, 1));
    log?.(`  ${groupName(g)} alone in half precision: ${e.toExponential(2)}`);
  }
  const order = [...groups].sort((a, b) => cost.get(a)! - cost.get(b)!);
  const keep = (k: number) => order.slice(k).flatMap((g) => g.prefixes);
  // Largest k with the k cheapest groups in half precision. Invariant: `lo` fits (0: all float32), `hi` does not.
  let [lo, hi, error] = [0, order.length, Number.NaN];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const e = await errorWith(keep(mid));
    log?.(`  ${mid} of ${order.length} groups in half precision: ${e.toExponential(2)}`);
    if (e <= tolerance) [lo, error] = [mid, e];
    else hi = mid;
  }
  if (lo === 0) error = await errorWith(keep(0));
  const half = order.slice(0, lo).reduce((a, g) => a + g.size, 0);
  return { float32Modules: keep(lo), float16Share: total ? half / total : 0, error, trials };
}
