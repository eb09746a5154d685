// Half precision on the libtorch engine, held to the budget the float16 ONNX export keeps: at
// load, the model runs on seeded noise in float32 and in fp16/bf16, and the same search as the
// export's (export/calibrate.ts) picks the module prefixes that must stay float32 for the logits
// to stay within the tolerance. Trained checkpoints usually need none; randomly initialised ones
// (the parity fixtures) amplify rounding and keep much of their network in float32.
import { inFloat32Modules } from '../engine/precision-plan.js';
import { bindWeights, PRECISION_DTYPE, type Precision } from '../engine/torch/precision.js';
import { TorchOps } from '../engine/torch/ops.js';
import { torchCtx } from '../engine/torch/ctx.js';
import { inferenceMode, tidy } from '../engine/torch/scope.js';
import { fromData, type Device, type TorchTensor } from '../engine/torch/tensor.js';
import { noiseInput, searchFloat32Modules, type PrecisionChoice } from './precision-search.js';
import { precisionGroups } from '../model/precision-groups.js';
import type { StateDict } from '../io/host-tensor.js';
import { maxAbsDiff } from '../parity/fixture.js';
import type { SegFace } from '../model/segface.js';

/** The budget of `segface export --fp16`: max |Δlogits| against float32. */
export const HALF_TOLERANCE = 1e-2;

export interface TorchPrecisionOptions {
  precision: Exclude<Precision, 'fp32'>;
  device: Device;
  resolution: number;
  channelsLast: boolean;
  tolerance?: number;
  /** [1,3,R,R] calibration input (default: seeded noise normalised like a photo). */
  input?: Float32Array;
  log?: (line: string) => void;
}

/** Logits [1,C,R,R] of the model on `input` with `weights` bound by key. */
function logits(net: SegFace, weights: ReadonlyMap<string, TorchTensor>, ops: TorchOps, input: Float32Array, r: number, channelsLast: boolean): Float32Array {
  const ctx = torchCtx(ops, weights, { scoped: true });
  return inferenceMode(() => tidy(() => {
    let x = fromData(input, [1, 3, r, r], 'float32', { device: ops.device });
    if (channelsLast) x = ops.channelsLast(x);
    return net.forward(ctx, x).toFloat32Array();
  }));
}

export async function chooseTorchPrecision(net: SegFace, weights: StateDict, o: TorchPrecisionOptions): Promise<PrecisionChoice> {
  const r = o.resolution;
  const input = o.input ?? noiseInput(r);
  const full = bindWeights(weights, { device: o.device, precision: 'fp32', channelsLast: o.channelsLast });
  const half = bindWeights(weights, { device: o.device, precision: o.precision, channelsLast: o.channelsLast });
  try {
    const ref = logits(net, full, new TorchOps({ device: o.device }), input, r, o.channelsLast);
    const ops = new TorchOps({ device: o.device, floatDType: PRECISION_DTYPE[o.precision] });
    return await searchFloat32Modules(precisionGroups(net), (f32) => {
      // Each key's tensor from the float32 map where its module stays float32, else the half one.
      const mixed = new Map([...half].map(([k, t]) => [k, inFloat32Modules(k, f32) ? full.get(k)! : t]));
      return maxAbsDiff(logits(net, mixed, ops, input, r, o.channelsLast), ref);
    }, o.tolerance ?? HALF_TOLERANCE, o.log);
  } finally {
    for (const t of [...full.values(), ...half.values()]) t.dispose();
  }
}
