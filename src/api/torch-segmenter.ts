// A Segmenter on the libtorch engine (eager, CPU or CUDA). The addon loads on first use only, so
// parsing with the default ONNX runtime never needs libtorch. On CUDA the weights are converted
// once to the chosen precision and to channels-last, cuDNN autotunes, and each batch shape's
// forward is captured as a CUDA graph and replayed (engine/torch/cuda-graph.ts).
import { torchCtx, torchDevice } from '../engine/torch/ctx.js';
import { GraphedForward, type GraphBackend } from '../engine/torch/cuda-graph.js';
import { native } from '../engine/torch/native.js';
import { bindWeights, checkPrecision, PRECISION_DTYPE, type Precision } from '../engine/torch/precision.js';
import { inferenceMode, tidy } from '../engine/torch/scope.js';
import { fromData, type TorchTensor } from '../engine/torch/tensor.js';
import { TorchOps } from '../engine/torch/ops.js';
import type { StateDict } from '../io/host-tensor.js';
import { headSpec, type HeadKind } from '../model/classes.js';
import type { SegFace } from '../model/segface.js';
import type { EngineOptions, ImageOptions, Segmenter } from './segmenter.js';
import { chooseTorchPrecision, HALF_TOLERANCE } from './torch-precision.js';
import { runWithLandmarks } from './warp-groups.js';

export interface TorchSegmenterSpec { net: SegFace; weights: StateDict; head: HeadKind; modelId: string; resolution: number }

/** The libtorch Segmenter, with what a benchmark asks of it. */
export interface TorchSegmenterHandle extends Segmenter {
  readonly precision: Precision;
  /** Why batch size n runs eagerly; null when it replays a CUDA graph; undefined before it ran. */
  graphMode(n: number): string | null | undefined;
}

class TorchSegmenter implements TorchSegmenterHandle {
  readonly numClasses: number;
  readonly landmarkWarp: boolean;
  readonly #graphed: GraphedForward;
  readonly #forward: (x: TorchTensor, landmarks?: Float32Array) => TorchTensor;

  constructor(
    net: SegFace, private weights: Map<string, TorchTensor> | null, private readonly ops: TorchOps,
    readonly head: HeadKind, readonly modelId: string, readonly resolution: number,
    readonly precision: Precision, channelsLast: boolean, o: EngineOptions,
  ) {
    this.numClasses = net.numClasses;
    this.landmarkWarp = headSpec(head).landmarkWarp;
    const ctx = torchCtx(ops, weights ?? new Map());
    // [n,3,R,R] float32 → logits [n,C,R,R] float32. The first layer casts the input to its
    // weights' dtype (ops.ts), so modules a precision plan keeps float32 see unrounded values.
    this.#forward = (x, landmarks) => {
      const y = net.forward(ctx, channelsLast ? ops.channelsLast(x) : x, { landmarks });
      return y.dtype === 'float32' ? y : ops.cast(y, 'float32');
    };
    const graphs = ops.device.startsWith('cuda') && (o.cudaGraphs ?? true);
    this.#graphed = new GraphedForward(ops, (x) => this.#forward(x), graphs ? { onNote: o.onNote } : { backend: EAGER });
  }

  graphMode(n: number): string | null | undefined {
    return this.#graphed.mode(this.#key(n));
  }

  #key(n: number): string {
    return `${n}x${this.resolution}:${this.precision}`;
  }

  run(batch: Float32Array, n: number, images?: readonly (ImageOptions | undefined)[]) {
    return runWithLandmarks(this.head, this.resolution, batch, n, images, async (x, m, landmarks) => {
      if (!this.weights) throw new Error('segmenter disposed');
      const r = this.resolution;
      const out = inferenceMode(() => (landmarks
        // The warp's sampling tables depend on each batch's landmarks: no graph can replay them.
        ? tidy(() => {
          const y = this.#forward(fromData(x, [m, 3, r, r], 'float32', { device: this.ops.device }), landmarks);
          return { data: y.toFloat32Array(), shape: [...y.shape] };
        })
        : this.#graphed.run(this.#key(m), x, [m, 3, r, r])));
      return { logits: out.data, height: out.shape[2]!, width: out.shape[3]! };
    });
  }

  async dispose(): Promise<void> {
    this.#graphed.dispose();
    for (const t of this.weights?.values() ?? []) t.dispose();
    this.weights = null;
  }
}

/** A backend that never captures (CPU, or graphs turned off): the eager path, silently. */
const EAGER: GraphBackend = {
  available: () => 'CUDA graphs are off',
  streamEnter() {}, streamExit() {},
  capture(): never { throw new Error('CUDA graphs are off'); },
  replay() {}, reset() {},
};

export async function openTorchSegmenter(spec: TorchSegmenterSpec, o: EngineOptions): Promise<TorchSegmenterHandle> {
  const device = torchDevice(o.device);
  const n = native();
  if (o.threads) n.setNumThreads(o.threads);
  const precision = o.precision ?? 'fp32';
  checkPrecision(precision, device);
  // The CPU path stays as it was (NCHW); cuDNN's fast kernels want NHWC and autotuning.
  const cuda = device === 'cuda';
  if (cuda) n.setCudnnBenchmark?.(true);
  const note = o.onNote ?? ((l: string) => process.stderr.write(`note: ${l}\n`));
  let float32Modules = o.float32Modules ?? [];
  if (precision !== 'fp32' && !o.float32Modules) {
    const c = await chooseTorchPrecision(spec.net, spec.weights, { precision, device, resolution: spec.resolution, channelsLast: cuda });
    float32Modules = c.float32Modules;
    if (float32Modules.length > 0) {
      note(`--precision ${precision}: ${(100 * c.float16Share).toFixed(0)}% of the weights in ${precision}, ${float32Modules.length} module(s) kept float32 to stay within ${HALF_TOLERANCE} of float32 (max |Δlogits| ${c.error.toExponential(1)} on calibration noise)`);
    }
  }
  const weights = bindWeights(spec.weights, { device, precision, channelsLast: cuda, float32Modules });
  const ops = new TorchOps({ device, floatDType: PRECISION_DTYPE[precision] });
  return new TorchSegmenter(spec.net, weights, ops, spec.head, spec.modelId, spec.resolution, precision, cuda, { ...o, onNote: note });
}
