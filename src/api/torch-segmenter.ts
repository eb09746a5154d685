// A Segmenter on the libtorch engine (eager, CPU or CUDA). The addon loads on first use only, so
// parsing with the default ONNX runtime never needs libtorch.
import { UserError } from '../errors.js';
import type { Ctx } from '../engine/ops.js';
import { native } from '../engine/torch/native.js';
import { inferenceMode, tidy } from '../engine/torch/scope.js';
import { fromData, fromHost, type TorchTensor } from '../engine/torch/tensor.js';
import { TorchOps } from '../engine/torch/ops.js';
import type { StateDict } from '../io/host-tensor.js';
import type { HeadKind } from '../model/classes.js';
import type { SegFace } from '../model/segface.js';
import type { EngineOptions, Segmenter } from './segmenter.js';

export interface TorchSegmenterSpec { net: SegFace; weights: StateDict; head: HeadKind; modelId: string; resolution: number }

class TorchSegmenter implements Segmenter {
  readonly numClasses: number;
  constructor(
    private readonly net: SegFace, private weights: Map<string, TorchTensor> | null, private readonly ops: TorchOps,
    readonly head: HeadKind, readonly modelId: string, readonly resolution: number,
  ) {
    this.numClasses = net.numClasses;
  }

  async run(batch: Float32Array, n: number) {
    const weights = this.weights;
    if (!weights) throw new Error('segmenter disposed');
    const r = this.resolution;
    const ctx: Ctx<TorchTensor> = {
      ops: this.ops, training: false,
      get: (key) => { const t = weights.get(key); if (!t) throw new Error(`no weight ${key}`); return t; },
    };
    const out = inferenceMode(() => tidy(() => {
      const x = fromData(batch, [n, 3, r, r], 'float32', { device: this.ops.device });
      const y = this.net.forward(ctx, x); // [n,C,R,R]
      return { data: y.toFloat32Array(), shape: [...y.shape] };
    }));
    return { logits: out.data, height: out.shape[2]!, width: out.shape[3]! };
  }

  async dispose(): Promise<void> {
    for (const t of this.weights?.values() ?? []) t.dispose();
    this.weights = null;
  }
}

export function openTorchSegmenter(spec: TorchSegmenterSpec, o: EngineOptions): Segmenter {
  const n = native(); // a UserError saying how to build the addon when it is missing
  const device = o.device === 'cuda' ? 'cuda' : 'cpu';
  if (device === 'cuda' && n.cudaDeviceCount() === 0) {
    throw new UserError('--device cuda: this libtorch has no CUDA device available; use --device cpu');
  }
  if (o.threads) n.setNumThreads(o.threads);
  const weights = new Map<string, TorchTensor>();
  for (const [k, v] of spec.weights) weights.set(k, fromHost(v, { device }));
  return new TorchSegmenter(spec.net, weights, new TorchOps({ device }), spec.head, spec.modelId, spec.resolution);
}
