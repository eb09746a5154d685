// A Segmenter on the libtorch engine (eager, CPU or CUDA). The addon loads on first use only, so
// parsing with the default ONNX runtime never needs libtorch.
import { deviceWeights, torchCtx, torchDevice } from '../engine/torch/ctx.js';
import { native } from '../engine/torch/native.js';
import { inferenceMode, tidy } from '../engine/torch/scope.js';
import { fromData, type TorchTensor } from '../engine/torch/tensor.js';
import { TorchOps } from '../engine/torch/ops.js';
import type { StateDict } from '../io/host-tensor.js';
import { headSpec, type HeadKind } from '../model/classes.js';
import type { SegFace } from '../model/segface.js';
import type { EngineOptions, ImageOptions, Segmenter } from './segmenter.js';
import { runWithLandmarks } from './warp-groups.js';

export interface TorchSegmenterSpec { net: SegFace; weights: StateDict; head: HeadKind; modelId: string; resolution: number }

class TorchSegmenter implements Segmenter {
  readonly numClasses: number;
  readonly landmarkWarp: boolean;
  constructor(
    private readonly net: SegFace, private weights: Map<string, TorchTensor> | null, private readonly ops: TorchOps,
    readonly head: HeadKind, readonly modelId: string, readonly resolution: number,
  ) {
    this.numClasses = net.numClasses;
    this.landmarkWarp = headSpec(head).landmarkWarp;
  }

  run(batch: Float32Array, n: number, images?: readonly (ImageOptions | undefined)[]) {
    return runWithLandmarks(this.head, this.resolution, batch, n, images, async (x, m, landmarks) => {
      const weights = this.weights;
      if (!weights) throw new Error('segmenter disposed');
      const r = this.resolution;
      const ctx = torchCtx(this.ops, weights);
      const out = inferenceMode(() => tidy(() => {
        const y = this.net.forward(ctx, fromData(x, [m, 3, r, r], 'float32', { device: this.ops.device }), { landmarks }); // [m,C,R,R]
        return { data: y.toFloat32Array(), shape: [...y.shape] };
      }));
      return { logits: out.data, height: out.shape[2]!, width: out.shape[3]! };
    });
  }

  async dispose(): Promise<void> {
    for (const t of this.weights?.values() ?? []) t.dispose();
    this.weights = null;
  }
}

export function openTorchSegmenter(spec: TorchSegmenterSpec, o: EngineOptions): Segmenter {
  const device = torchDevice(o.device);
  if (o.threads) native().setNumThreads(o.threads);
  return new TorchSegmenter(spec.net, deviceWeights(spec.weights, device), new TorchOps({ device }), spec.head, spec.modelId, spec.resolution);
}
