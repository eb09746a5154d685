// Choosing which parts of a float16 export stay float32, by measurement: float16 graphs run on a
// calibration input next to the float32 one. Most models need no float32 at all. Otherwise each
// group of modules is tried alone in float16, and the groups that cost least accuracy per weight
// go float16 first, as many as the tolerance allows (bisection). Randomly initialised deep nets
// (the hash fixtures) amplify rounding so much that they keep most of their backbone in float32.
import { createSession, releaseSession, run } from '../engine/onnx/session.js';
import type { StateDict } from '../io/host-tensor.js';
import { maxAbsDiff } from '../parity/fixture.js';
import type { SegFace } from '../model/segface.js';
import { exportOnnx } from './export-onnx.js';
import { precisionGroups } from '../model/precision-groups.js';
import { noiseInput, searchFloat32Modules, type PrecisionChoice } from '../api/precision-search.js';

export { noiseInput, type PrecisionChoice };

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

async function logitsOf(bytes: Uint8Array, input: Float32Array, r: number, threads?: number): Promise<Float32Array> {
  const s = await createSession(bytes, { threads });
  try {
    const out = await run(s, { [s.inputNames[0]!]: { data: input, shape: [1, 3, r, r] } });
    return out[s.outputNames[0]!]!.data;
  } finally {
    await releaseSession(s);
  }
}


export async function choosePrecision(net: SegFace, weights: StateDict, o: CalibrateOptions): Promise<PrecisionChoice> {
  const r = o.resolution;
  const input = o.input ?? noiseInput(r);
  const ref = await logitsOf(exportOnnx(net, weights, { resolution: r }).bytes, input, r, o.threads);
  return searchFloat32Modules(precisionGroups(net), async (float32Modules) => {
    const e = exportOnnx(net, weights, { resolution: r, fp16: o.fp16Compute, fp16Weights: !o.fp16Compute, float32Modules });
    return maxAbsDiff(await logitsOf(e.bytes, input, r, o.threads), ref);
  }, o.tolerance, o.log);
}

